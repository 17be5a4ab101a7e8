/**
 * JSON of values that are built once and never change afterwards (the router's merged lists: 300
 * tools are about 90 KB of JSON). Such a value is marked with shareJson(); its text is then computed
 * at most once and reused by every answer that carries it and by the activity log, instead of being
 * serialised again on each tools/list (issue 16). Unmarked values are serialised as JSON.stringify
 * would, every time.
 */

interface Text {
  text: string;
  bytes: number;
}

/** Marked values: null until their text is first asked for. Weak: a replaced list goes with its text. */
const shared = new WeakMap<object, Text | null>();

/**
 * Marks `value` as final and freezes it (shallowly: a later `value.x = ...` throws instead of
 * silently changing what other clients are sent). `text`, when the caller already has the value's
 * JSON, seeds the cache.
 */
export function shareJson<T extends object>(value: T, text?: string): T {
  if (!shared.has(value)) {
    Object.freeze(value);
    shared.set(value, text === undefined ? null : { text, bytes: Buffer.byteLength(text) });
  }
  return value;
}

/** Whether `value` was marked with shareJson() (caches of derived values may key on it). */
export function isSharedJson(value: unknown): value is object {
  return typeof value === 'object' && value !== null && shared.has(value);
}

function cached(value: object): Text | undefined {
  const known = shared.get(value);
  if (known !== null) return known;
  const text = JSON.stringify(value);
  const entry = { text, bytes: Buffer.byteLength(text) };
  shared.set(value, entry);
  return entry;
}

/** JSON.stringify(value) and its size in UTF-8 bytes; a shared value's from the cache. */
export function jsonText(value: unknown): Text | undefined {
  if (isSharedJson(value)) return cached(value);
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : { text, bytes: Buffer.byteLength(text) };
}

/**
 * The text of a small object whose members may be shared values (a JSON-RPC message
 * `{ jsonrpc, id, result }`): the same text JSON.stringify gives, with each shared member spliced in
 * from its cache, so only the envelope's few bytes are serialised and measured per answer.
 */
export function messageJson(message: Readonly<Record<string, unknown>>): Text {
  if (isSharedJson(message)) return cached(message)!;
  let text = '';
  let bytes = 0;
  for (const key of Object.keys(message)) {
    const value = message[key];
    // JSON.stringify leaves these members out.
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue;
    const head = `${text === '' ? '{' : ','}${JSON.stringify(key)}:`;
    const member = isSharedJson(value) ? cached(value)! : jsonText(value)!;
    text += head + member.text;
    bytes += Buffer.byteLength(head) + member.bytes;
  }
  return text === '' ? { text: '{}', bytes: 2 } : { text: `${text}}`, bytes: bytes + 1 };
}
