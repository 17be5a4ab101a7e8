import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthContext } from './auth-context.js';
import { CORS_HEADERS, rateKey, mediaType, readOAuthBody, sendJson, sendOAuthError } from './http-util.js';

/**
 * POST /oauth/register: Dynamic Client Registration (RFC 7591). Accepts ChatGPT's body
 * (`token_endpoint_auth_method: "none"`, sometimes `application_type: "web"`, sometimes no `scope`).
 * Registering grants nothing by itself: every authorization still waits for the owner.
 */
export async function handleRegister(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST')
    return sendOAuthError(res, 405, 'invalid_request', 'Use POST with a JSON body.', {
      ...CORS_HEADERS,
      Allow: 'POST, OPTIONS',
    });
  const wait = ctx.limits.requests.take(rateKey(req));
  if (wait > 0)
    return sendOAuthError(res, 429, 'invalid_request', 'Too many registrations from this address.', {
      ...CORS_HEADERS,
      'Retry-After': String(wait),
    });
  if (mediaType(req) !== 'application/json')
    return sendOAuthError(
      res,
      400,
      'invalid_client_metadata',
      'The body must be application/json (RFC 7591 §3.1).',
      CORS_HEADERS,
    );
  const text = await readOAuthBody(req, res, 'invalid_client_metadata', ctx.bodyTimeoutMs);
  if (text === null) return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return sendOAuthError(res, 400, 'invalid_client_metadata', 'The body is not valid JSON.', CORS_HEADERS);
  }
  // The connection doctor's dry run (auth/doctor-access.ts): every check, nothing stored.
  const dryRun = ctx.doctor.isDryRun(req);
  const result = await ctx.clients.register(body, { dryRun });
  if (!result.ok) return sendOAuthError(res, 400, result.error, result.description, CORS_HEADERS);
  if (dryRun)
    return sendJson(
      res,
      200,
      { ...result.response, dry_run: true },
      { noStore: true, headers: CORS_HEADERS },
    );
  sendJson(res, 201, result.response, { noStore: true, headers: CORS_HEADERS });
}
