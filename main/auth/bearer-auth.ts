import type { IncomingMessage } from 'node:http';
import type { AuthContext } from './auth-context.js';
import { autoRevokeMessage } from './grant-store.js';
import { DOCTOR_SUBJECT } from './doctor-access.js';
import { header, rateKey } from './http-util.js';
import { SCOPE_FULL, SCOPES_SUPPORTED } from '../../preload/contract.js';
import { sameResource } from './metadata.js';
import type { AuthDecision } from './types.js';

/** The challenge parameter value, quoted per RFC 6750 §3 (no quotes or backslashes inside). */
const q = (s: string) => `"${s.replace(/["\\]/g, '')}"`;

/**
 * Checks the bearer token of an MCP request (RFC 6750, MCP authorization spec). The token is only
 * read here: the front never passes client headers to an upstream, so a client's token is never
 * forwarded (MCP spec: token passthrough is forbidden).
 */
export function authenticateBearer(ctx: AuthContext, req: IncomingMessage): AuthDecision {
  const origin = ctx.origin(req);
  if (!origin) {
    // Reached through the tunnel before its URL is known: nothing can be checked yet, so ask to retry.
    return {
      ok: false,
      status: 503,
      headers: { 'Retry-After': '5' },
      body: {
        error: 'temporarily_unavailable',
        error_description: 'The gateway does not know its public URL yet; retry in a few seconds.',
      },
    };
  }
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const challenge = (extra: string) =>
    `Bearer ${extra}resource_metadata=${q(metadataUrl)}, scope=${q(SCOPE_FULL)}`;
  const limitKey = rateKey(req);
  const auth = header(req, 'authorization');
  const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(auth ?? '');
  if (!auth) {
    // RFC 6750 §3.1: no credentials at all: a bare challenge, no error code (and no penalty).
    return {
      ok: false,
      status: 401,
      headers: { 'WWW-Authenticate': challenge('') },
      body: {
        error: 'unauthorized',
        error_description: 'This MCP server requires OAuth; see the resource metadata.',
      },
    };
  }
  // Only failures are limited, and a valid token always passes: ChatGPT calls from addresses shared
  // by all its users, so an attacker's failures there must not lock out the owner. Tokens are MAC'd,
  // so the limit is about load, not guessing.
  const invalid = (why: string): AuthDecision => {
    const wait = ctx.limits.failures.take(limitKey);
    if (wait > 0) {
      return {
        ok: false,
        status: 429,
        headers: { 'Retry-After': String(wait) },
        body: {
          error: 'too_many_requests',
          error_description: 'Too many failed authentications from this address; retry later.',
        },
      };
    }
    return {
      ok: false,
      status: 401,
      headers: { 'WWW-Authenticate': challenge(`error="invalid_token", error_description=${q(why)}, `) },
      body: { error: 'invalid_token', error_description: why },
    };
  };
  if (!m) return invalid('The Authorization header is not a bearer token.');
  const claims = ctx.codec.verify(m[1]!);
  if (!claims) return invalid('The access token is not valid.');
  if (claims.exp <= ctx.clock.now() / 1000) return invalid('The access token expired.');
  if (claims.iss !== origin || !sameResource(claims.aud, `${origin}/mcp`)) {
    return invalid(
      'The access token was issued for another server address; the public URL changed, so connect again.',
    );
  }
  // The owner's connection doctor: a token minted in this process, with no grant behind it.
  if (claims.sub === DOCTOR_SUBJECT) {
    const doctor = ctx.doctor.principal(claims);
    return doctor
      ? { ok: true, principal: doctor }
      : invalid('The doctor token expired; run the check again.');
  }
  const grant = ctx.grants.get(claims.sub);
  if (!grant || grant.clientId !== claims.client_id) {
    // Say who revoked it: Tunnelgate itself (a reused refresh token or code) is not "the owner".
    const auto = ctx.grants.autoRevocation(claims.sub);
    return invalid(auto ? autoRevokeMessage(auto.reason) : 'The access was revoked by the owner.');
  }
  if (ctx.grants.isJtiRevoked(claims.jti)) return invalid('The access token was revoked.');
  const waitCalls = ctx.limits.calls.take(grant.clientId);
  if (waitCalls > 0) {
    return {
      ok: false,
      status: 429,
      headers: { 'Retry-After': String(waitCalls) },
      body: {
        error: 'too_many_requests',
        error_description: 'Too many calls from this client; retry later.',
      },
    };
  }
  ctx.grants.touch(grant.id);
  // The owner's grant caps the token's scopes (a refresh may have narrowed them further).
  const scopes = claims.scope
    .split(' ')
    .filter((s) => grant.scopes.includes(s) && SCOPES_SUPPORTED.includes(s));
  return {
    ok: true,
    principal: {
      kind: 'oauth',
      clientId: grant.clientId,
      clientName: grant.clientName,
      grantId: grant.id,
      scopes,
    },
  };
}
