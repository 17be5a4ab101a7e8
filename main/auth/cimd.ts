import { isPublicAddress } from './address-filter.js';
import { CimdFetchError, type CimdTransport } from './cimd-transport.js';
import { cleanClientName } from './client-name.js';
import type { ClientRecord } from './client-record.js';
import { redirectUriProblem } from './redirect-uri.js';
import type { Clock } from '../common/clock.js';

/** Limits for Client ID Metadata Document fetches (draft-ietf-oauth-client-id-metadata-document). */
export interface CimdOptions {
  transport: CimdTransport;
  clock: Clock;
  /** The draft suggests documents stay small; 5 KB by default. */
  maxBytes?: number;
  timeoutMs?: number;
}

/** Whether a client_id is a URL-form client id, to be resolved by fetching its document. */
export function isCimdClientId(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/** Returns why a URL-form client_id is unacceptable (CIMD draft §3), or null. */
export function cimdUrlProblem(clientId: string): string | null {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:') return 'must use https';
  if (url.username || url.password) return 'must not contain a user name or password';
  if (clientId.includes('#')) return 'must not contain a fragment';
  if (url.pathname === '/' || url.pathname === '') return 'must contain a path';
  if (/(^|\/)\.\.?(\/|$)/.test(clientId.replace(/^https:\/\/[^/]*/, '').split('?')[0]!))
    return 'must not contain "." or ".." path segments';
  if (clientId.length > 2000) return 'is longer than 2000 characters';
  return null;
}

const MIN_CACHE_MS = 60_000;
const MAX_CACHE_MS = 24 * 3_600_000;
const DEFAULT_CACHE_MS = 10 * 60_000;
const MAX_CACHE_ENTRIES = 500;

/** Fetches, validates and caches Client ID Metadata Documents with SSRF care. */
export function createCimdResolver(options: CimdOptions) {
  const maxBytes = options.maxBytes ?? 5 * 1024;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const cache = new Map<string, { record: ClientRecord; expiresAt: number }>();
  const inflight = new Map<string, Promise<ClientRecord>>();

  async function fetchDocument(clientId: string): Promise<ClientRecord> {
    const problem = cimdUrlProblem(clientId);
    if (problem) throw new CimdFetchError(`the client_id URL ${problem}`);
    const url = new URL(clientId);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: { address: string; family: number }[];
    const literal = /^[\d.]+$/.test(host) || host.includes(':');
    if (literal) {
      addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
    } else {
      try {
        addresses = await options.transport.resolve(host);
      } catch {
        throw new CimdFetchError(`the host name ${host} does not resolve`);
      }
    }
    if (addresses.length === 0) throw new CimdFetchError(`the host name ${host} does not resolve`);
    // Every answer must be public: a mixed answer is how rebinding attacks start.
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) {
      // The message reaches whoever named the client_id: for a host name, do not tell them what it
      // resolves to on the owner's network (internal DNS would become an oracle).
      const what = literal ? `${refused.address},` : `${host} resolves to`;
      throw new CimdFetchError(
        `${what} a private, loopback or reserved address, which Tunnelgate does not contact`,
      );
    }
    const target = addresses[0]!;
    const res = await options.transport.get(url, target.address, target.family, { timeoutMs, maxBytes });
    if (res.status >= 300 && res.status < 400)
      throw new CimdFetchError(`the server answered with a redirect (${res.status}), which is not followed`);
    if (res.status !== 200) throw new CimdFetchError(`the server answered ${res.status}`);
    if (Buffer.byteLength(res.body) > maxBytes)
      throw new CimdFetchError(`the document is larger than ${maxBytes} bytes`);
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      throw new CimdFetchError('the document is not JSON');
    }
    const record = validateDocument(clientId, doc, options.clock.now());
    // Bounded: anyone can name a client_id URL, so the cache must not grow without limit.
    if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(clientId, {
      record,
      expiresAt: options.clock.now() + cacheLifetime(res.headers['cache-control']),
    });
    return record;
  }

  return {
    /** The client described by the document at `clientId`; throws CimdFetchError with the reason. */
    async load(clientId: string): Promise<ClientRecord> {
      const hit = cache.get(clientId);
      if (hit && hit.expiresAt > options.clock.now()) return hit.record;
      const pending = inflight.get(clientId);
      if (pending) return pending;
      const p = fetchDocument(clientId).finally(() => inflight.delete(clientId));
      inflight.set(clientId, p);
      return p;
    },
    close(): void {
      cache.clear();
    },
  };
}

export type CimdResolver = ReturnType<typeof createCimdResolver>;

function cacheLifetime(cacheControl: string | undefined): number {
  if (cacheControl && /no-store|no-cache/i.test(cacheControl)) return MIN_CACHE_MS;
  const m = /max-age=(\d+)/i.exec(cacheControl ?? '');
  if (!m) return DEFAULT_CACHE_MS;
  return Math.min(MAX_CACHE_MS, Math.max(MIN_CACHE_MS, Number(m[1]) * 1000));
}

function validateDocument(clientId: string, doc: unknown, now: number): ClientRecord {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new CimdFetchError('the document is not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId)
    throw new CimdFetchError("the document's client_id is not exactly the URL it was fetched from");
  if ('client_secret' in d || 'client_secret_expires_at' in d)
    throw new CimdFetchError('the document contains a client_secret, which a metadata document must not');
  const method = d.token_endpoint_auth_method;
  if (method !== undefined && method !== 'none') {
    throw new CimdFetchError(
      `token_endpoint_auth_method "${String(method)}" is not supported; Tunnelgate serves public clients ("none")`,
    );
  }
  const uris = d.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0)
    throw new CimdFetchError('redirect_uris is missing or empty');
  for (const [i, uri] of uris.entries()) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new CimdFetchError(`redirect_uris[${i}] ${problem}`);
  }
  const name = cleanClientName(d.client_name, new URL(clientId).host);
  return {
    clientId,
    clientName: name,
    redirectUris: uris as string[],
    source: 'cimd',
    cimdUrl: clientId,
    createdAt: now,
  };
}
