import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthContext } from './auth-context.js';
import { CORS_HEADERS, sendOAuthError } from './http-util.js';
import { readTokenForm } from './token-endpoint.js';

/**
 * POST /oauth/revoke (RFC 7009). A refresh token revokes its whole grant (§2.1: access tokens from the
 * same grant go too); an access token is denied from its next use until it would have expired.
 * Unknown tokens still get 200 (§2.2), so the endpoint reveals nothing.
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
  const clientId = params.get('client_id');
  const otherClient = () =>
    sendOAuthError(res, 400, 'unauthorized_client', 'This token was issued to another client.', CORS_HEADERS);
  const grant = ctx.grants.grantOfRefreshToken(token);
  if (grant) {
    if (clientId !== undefined && clientId !== grant.clientId) return otherClient();
    await ctx.grants.revoke(grant.id);
  } else {
    const claims = ctx.codec.verify(token);
    if (claims) {
      if (clientId !== undefined && clientId !== claims.client_id) return otherClient();
      await ctx.grants.revokeJti(claims.jti, claims.exp);
    }
  }
  res.writeHead(200, { 'Cache-Control': 'no-store', 'Content-Length': '0', ...CORS_HEADERS });
  res.end();
}
