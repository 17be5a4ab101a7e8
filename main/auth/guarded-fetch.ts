import { isPublicAddress } from './address-filter.js';
import { CimdFetchError, type CimdTransport } from './cimd-transport.js';

/**
 * The one SSRF guard for everything a client names and Tunnelgate then fetches: Client ID Metadata
 * Documents and the JWKS behind a `jwks_uri` (PROTOCOL.md: https only, no private addresses, no
 * redirects, size and time limits). The caller checks the URL's shape first; this checks where it goes.
 */
export async function guardedGet(
  url: URL,
  transport: CimdTransport,
  limits: { timeoutMs: number; maxBytes: number },
  what: string,
): Promise<{ body: string; headers: Record<string, string | undefined> }> {
  if (url.protocol !== 'https:') throw new CimdFetchError(`the ${what} URL must use https`);
  if (url.username || url.password)
    throw new CimdFetchError(`the ${what} URL must not contain a user name or password`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  const literal = /^[\d.]+$/.test(host) || host.includes(':');
  if (literal) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await transport.resolve(host);
    } catch {
      throw new CimdFetchError(`the host name ${host} does not resolve`);
    }
  }
  if (addresses.length === 0) throw new CimdFetchError(`the host name ${host} does not resolve`);
  // Every answer must be public: a mixed answer is how rebinding attacks start.
  const refused = addresses.find((a) => !isPublicAddress(a.address));
  if (refused) {
    // The message reaches whoever named the URL: for a host name, do not tell them what it resolves
    // to on the owner's network (internal DNS would become an oracle).
    const where = literal ? `${refused.address},` : `${host} resolves to`;
    throw new CimdFetchError(
      `${where} a private, loopback or reserved address, which Tunnelgate does not contact`,
    );
  }
  const target = addresses[0]!;
  const res = await transport.get(url, target.address, target.family, limits);
  if (res.status >= 300 && res.status < 400)
    throw new CimdFetchError(`the server answered with a redirect (${res.status}), which is not followed`);
  if (res.status !== 200) throw new CimdFetchError(`the server answered ${res.status}`);
  if (Buffer.byteLength(res.body) > limits.maxBytes)
    throw new CimdFetchError(`the ${what} is larger than ${limits.maxBytes} bytes`);
  return { body: res.body, headers: res.headers };
}

const MIN_CACHE_MS = 60_000;
const MAX_CACHE_MS = 24 * 3_600_000;
const DEFAULT_CACHE_MS = 10 * 60_000;

/** How long to keep a fetched document: its Cache-Control max-age, clamped to [1 min, 24 h]. */
export function cacheLifetime(cacheControl: string | undefined): number {
  if (cacheControl && /no-store|no-cache/i.test(cacheControl)) return MIN_CACHE_MS;
  const m = /max-age=(\d+)/i.exec(cacheControl ?? '');
  if (!m) return DEFAULT_CACHE_MS;
  return Math.min(MAX_CACHE_MS, Math.max(MIN_CACHE_MS, Number(m[1]) * 1000));
}
