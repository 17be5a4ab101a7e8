import { CimdFetchError, type CimdTransport } from './cimd-transport.js';
import { ASSERTION_ALGS, jwksProblem } from './client-jwks.js';
import { cleanClientName } from './client-name.js';
import type { ClientRecord } from './client-record.js';
import { cacheLifetime, guardedGet } from './guarded-fetch.js';
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
    const res = await guardedGet(new URL(clientId), options.transport, { timeoutMs, maxBytes }, 'document');
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
    /** Checks a document by the rules a fetched one must pass, without fetching or caching it. */
    accept(clientId: string, doc: unknown): ClientRecord {
      const problem = cimdUrlProblem(clientId);
      if (problem) throw new CimdFetchError(`the client_id URL ${problem}`);
      return validateDocument(clientId, doc, options.clock.now());
    },
    close(): void {
      cache.clear();
    },
  };
}

export type CimdResolver = ReturnType<typeof createCimdResolver>;

function validateDocument(clientId: string, doc: unknown, now: number): ClientRecord {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new CimdFetchError('the document is not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.client_id !== clientId)
    throw new CimdFetchError("the document's client_id is not exactly the URL it was fetched from");
  if ('client_secret' in d || 'client_secret_expires_at' in d)
    throw new CimdFetchError('the document contains a client_secret, which a metadata document must not');
  const auth = authOf(d);
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
    ...auth,
  };
}

/**
 * How the client authenticates at the token endpoint. A metadata document is public, so it can only
 * describe a public client (`none` + PKCE) or one that signs RFC 7523 assertions with a key pair it
 * publishes (`private_key_jwt`, what ChatGPT's document declares). Shared-secret methods have no
 * place in it (draft-ietf-oauth-client-id-metadata-document §4.1).
 */
function authOf(
  d: Record<string, unknown>,
): Pick<ClientRecord, 'authMethod' | 'jwksUri' | 'jwks' | 'signingAlg'> {
  const method = d.token_endpoint_auth_method;
  if (method === undefined || method === 'none') return {};
  if (typeof method === 'string' && method.startsWith('client_secret_'))
    throw new CimdFetchError(
      `token_endpoint_auth_method "${method}" needs a shared secret, which a public metadata document cannot hold; use "private_key_jwt" or "none"`,
    );
  if (method !== 'private_key_jwt')
    throw new CimdFetchError(
      `token_endpoint_auth_method ${JSON.stringify(method)} is not supported; use "private_key_jwt" or "none"`,
    );
  const alg = d.token_endpoint_auth_signing_alg;
  if (alg !== undefined && !(ASSERTION_ALGS as readonly unknown[]).includes(alg))
    throw new CimdFetchError(
      `token_endpoint_auth_signing_alg ${JSON.stringify(alg)} is not accepted; use one of ${ASSERTION_ALGS.join(', ')}`,
    );
  const signing = typeof alg === 'string' ? { signingAlg: alg } : {};
  const { jwks_uri: uri, jwks } = d;
  // RFC 7591 §2: jwks_uri and jwks must not both be present.
  if (uri !== undefined && jwks !== undefined)
    throw new CimdFetchError('the document has both jwks_uri and jwks; it must name its keys one way only');
  if (uri !== undefined) {
    if (typeof uri !== 'string' || !/^https:\/\/[^/]/.test(uri) || uri.includes('#'))
      throw new CimdFetchError('jwks_uri must be an https URL without a fragment');
    return { authMethod: 'private_key_jwt', jwksUri: uri, ...signing };
  }
  if (jwks !== undefined) {
    const problem = jwksProblem(jwks);
    if (problem) throw new CimdFetchError(`jwks ${problem}`);
    return { authMethod: 'private_key_jwt', jwks: jwks as ClientRecord['jwks'], ...signing };
  }
  throw new CimdFetchError(
    'token_endpoint_auth_method is "private_key_jwt" but the document has neither jwks_uri nor jwks, so its client assertions cannot be checked',
  );
}
