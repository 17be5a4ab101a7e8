import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthContext } from './auth-context.js';
import type { Grant } from './grant-store.js';
import {
  rateKey,
  CORS_HEADERS,
  mediaType,
  parseForm,
  readOAuthBody,
  sendJson,
  sendOAuthError,
} from './http-util.js';
import { resourceFor, sameResource } from './metadata.js';
import { autoRevokeMessage } from './grant-store.js';
import { redirectHost } from './redirect-uri.js';
import { secretEquals } from './secret-equals.js';
import { authenticateTokenClient, methodMismatch, type ClientAuth } from './token-client-auth.js';

const URL_CHANGED =
  'This grant is for another server address: the public URL changed. Remove the connector and add it again with the new URL.';

/** RFC 7636 §4.6: BASE64URL(SHA256(verifier)) must equal the stored challenge. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return secretEquals(createHash('sha256').update(verifier).digest('base64url'), challenge);
}

/** Reads and checks a form POST; answers the error itself and returns null when it is not one. */
export async function readTokenForm(
  req: IncomingMessage,
  res: ServerResponse,
  timeoutMs?: number,
): Promise<Map<string, string> | null> {
  const err = (d: string) => (sendOAuthError(res, 400, 'invalid_request', d, CORS_HEADERS), null);
  if (req.method !== 'POST') return err('Use POST with an application/x-www-form-urlencoded body.');
  if (mediaType(req) !== 'application/x-www-form-urlencoded')
    return err('The body must be application/x-www-form-urlencoded (RFC 6749 §3.2).');
  const body = await readOAuthBody(req, res, 'invalid_request', timeoutMs);
  if (body === null) return null;
  const { params, repeated } = parseForm(body);
  if (repeated) return err(`The parameter "${repeated}" appears more than once.`);
  return params;
}

/**
 * POST /oauth/token (OAuth 2.1 §3.2): authorization_code with PKCE, and refresh_token with rotation.
 * Every answer is `Cache-Control: no-store` (RFC 6749 §5.1); errors follow §5.2.
 */
/** Token and revocation requests before the tunnel gave the server its public URL (the token audience). */
export function sendOriginUnknown(res: ServerResponse): void {
  sendOAuthError(
    res,
    400,
    'invalid_request',
    'The server does not know its public URL yet; retry once the tunnel is up.',
    CORS_HEADERS,
  );
}

export async function handleToken(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const limitKey = rateKey(req);
  const params = await readTokenForm(req, res, ctx.bodyTimeoutMs);
  if (!params) return;
  const origin = ctx.origin(req);
  if (!origin) return sendOriginUnknown(res);
  // Only failures are limited, and a valid code or refresh token always works: ChatGPT calls from
  // addresses shared by all its users, so an attacker's failures there must not lock out the owner.
  // Codes and refresh tokens carry 256 bits, so the limit is about load, not guessing.
  const fail = (error: string, description: string, status = 400) => {
    const wait = ctx.limits.failures.take(limitKey);
    if (wait > 0)
      return sendOAuthError(res, 429, 'slow_down', 'Too many failed requests from this address.', {
        ...CORS_HEADERS,
        'Retry-After': String(wait),
      });
    sendOAuthError(res, status, error, description, CORS_HEADERS);
  };
  const auth = await authenticateTokenClient(ctx, req, params, origin);
  // RFC 6749 §5.2: a failed client authentication is invalid_client (401).
  if (!auth.ok) return fail('invalid_client', auth.description, 401);
  const grantType = params.get('grant_type');
  if (grantType === 'authorization_code') return exchangeCode(ctx, res, origin, params, auth, fail);
  if (grantType === 'refresh_token') return refresh(ctx, res, origin, params, auth, fail);
  if (!grantType) return fail('invalid_request', 'grant_type is required.');
  fail(
    'unsupported_grant_type',
    `grant_type "${grantType.slice(0, 60)}" is not supported; use authorization_code or refresh_token.`,
  );
}

type Fail = (error: string, description: string, status?: number) => void;
type Authenticated = Extract<ClientAuth, { ok: true }>;

async function exchangeCode(
  ctx: AuthContext,
  res: ServerResponse,
  origin: string,
  params: Map<string, string>,
  auth: Authenticated,
  fail: Fail,
) {
  const code = params.get('code');
  if (!code) return fail('invalid_request', 'code is required.');
  const verifier = params.get('code_verifier');
  if (!verifier) return fail('invalid_request', 'code_verifier is required (PKCE).');
  // The client is checked against what the code requires before the code is spent, so a request
  // without its assertion cannot burn the owner's approval.
  const peeked = ctx.codes.peek(code);
  const mismatch = peeked && methodMismatch(peeked.authMethod, auth);
  if (mismatch) return fail('invalid_client', mismatch, 401);
  const redeemed = ctx.codes.redeem(code);
  if (!redeemed.ok) {
    if (redeemed.reason === 'reused') {
      // OAuth 2.1 §4.1.3: a code used twice may be stolen: revoke what the first use issued.
      if (redeemed.grantId) await ctx.grants.revoke(redeemed.grantId, 'code-reuse');
      return fail('invalid_grant', autoRevokeMessage('code-reuse'));
    }
    return fail(
      'invalid_grant',
      redeemed.reason === 'expired'
        ? 'The authorization code expired. Connect again.'
        : 'The authorization code is not valid.',
    );
  }
  const info = redeemed.info;
  const clientId = auth.clientId;
  if (!clientId)
    return fail('invalid_request', 'client_id is required for public clients (OAuth 2.1 §3.2.1).');
  if (clientId !== info.clientId)
    return fail('invalid_grant', 'The authorization code was issued to another client.');
  const redirectUri = params.get('redirect_uri');
  // Identical to the one in the authorization request when sent (RFC 6749 §4.1.3): no loopback port
  // leniency here, that applies only to matching against the registration (RFC 8252 §7.3).
  if (redirectUri !== undefined && redirectUri !== info.redirectUri) {
    return fail('invalid_grant', 'redirect_uri does not match the one in the authorization request.');
  }
  if (!pkceMatches(verifier, info.codeChallenge))
    return fail('invalid_grant', 'code_verifier does not match the code_challenge (PKCE S256).');
  const resource = params.get('resource');
  if (resource !== undefined && !sameResource(resource, info.resource))
    return fail('invalid_target', `resource must be ${info.resource}.`);
  if (info.resource !== resourceFor(origin)) return fail('invalid_grant', URL_CHANGED);
  // The registration was in memory only; with a grant it must survive a restart (client-registry.ts).
  await ctx.clients.keep(info.clientId);
  const { grant, refreshToken } = await ctx.grants.create({
    clientId: info.clientId,
    clientName: info.clientName,
    cimdUrl: info.cimdUrl,
    redirectHost: redirectHost(info.redirectUri),
    redirectUri: info.redirectUri,
    scopes: info.scopes,
    resource: info.resource,
    ...(info.authMethod ? { authMethod: info.authMethod } : {}),
  });
  if (redeemed.markIssued(grant.id).reused) {
    // The code was replayed while this exchange was in flight: the grant is born revoked.
    await ctx.grants.revoke(grant.id, 'code-reuse');
    return fail('invalid_grant', autoRevokeMessage('code-reuse'));
  }
  sendTokens(ctx, res, origin, grant, refreshToken);
}

async function refresh(
  ctx: AuthContext,
  res: ServerResponse,
  origin: string,
  params: Map<string, string>,
  auth: Authenticated,
  fail: Fail,
) {
  const token = params.get('refresh_token');
  if (!token) return fail('invalid_request', 'refresh_token is required.');
  const named = ctx.grants.grantNamedBy(token);
  if (!named) {
    const gone = ctx.grants.autoRevocation(token.split('.')[0] ?? '');
    return fail(
      'invalid_grant',
      gone
        ? autoRevokeMessage(gone.reason)
        : 'The refresh token is not valid (revoked or unknown). Connect again.',
    );
  }
  const mismatch = methodMismatch(named.authMethod, auth);
  if (mismatch) return fail('invalid_client', mismatch, 401);
  if (auth.clientId !== undefined && auth.clientId !== named.clientId)
    return fail('invalid_grant', 'The refresh token was issued to another client.');
  const resource = params.get('resource');
  if (resource !== undefined && !sameResource(resource, named.resource))
    return fail('invalid_target', `resource must be ${named.resource}.`);
  const scope = params.get('scope');
  const asked = (scope ?? '').split(/\s+/).filter(Boolean);
  // Checked before rotating: a refused request must leave the current refresh token usable.
  if (asked.some((s) => !named.scopes.includes(s)))
    return fail('invalid_scope', `scope may only narrow the granted scopes (${named.scopes.join(' ')}).`);
  // Tokens for a URL that is gone would fail at once; say so here so the client starts over.
  if (named.resource !== resourceFor(origin)) return fail('invalid_grant', URL_CHANGED);
  const rotated = await ctx.grants.rotate(token);
  // The grace window is for the same client retrying; anyone else with an old token is a thief.
  const replay =
    (!rotated.ok && rotated.reason === 'replayed') || (rotated.ok && rotated.retry && !auth.clientId);
  if (replay) {
    // OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: a rotated-out token came back: someone has a copy. Revoke the grant.
    await ctx.grants.revoke(named.id, 'refresh-reuse');
    return fail('invalid_grant', autoRevokeMessage('refresh-reuse'));
  }
  if (!rotated.ok) {
    const why = {
      expired: 'The refresh token expired. Connect again.',
      superseded:
        'This refresh token was just replaced by another request; use the newest refresh token (the grant is kept).',
      unknown: 'The refresh token is not valid (revoked or unknown). Connect again.',
    } as const;
    return fail('invalid_grant', why[rotated.reason as keyof typeof why] ?? why.unknown);
  }
  const grant = asked.length
    ? { ...rotated.grant, scopes: rotated.grant.scopes.filter((s) => asked.includes(s)) }
    : rotated.grant;
  sendTokens(ctx, res, origin, grant, rotated.refreshToken);
}

function sendTokens(
  ctx: AuthContext,
  res: ServerResponse,
  origin: string,
  grant: Grant,
  refreshToken: string,
): void {
  const now = Math.floor(ctx.clock.now() / 1000);
  const scope = grant.scopes.join(' ');
  const accessToken = ctx.codec.sign({
    iss: origin,
    aud: grant.resource,
    sub: grant.id,
    client_id: grant.clientId,
    scope,
    iat: now,
    exp: now + ctx.accessTokenTtlSec,
    jti: randomBytes(12).toString('base64url'),
  });
  sendJson(
    res,
    200,
    {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ctx.accessTokenTtlSec,
      refresh_token: refreshToken,
      scope,
    },
    { noStore: true, headers: CORS_HEADERS },
  );
}
