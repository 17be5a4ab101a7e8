import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConcurrencyCap } from './concurrency-cap.js';
import type { Principal, PublicAuthHook } from '../../auth/types.js';
import { createSecretMatcher } from '../../auth/secret-equals.js';
import { SCOPE_FULL } from '../../../preload/contract.js';
import type { HostOriginPolicy } from './host-origin.js';
import { headerValue, sendJson, sendRpcError } from './http-util.js';
import { INTERNAL_ERROR, TRANSPORT_ERROR } from './protocol.js';

/** The principal used when no auth hook is installed (`--auth none` on loopback). */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  kind: 'local',
  scopes: Object.freeze([SCOPE_FULL]),
}) as Principal;

export interface PublicHandlerDeps {
  policy: HostOriginPolicy;
  auth?: PublicAuthHook;
  endpoint: { handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> };
  /** Caps requests in flight (all routes); without it nothing is capped. */
  cap?: Pick<ConcurrencyCap, 'guard'>;
}

/**
 * The public listener's request handler (what the tunnel forwards to), usable without a socket:
 * Host/Origin allow-list, then auth's own routes, then MCP at the auth hook's paths; anything else 404.
 */
export function createPublicHandler(deps: PublicHandlerDeps) {
  const { policy, auth } = deps;
  const isMcpPath = createSecretMatcher();
  const DEFAULT_PATHS = ['/mcp'];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host;
    if (!policy.hostAllowed(host)) {
      sendRpcError(
        res,
        403,
        TRANSPORT_ERROR,
        `Forbidden: Host '${host ?? ''}' is not this gateway's address (allowed: 127.0.0.1, localhost, [::1] on this port, and the public URL's host); this guards against DNS rebinding`,
      );
      return;
    }
    const origin = headerValue(req.headers.origin);
    if (!policy.originAllowed(origin)) {
      sendRpcError(
        res,
        403,
        TRANSPORT_ERROR,
        `Forbidden: Origin '${origin ?? ''}' is not an allowed client origin`,
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (auth !== undefined && (await auth.handle(req, res, url))) return;
    const paths = auth?.mcpPaths() ?? DEFAULT_PATHS;
    // '/mcp' is public knowledge and needs no care; any other MCP path carries `--auth none`'s secret
    // segment, the only key there, so it is compared in constant time.
    const isPublicPath = url.pathname === '/mcp' && paths.includes('/mcp');
    if (!isPublicPath && !isMcpPath(url.pathname, paths)) {
      // Never name the MCP path here: with `--auth none` it contains the secret segment.
      sendJson(res, 404, { error: 'not_found', message: 'Not found' });
      req.resume();
      return;
    }
    let principal = LOCAL_PRINCIPAL;
    if (auth !== undefined) {
      const decision = await auth.authenticate(req, url);
      if (!decision.ok) {
        const body = decision.body === undefined ? '' : JSON.stringify(decision.body);
        res.writeHead(decision.status, {
          ...(body === '' ? {} : { 'Content-Type': 'application/json' }),
          ...decision.headers,
        });
        res.end(body);
        req.resume();
        return;
      }
      principal = decision.principal;
    }
    await deps.endpoint.handle(req, res, principal);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    // Before anything else, so OAuth routes count too: a quick tunnel answers 429 itself past 200
    // requests in flight; refusing earlier with 503 + Retry-After (RFC 9110 §15.6.4) keeps us in control.
    if (deps.cap && !deps.cap.guard(res)) {
      req.resume();
      return;
    }
    handle(req, res).catch((err: unknown) => {
      // A bug must cost one request, never the listener.
      if (!res.headersSent)
        sendRpcError(
          res,
          500,
          INTERNAL_ERROR,
          `Internal error in the gateway: ${err instanceof Error ? err.message : String(err)}`,
        );
      else res.destroy();
    });
  };
}
