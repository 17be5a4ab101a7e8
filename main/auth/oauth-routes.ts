import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthContext } from './auth-context.js';
import { handleApprovalPage, handleApprovalStatus, handleAuthorize } from './authorize-endpoint.js';
import { CORS_HEADERS, sendJson, sendPreflight } from './http-util.js';
import { authorizationServerMetadata, OAUTH_PATHS, protectedResourceMetadata } from './metadata.js';
import { handleRegister } from './register-endpoint.js';
import { handleRevoke } from './revoke-endpoint.js';
import { handleToken } from './token-endpoint.js';

function methodNotAllowed(res: ServerResponse, allow: string): boolean {
  sendJson(res, 405, { error: 'method_not_allowed' }, { headers: { Allow: allow } });
  return true;
}

/**
 * The authorization server's public routes: RFC 9728 and RFC 8414 metadata, the OAuth endpoints and
 * the approval page. Returns false for any other path (the front then answers 404).
 */
export async function routeOAuth(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  const isMetadata = path.startsWith('/.well-known/');
  if (
    method === 'OPTIONS' &&
    (isMetadata || [OAUTH_PATHS.token, OAUTH_PATHS.register, OAUTH_PATHS.revoke].includes(path as never))
  ) {
    sendPreflight(res);
    return true;
  }
  if (isMetadata && method !== 'GET' && method !== 'HEAD') {
    sendJson(
      res,
      405,
      { error: 'method_not_allowed' },
      { headers: { ...CORS_HEADERS, Allow: 'GET, HEAD, OPTIONS' } },
    );
    return true;
  }
  const head = method === 'HEAD';
  const current = ctx.origin(req);
  const meta = (body: () => Record<string, unknown>) => {
    if (!current)
      sendJson(
        res,
        404,
        { error: 'not_found', error_description: 'The public URL is not known yet.' },
        { headers: CORS_HEADERS, head },
      );
    else sendJson(res, 200, body(), { headers: { ...CORS_HEADERS, 'Cache-Control': 'no-cache' }, head });
  };
  switch (path) {
    case '/.well-known/oauth-protected-resource':
    case '/.well-known/oauth-protected-resource/mcp':
      meta(() => protectedResourceMetadata(current!));
      return true;
    case '/.well-known/oauth-authorization-server':
    case '/.well-known/oauth-authorization-server/mcp':
      meta(() => authorizationServerMetadata(current!));
      return true;
    case '/.well-known/openid-configuration':
    case '/.well-known/openid-configuration/mcp':
      // Not an OpenID provider; a clean 404 lets clients fall back to RFC 8414 (never a 5xx).
      sendJson(
        res,
        404,
        {
          error: 'not_found',
          error_description: 'Not an OpenID provider; use /.well-known/oauth-authorization-server.',
        },
        { headers: CORS_HEADERS, head },
      );
      return true;
    case OAUTH_PATHS.authorize:
      // GET only: a HEAD must not create a pending request.
      if (method !== 'GET') return methodNotAllowed(res, 'GET');
      await handleAuthorize(ctx, req, res, new URL(req.url ?? '/', 'http://x'));
      return true;
    case OAUTH_PATHS.approval:
      handleApprovalPage(ctx, res, new URL(req.url ?? '/', 'http://x'));
      return true;
    case OAUTH_PATHS.approvalStatus:
      await handleApprovalStatus(ctx, res, new URL(req.url ?? '/', 'http://x'));
      return true;
    case OAUTH_PATHS.token:
      await handleToken(ctx, req, res);
      return true;
    case OAUTH_PATHS.register:
      await handleRegister(ctx, req, res);
      return true;
    case OAUTH_PATHS.revoke:
      await handleRevoke(ctx, req, res);
      return true;
    default:
      return false;
  }
}
