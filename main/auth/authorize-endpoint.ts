import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendApprovalPage, sendDeniedPage, sendErrorPage, sendExpiredPage } from './approval-page.js';
import type { AuthContext } from './auth-context.js';
import type { LookupResult } from './client-registry.js';
import { DRY_RUN_CIMD_HEADER } from './doctor-access.js';
import { clientIp, rateKey, sendJson } from './http-util.js';
import { SCOPE_FULL, SCOPES_SUPPORTED } from '../../preload/contract.js';
import { OAUTH_PATHS, resourceFor, sameResource } from './metadata.js';
import { redirectUriMatches } from './redirect-uri.js';

/** The redirect URI with response parameters appended (RFC 6749 §4.1.2), keeping its own query. */
export function withParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.toString();
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
  res.end();
}

/** Requested scopes: the known ones; none (a reconnect often sends no `scope`) means mcp:full, for the owner to decide. */
function parseScopes(scope: string | null | undefined): string[] {
  const known = (scope ?? '').split(/\s+/).filter((s) => SCOPES_SUPPORTED.includes(s));
  return known.length ? [...new Set(known)] : [SCOPE_FULL];
}

/**
 * GET /oauth/authorize (OAuth 2.1 §4.1.1). Errors about the client or redirect URI are shown as a
 * page, never redirected (RFC 6749 §4.1.2.1), so an unregistered URI can never receive anything.
 * Everything else becomes a pending request that only the owner, in the app, can approve.
 */
export async function handleAuthorize(
  ctx: AuthContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const origin = ctx.origin(req);
  if (!origin)
    return sendErrorPage(
      res,
      503,
      'Tunnelgate does not know its public URL yet.',
      'Wait until the tunnel is up, then connect again.',
    );
  const ip = clientIp(req);
  if (ctx.limits.requests.take(rateKey(req)) > 0) {
    return sendErrorPage(
      res,
      429,
      'Too many authorization requests from this address.',
      'Wait a minute and try again.',
    );
  }
  const q = url.searchParams;
  for (const key of new Set(q.keys())) {
    if (q.getAll(key).length > 1)
      return sendErrorPage(
        res,
        400,
        `The parameter "${key}" appears more than once.`,
        'Send each parameter once (RFC 6749 §3.1).',
      );
  }
  const clientId = q.get('client_id');
  if (!clientId)
    return sendErrorPage(
      res,
      400,
      'The request has no client_id.',
      'The client must register (or use a client metadata URL) and send client_id.',
    );
  // The connection doctor's dry run: all checks, no approval request (auth/doctor-access.ts).
  const dryRun = ctx.doctor.isDryRun(req);
  const found = await (dryRun ? dryRunLookup(ctx, req, clientId) : ctx.clients.lookup(clientId));
  if (!found.ok)
    return sendErrorPage(res, 400, found.description, 'Remove the connector in the client and add it again.');
  const client = found.client;
  let redirectUri = q.get('redirect_uri');
  if (redirectUri === null) {
    // OAuth 2.1 §4.1.1: optional only when exactly one redirect URI is registered.
    if (client.redirectUris.length !== 1)
      return sendErrorPage(
        res,
        400,
        'The request has no redirect_uri and the client registered several.',
        'The client must send redirect_uri.',
      );
    redirectUri = client.redirectUris[0]!;
  } else if (!redirectUriMatches(client.redirectUris, redirectUri)) {
    return sendErrorPage(
      res,
      400,
      `The redirect_uri is not one this client registered: ${redirectUri}`,
      'Only an exactly matching, registered redirect URI is accepted; re-create the connector in the client.',
    );
  }
  if (!dryRun) ctx.clients.touch(client.clientId);
  const state = q.get('state') ?? undefined;
  // RFC 9700 §4.11.2: an error is redirected only to a URI the owner approved for this client (one
  // of its grants was made through it). Registration is open to anyone, so a registered URI alone is
  // unvetted: the AS would be an open redirector. Otherwise a page says what, with a link back.
  const fail = (error: string, description: string) => {
    // RFC 9207 §2: error responses carry `iss` too (mix-up defence needs it on every response).
    const answer = withParams(redirectUri, { error, error_description: description, state, iss: origin });
    if (ctx.grants.approvesRedirect(client.clientId, redirectUri)) return redirect(res, answer);
    sendErrorPage(
      res,
      400,
      `${description} (${error})`,
      'The client sent a request Tunnelgate cannot accept; update or re-create the connector in the client.',
      answer,
    );
  };

  if (q.get('response_type') !== 'code')
    return fail('unsupported_response_type', 'response_type must be "code".');
  const challenge = q.get('code_challenge');
  if (!challenge)
    return fail('invalid_request', 'code_challenge is required: PKCE with S256 (OAuth 2.1 §4.1.1).');
  // RFC 7636 §4.3: a missing method means "plain", which OAuth 2.1 servers must refuse here.
  if (q.get('code_challenge_method') !== 'S256')
    return fail(
      'invalid_request',
      'code_challenge_method must be "S256"; "plain" (or no method) is not accepted.',
    );
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge))
    return fail(
      'invalid_request',
      'code_challenge must be the base64url SHA-256 of the verifier (43 characters).',
    );
  const expected = resourceFor(origin);
  const resource = q.get('resource');
  if (!resource) return fail('invalid_target', `resource is required (RFC 8707); use ${expected}.`);
  if (!sameResource(resource, expected))
    return fail('invalid_target', `resource must be ${expected} (got ${resource.slice(0, 200)}).`);

  if (dryRun) {
    // What the owner would be asked to approve; nothing is created.
    sendJson(
      res,
      200,
      {
        dry_run: true,
        client_id: client.clientId,
        client_name: client.clientName,
        redirect_uri: redirectUri,
        resource: expected,
      },
      { noStore: true },
    );
    return;
  }
  const pending = ctx.pending.create({
    client,
    redirectUri,
    state,
    codeChallenge: challenge,
    resource: expected,
    requestedScopes: parseScopes(q.get('scope')),
    ip,
  });
  redirect(res, `${OAUTH_PATHS.approval}?request=${encodeURIComponent(pending.id)}`);
}

/**
 * A dry run names a CIMD client whose document the doctor supplies (ChatGPT's published shape): it is
 * checked by the same rules as a fetched one. Without one, the normal lookup (fetch or registry).
 */
function dryRunLookup(ctx: AuthContext, req: IncomingMessage, clientId: string): Promise<LookupResult> {
  const raw = req.headers[DRY_RUN_CIMD_HEADER];
  if (typeof raw !== 'string') return ctx.clients.lookup(clientId);
  return Promise.resolve(checkSuppliedDocument(ctx, raw, clientId));
}

function checkSuppliedDocument(ctx: AuthContext, raw: string, clientId: string): LookupResult {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return { ok: false as const, description: `The ${DRY_RUN_CIMD_HEADER} header is not base64url JSON.` };
  }
  return ctx.clients.checkDocument(clientId, doc);
}

/** GET /oauth/approval?request=ID: the waiting page, or the redirect once decided (no-JS fallback). */
export function handleApprovalPage(ctx: AuthContext, res: ServerResponse, url: URL): void {
  const r = ctx.pending.get(url.searchParams.get('request') ?? '');
  if (!r)
    return sendErrorPage(
      res,
      404,
      'This connection request is not known (it may have expired or Tunnelgate restarted).',
      'Start the connection again from the client.',
    );
  if ((r.status === 'approved' || r.status === 'denied') && r.redirectTo) return redirect(res, r.redirectTo);
  if (r.status === 'denied') return sendDeniedPage(res, r.returnTo);
  if (r.status === 'expired') return sendExpiredPage(res);
  sendApprovalPage(res, r);
}

/** GET /oauth/approval/status?request=ID[&wait=1]: JSON status, long-polling up to 20 s when asked. */
export async function handleApprovalStatus(ctx: AuthContext, res: ServerResponse, url: URL): Promise<void> {
  const id = url.searchParams.get('request') ?? '';
  let r = ctx.pending.get(id);
  let busy = false;
  if (r && r.status === 'pending' && url.searchParams.get('wait') === '1') {
    const closed = new Promise<boolean>((resolve) => res.once('close', () => resolve(true)));
    busy = !(await Promise.race([ctx.pending.waitForChange(id, 20_000), closed]));
    r = ctx.pending.get(id);
  }
  if (res.destroyed) return;
  if (!r) return sendJson(res, 404, { status: 'unknown' }, { noStore: true });
  // Too many polls already wait: answer now and tell the page when to ask again.
  const retry = busy && r.status === 'pending' ? { retry_after_ms: 3_000 } : {};
  sendJson(
    res,
    200,
    {
      status: r.status,
      redirect: r.status === 'pending' ? undefined : r.redirectTo,
      // Denied, to an address never approved for this client: a link for the person, not a redirect.
      ...(r.returnTo ? { return_to: r.returnTo } : {}),
      ...retry,
    },
    { noStore: true },
  );
}
