import type { JSONWebKeySet } from 'jose';
import type { ClientRecord } from './client-record.js';
import { CimdFetchError, type CimdTransport } from './cimd-transport.js';
import { cacheLifetime, guardedGet } from './guarded-fetch.js';
import type { Clock } from '../common/clock.js';

/**
 * Signature algorithms accepted for client assertions (RFC 7523 §3, RFC 7518 §3). Asymmetric only:
 * `none` and HS* (a shared secret, which a metadata document cannot hold) are never accepted.
 */
export const ASSERTION_ALGS = ['RS256', 'PS256', 'ES256'] as const;

/** Private-key members (RFC 7518 §6.2.2, §6.3.2): a published key holding one is compromised. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Why `value` is not a usable JWKS of public signature keys, or null. */
export function jwksProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const keys = (value as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) return 'has no "keys" array with at least one key';
  for (const [i, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null || Array.isArray(key)) return `keys[${i}] is not an object`;
    const k = key as Record<string, unknown>;
    if (k.kty !== 'RSA' && k.kty !== 'EC')
      return `keys[${i}] has kty ${JSON.stringify(k.kty)}; only RSA and EC public keys are accepted`;
    if (PRIVATE_MEMBERS.some((m) => m in k))
      return `keys[${i}] contains private key material, which must never be published`;
  }
  return null;
}

const MAX_ENTRIES = 200;

/**
 * JWKS of private_key_jwt clients: inline `jwks` from the metadata document, or `jwks_uri` fetched
 * through the same guard as the documents and cached by Cache-Control. An unknown `kid` may trigger
 * one refetch (key rotation), at most once per `refetchCooldownMs` per URL, so a flood of made-up kids
 * cannot make Tunnelgate hammer the client's server.
 */
export function createClientJwks(deps: {
  transport: CimdTransport;
  clock: Clock;
  maxBytes?: number;
  timeoutMs?: number;
  refetchCooldownMs?: number;
}) {
  const maxBytes = deps.maxBytes ?? 64 * 1024;
  const timeoutMs = deps.timeoutMs ?? 5_000;
  const cooldownMs = deps.refetchCooldownMs ?? 30_000;
  const cache = new Map<string, { jwks: JSONWebKeySet; expiresAt: number; fetchedAt: number }>();
  const inflight = new Map<string, Promise<JSONWebKeySet>>();

  async function fetchJwks(uri: string): Promise<JSONWebKeySet> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new CimdFetchError('jwks_uri is not a URL');
    }
    const res = await guardedGet(url, deps.transport, { timeoutMs, maxBytes }, 'JWKS');
    let doc: unknown;
    try {
      doc = JSON.parse(res.body);
    } catch {
      throw new CimdFetchError('the JWKS is not JSON');
    }
    const problem = jwksProblem(doc);
    if (problem) throw new CimdFetchError(`the JWKS ${problem}`);
    const now = deps.clock.now();
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(uri, {
      jwks: doc as JSONWebKeySet,
      fetchedAt: now,
      expiresAt: now + cacheLifetime(res.headers['cache-control']),
    });
    return doc as JSONWebKeySet;
  }

  function load(uri: string): Promise<JSONWebKeySet> {
    const pending = inflight.get(uri);
    if (pending) return pending;
    const p = fetchJwks(uri).finally(() => inflight.delete(uri));
    inflight.set(uri, p);
    return p;
  }

  return {
    /** The client's current key set; throws CimdFetchError when it cannot be had. */
    async keys(client: ClientRecord): Promise<JSONWebKeySet> {
      if (client.jwks) return client.jwks;
      if (!client.jwksUri) throw new CimdFetchError('the client has neither jwks nor jwks_uri');
      const hit = cache.get(client.jwksUri);
      if (hit && hit.expiresAt > deps.clock.now()) return hit.jwks;
      return load(client.jwksUri);
    },

    /** A fresh copy after an unknown kid, or null when not allowed yet (inline keys, or cooling down). */
    async refetch(client: ClientRecord): Promise<JSONWebKeySet | null> {
      if (!client.jwksUri) return null;
      const hit = cache.get(client.jwksUri);
      if (hit && deps.clock.now() - hit.fetchedAt < cooldownMs) return null;
      return load(client.jwksUri);
    },

    close(): void {
      cache.clear();
    },
  };
}

export type ClientJwks = ReturnType<typeof createClientJwks>;
