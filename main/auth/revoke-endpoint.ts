import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthContext } from './auth-context.js';
import { CORS_HEADERS, sendOAuthError } from './http-util.js';
import { authenticateTokenClient, methodMismatch } from './token-client-auth.js';
import { readTokenForm, sendOriginUnknown } from './token-endpoint.js';

/**
 * POST /oauth/revoke (RFC 7009). A refresh token revokes its whole grant (§2.1: access tokens from the
 * same grant go too); an access token is denied from its next use until it would have expired.
 * Unknown tokens still get 200 (§2.2), so the endpoint reveals nothing.
 *
 * Client authentication (§2.1) is the token endpoint's: a grant made for a private_key_jwt client
 * (ChatGPT's metadata document) is revoked only with a valid client_assertion, so a leaked refresh token
 * alone cannot disconnect the owner's connector. Public clients name themselves with client_id.
 */
export async function handleRevoke(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const params = await readTokenForm(req, res, ctx.bodyTimeoutMs);
  if (!params) return;
  const token = params.get('token');
  if (!token) return sendOAuthError(res, 400, 'invalid_request', 'token is required.', CORS_HEADERS);
  const origin = ctx.origin(req);
  if (!origin) return sendOriginUnknown(res);
  const auth = await authenticateTokenClient(ctx, req, params, origin);
  // RFC 7009 §2.2.1 refers to RFC 6749 §5.2: a failed client authentication is invalid_client (401).
  if (!auth.ok) return sendOAuthError(res, 401, 'invalid_client', auth.description, CORS_HEADERS);
  const otherClient = () =>
    sendOAuthError(res, 400, 'unauthorized_client', 'This token was issued to another client.', CORS_HEADERS);

  let grant = ctx.grants.grantOfRefreshToken(token);
  const claims = grant ? undefined : ctx.codec.verify(token);
  if (!grant && claims) grant = ctx.grants.get(claims.sub);
  const owner = grant?.clientId ?? claims?.client_id;
  if (owner !== undefined) {
    if (auth.clientId !== undefined && auth.clientId !== owner) return otherClient();
    const mismatch = grant ? methodMismatch(grant.authMethod, auth) : null;
    if (mismatch) return sendOAuthError(res, 401, 'invalid_client', mismatch, CORS_HEADERS);
    if (claims) await ctx.grants.revokeJti(claims.jti, claims.exp);
    else if (grant) await ctx.grants.revoke(grant.id);
  }
  res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Length': '0', ...CORS_HEADERS });
  res.end();
}
