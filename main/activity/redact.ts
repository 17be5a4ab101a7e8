import { isSharedJson, shareJson } from '../common/json-text.js';

/** Replacement for a redacted value. */
export const REDACTED = '[redacted]';

export interface RedactorOptions {
  /** Strings longer than this are cut, with a marker saying how much was dropped. */
  maxStringLength?: number;
  /** Deeper nesting is replaced by a marker. */
  maxDepth?: number;
  /** Arrays keep this many items, then a marker. */
  maxArrayItems?: number;
  /** Objects keep this many keys, then a marker key. */
  maxKeys?: number;
  /**
   * Rough budget of characters per redacted value; beyond it the rest is replaced by markers. The
   * activity log keeps thousands of events in memory and on disk: one 64 KB argument must not cost
   * 64 KB in each (issue 10), so the default is small; the full size is recorded beside the cut.
   */
  maxTotalChars?: number;
}

/**
 * Removes credentials from what goes into the activity log: values under credential-like keys, and
 * any occurrence of a secret value the secrets module resolved (registered with addSecretValues),
 * wherever it appears. Big payloads are truncated with a marker so one call cannot flood the log.
 */
export interface Redactor {
  redact(value: unknown): unknown;
  /**
   * As redact(), and whether anything was cut (the caller then records the full size). A value that
   * redaction leaves as it is comes back itself, not a copy: the caller must not change it later.
   */
  redactCapped(value: unknown): { value: unknown; truncated: boolean };
  /** Replaces registered secret values inside free text (error messages, targets). */
  redactText(text: string): string;
  addSecretValues(values: Iterable<string>): void;
}

// Exact credential-like keys, compared with case, "-" and "_" ignored (authorization, api_key, ...).
const SECRET_KEYS = new Set([
  'authorization',
  'proxyauthorization',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'password',
  'passwd',
  'secret',
  'clientsecret',
  'apikey',
  'xapikey',
  'cookie',
  'setcookie',
  'privatekey',
  'credentials',
  'credential',
  'passphrase',
]);
// Keys that end like a credential but are protocol fields worth seeing (MCP progress tokens, limits).
const KEEP_KEYS = new Set(['progresstoken', 'maxtokens', 'nextcursor', 'cursor']);

/** Verdicts of isSecretKey by key, bounded (keys come from upstream payloads). */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

/** Whether a key names a credential (authorization, token, access_token, GITHUB_TOKEN, x-api-key, ...). */
export function isSecretKey(key: string): boolean {
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const k = key.toLowerCase().replace(/[-_]/g, '');
  const secret = !KEEP_KEYS.has(k) && (SECRET_KEYS.has(k) || /(token|secret|password|apikey)$/.test(k));
  // The same few keys (name, type, properties, content, ...) come back on every call: judge each once.
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(key, secret);
  return secret;
}

/** Default character budget of one redacted value (an event's request, or its response). */
const DEFAULT_MAX_VALUE_CHARS = 8_000;

// Shorter values would redact ordinary words and numbers everywhere; a real secret is longer.
const MIN_SECRET_LENGTH = 6;

/** asIs()'s answer for a value redaction would change (a budget is finite, this is not). */
const CHANGED = Number.NEGATIVE_INFINITY;

/** Creates a redactor; secret values are held in memory only and never written anywhere. */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const maxString = options.maxStringLength ?? 4000;
  const maxDepth = options.maxDepth ?? 10;
  const maxItems = options.maxArrayItems ?? 200;
  const maxKeys = options.maxKeys ?? 200;
  const maxTotal = options.maxTotalChars ?? DEFAULT_MAX_VALUE_CHARS;
  const secrets = new Set<string>();
  // Longest first, so a secret containing another is replaced whole.
  let ordered: string[] = [];

  const redactText = (text: string): string => {
    let out = text;
    for (const s of ordered) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };

  const redactFresh = (value: unknown): { value: unknown; truncated: boolean } => {
    let budget = maxTotal;
    let truncated = false;
    const cut = <T>(marker: T): T => {
      truncated = true;
      return marker;
    };
    const visit = (v: unknown, depth: number): unknown => {
      if (budget <= 0) return cut('[truncated]');
      if (typeof v === 'string') {
        // Secrets first, then cut: a cut must never leave half a secret behind.
        let s = redactText(v);
        const limit = Math.min(maxString, Math.max(budget, 0));
        if (s.length > limit) s = cut(`${s.slice(0, limit)}...[truncated ${s.length - limit} chars]`);
        budget -= s.length;
        return s;
      }
      if (v === null || typeof v !== 'object') {
        budget -= 8;
        return typeof v === 'bigint'
          ? String(v)
          : typeof v === 'function' || typeof v === 'symbol'
            ? undefined
            : v;
      }
      if (depth >= maxDepth) return cut('[truncated: nested too deeply]');
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (let i = 0; i < v.length && i < maxItems; i++) {
          if (budget <= 0) {
            out.push(cut(`[truncated ${v.length - i} more items]`));
            return out;
          }
          out.push(visit(v[i], depth + 1));
        }
        if (v.length > maxItems) out.push(cut(`[truncated ${v.length - maxItems} more items]`));
        return out;
      }
      const out: Record<string, unknown> = {};
      const entries = Object.entries(v as Record<string, unknown>);
      let n = 0;
      for (const [key, val] of entries) {
        if (n >= maxKeys || budget <= 0) {
          out['[truncated]'] = cut(`${entries.length - n} more keys`);
          break;
        }
        n++;
        budget -= key.length + 4;
        out[key] =
          isSecretKey(key) && val !== null && val !== undefined && val !== ''
            ? REDACTED
            : visit(val, depth + 1);
      }
      return out;
    };
    const out = visit(value, 0);
    return { value: out, truncated };
  };

  /**
   * The budget left after `v` when redactFresh's walk would give it back as it is (no secret key
   * with a value, no secret inside a string, nothing to cut, only what JSON holds as it is), else
   * CHANGED. The same walk and the same arithmetic, without building a copy: the usual call's
   * arguments and result are small and hold no credential, and copying them (and their Object.entries
   * arrays) was most of what the activity log allocated per call (issue 16).
   */
  const asIs = (v: unknown, depth: number, budget: number): number => {
    if (budget <= 0) return CHANGED;
    if (typeof v === 'string') {
      if (v.length > maxString || v.length > budget) return CHANGED;
      for (const s of ordered) if (v.includes(s)) return CHANGED;
      return budget - v.length;
    }
    if (v === null || typeof v !== 'object') {
      const t = typeof v;
      return t === 'bigint' || t === 'function' || t === 'symbol' ? CHANGED : budget - 8;
    }
    if (depth >= maxDepth) return CHANGED;
    if (Array.isArray(v)) {
      if (v.length > maxItems) return CHANGED;
      for (let i = 0; i < v.length; i++) {
        budget = asIs(v[i], depth + 1, budget);
        if (budget === CHANGED) return CHANGED;
      }
      return budget;
    }
    // Anything but a plain object (a Map, a Date, a class) is copied by the walk as its own entries.
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) return CHANGED;
    let n = 0;
    for (const key in v) {
      // The copy sets `__proto__` as the prototype, not as a key: it differs from the value.
      if (n >= maxKeys || budget <= 0 || key === '__proto__') return CHANGED;
      n++;
      budget -= key.length + 4;
      const val = (v as Record<string, unknown>)[key];
      if (val !== null && val !== undefined && val !== '' && isSecretKey(key)) return CHANGED;
      budget = asIs(val, depth + 1, budget);
      if (budget === CHANGED) return CHANGED;
    }
    return budget;
  };

  /**
   * Shared values (json-text.ts: the merged lists, the same object on every tools/list) are redacted
   * once per set of secrets: the result is final too, and is shared in turn.
   */
  let redactedShared = new WeakMap<object, { value: unknown; truncated: boolean }>();
  const redactCapped = (value: unknown): { value: unknown; truncated: boolean } => {
    if (!isSharedJson(value))
      return asIs(value, 0, maxTotal) === CHANGED ? redactFresh(value) : { value, truncated: false };
    let out = redactedShared.get(value);
    if (out === undefined) {
      const fresh = redactFresh(value);
      out = {
        value: typeof fresh.value === 'object' && fresh.value !== null ? shareJson(fresh.value) : fresh.value,
        truncated: fresh.truncated,
      };
      redactedShared.set(value, out);
    }
    return out;
  };

  return {
    redact: (value) => redactCapped(value).value,
    redactCapped,
    redactText,
    addSecretValues(values) {
      for (const v of values) if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) secrets.add(v);
      ordered = [...secrets].sort((a, b) => b.length - a.length);
      redactedShared = new WeakMap();
    },
  };
}
