import type * as JoseModule from 'jose';
import type { FlattenedJWSInput, JSONWebKeySet, JWSHeaderParameters } from 'jose';
import { CimdFetchError } from './cimd-transport.js';
import { ASSERTION_ALGS, type ClientJwks } from './client-jwks.js';
import type { ClientRecord } from './client-record.js';
import type { Clock } from '../common/clock.js';

/** RFC 7523 §2.2: the client_assertion_type of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Longest accepted assertion lifetime: RFC 7523 §3 lets the server reject an exp far in the future. */
const MAX_ASSERTION_LIFETIME_SEC = 300;
/** Clock skew tolerated on exp and nbf. */
const SKEW_SEC = 30;
/** Single-use jti entries kept at once; each comes from a verified signature, so only real clients fill it. */
const MAX_JTIS = 20_000;

type Jose = typeof JoseModule;
let joseLoading: Promise<Jose> | undefined;
/** jose loads with the first assertion: most gateways never see one (issue 16: memory of `serve`). */
export function loadJose(): Promise<Jose> {
  joseLoading ??= import('jose');
  return joseLoading;
}

export type AssertionResult = { ok: true } | { ok: false; description: string };

/**
 * Verifies RFC 7523 client assertions (private_key_jwt) with `jose`: signature against the client's
 * JWKS, iss = sub = client_id, aud = the token endpoint or the issuer, a short exp, a single-use jti,
 * and an algorithm from the allow-list (or the one the document pins): never `none`, never HS*, and
 * never just what the token's header says.
 */
export function createAssertionVerifier(deps: { clock: Clock; jwks: ClientJwks }) {
  /** Seen jti values ("client_id jti") until their assertion expires (RFC 7523 §3 item 7). */
  const seen = new Map<string, number>();

  function sweep(nowMs: number): void {
    for (const [k, exp] of seen) if (exp <= nowMs) seen.delete(k);
  }

  /** A key resolver over the client's JWKS that refetches once on an unknown kid (key rotation). */
  function keyResolver({ createLocalJWKSet, errors }: Jose, client: ClientRecord, first: JSONWebKeySet) {
    return async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
      try {
        return await createLocalJWKSet(first)(header, token);
      } catch (err) {
        if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
        const fresh = await deps.jwks.refetch(client);
        if (!fresh) throw err;
        return createLocalJWKSet(fresh)(header, token);
      }
    };
  }

  return {
    async verify(
      client: ClientRecord,
      assertion: string,
      audiences: { issuer: string; tokenEndpoint: string },
    ): Promise<AssertionResult> {
      const fail = (description: string): AssertionResult => ({ ok: false, description });
      let keys: JSONWebKeySet;
      try {
        keys = await deps.jwks.keys(client);
      } catch (err) {
        const why = err instanceof CimdFetchError ? err.message : 'it could not be fetched';
        return fail(`The client's JWKS (${client.jwksUri ?? 'jwks'}) could not be used: ${why}.`);
      }
      const jose = await loadJose();
      const algorithms = client.signingAlg ? [client.signingAlg] : [...ASSERTION_ALGS];
      const now = deps.clock.now();
      let payload: { exp?: number; jti?: string };
      try {
        ({ payload } = await jose.jwtVerify(assertion, keyResolver(jose, client, keys), {
          algorithms,
          issuer: client.clientId,
          subject: client.clientId,
          audience: [audiences.tokenEndpoint, audiences.issuer],
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
          currentDate: new Date(now),
          clockTolerance: SKEW_SEC,
        }));
      } catch (err) {
        return fail(describe(jose.errors, err, client, algorithms, audiences));
      }
      const exp = payload.exp!;
      if (exp - now / 1000 > MAX_ASSERTION_LIFETIME_SEC + SKEW_SEC)
        return fail(
          `The client_assertion is valid for ${Math.round(exp - now / 1000)} s; at most ${MAX_ASSERTION_LIFETIME_SEC} s is accepted. Sign a fresh, short-lived assertion for each request.`,
        );
      const jti = String(payload.jti);
      if (jti.length > 256) return fail('The client_assertion jti is longer than 256 characters.');
      const key = `${client.clientId} ${jti}`;
      // Checked and recorded with no await in between: two concurrent requests cannot both pass.
      if (seen.has(key))
        return fail(
          'The client_assertion was already used (its jti was seen before); sign a new one for each request (RFC 7523 §3).',
        );
      if (seen.size >= MAX_JTIS) sweep(now);
      if (seen.size >= MAX_JTIS)
        return fail('Too many client assertions in the last minutes; retry shortly.');
      seen.set(key, (exp + SKEW_SEC) * 1000);
      return { ok: true };
    },

    close(): void {
      seen.clear();
    },
  };
}

export type AssertionVerifier = ReturnType<typeof createAssertionVerifier>;

/** A reason a client developer can act on, for each way jose refuses an assertion. */
function describe(
  errors: Jose['errors'],
  err: unknown,
  client: ClientRecord,
  algorithms: string[],
  audiences: { issuer: string; tokenEndpoint: string },
): string {
  const allowed = algorithms.join(', ');
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return `The client_assertion's "alg" is not accepted; sign it with ${allowed} (never "none" or HS*).`;
  if (err instanceof errors.JWKSNoMatchingKey)
    return `No key in the client's JWKS matches the client_assertion's "kid" and "alg" (after one refetch); publish the signing key in ${client.jwksUri ?? 'jwks'}.`;
  if (err instanceof errors.JWKSMultipleMatchingKeys)
    return 'Several keys in the client\'s JWKS match the client_assertion; name the signing key with "kid".';
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return "The client_assertion's signature does not verify with the client's published key.";
  if (err instanceof errors.JWTExpired) return 'The client_assertion expired; sign a fresh one.';
  if (err instanceof errors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (err.reason === 'missing') return `The client_assertion has no "${claim}" claim (RFC 7523 §3).`;
    if (claim === 'aud')
      return `The client_assertion's "aud" must be the token endpoint (${audiences.tokenEndpoint}) or the issuer (${audiences.issuer}).`;
    if (claim === 'iss' || claim === 'sub')
      return `The client_assertion's "${claim}" must be the client_id (${client.clientId}).`;
    if (claim === 'nbf') return 'The client_assertion is not valid yet ("nbf" is in the future).';
    return `The client_assertion's "${claim}" claim is not valid.`;
  }
  return 'The client_assertion is not a valid signed JWT (JWS compact form).';
}
