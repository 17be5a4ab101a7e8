import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, PublicAuthHook } from '../../auth/types.js';
import { createSecretMatcher } from '../../auth/secret-equals.js';
import { enforceBodyRate, type BodyRateOptions } from './body-rate.js';
import { publicClientAddress } from './client-address.js';
import type { BudgetEntry, EdgeBudgets } from './edge-budgets.js';
import type { HostOriginPolicy } from './host-origin.js';
import { headerValue, sendJson, sendRpcError } from './http-util.js';
import { INTERNAL_ERROR, TRANSPORT_ERROR } from './protocol.js';

export interface PublicHandlerDeps {
  policy: HostOriginPolicy;
  /** Always present: every request on the public listener is authenticated (OAuth or the secret path). */
  auth: PublicAuthHook;
  endpoint: {
    handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> | void;
  };
  budgets: EdgeBudgets;
  /** Whether Cf-Connecting-Ip names the client (a Cloudflare tunnel forwards here); default true. */
  trustCloudflare?: () => boolean;
  bodyRate?: BodyRateOptions;
}

/**
 * Marks an early answer (403, 401, 404, 429, 503) to end the connection once written: the body the
 * sender may still be trickling is never read, and the socket is not left open for its next try.
 */
function closing(res: ServerResponse): ServerResponse {
  res.shouldKeepAlive = false;
  res.setHeader('Connection', 'close');
  return res;
}

/** Answers a budget refusal: 429 for one address over its share, 503 when a pool is full. */
export function sendBudgetRefusal(res: ServerResponse, entry: Exclude<BudgetEntry, { ok: true }>): void {
  // 'overloaded' is what bootstrap's reachability probe recognises as this gateway's own answer.
  sendJson(
    closing(res),
    entry.status,
    {
      error: entry.status === 503 ? 'overloaded' : 'too_many_requests',
      error_description: `${entry.message} Retry after ${entry.retryAfter} s.`,
    },
    { 'Retry-After': String(entry.retryAfter) },
  );
}

/**
 * The public listener's request handler: the only thing a tunnel or the user's own reverse proxy
 * forwards to. Nothing here is ever "local", whatever the Host or the socket says (a proxy that
 * rewrites Host to 127.0.0.1 makes internet requests look exactly like local ones): MCP is served only
 * to requests the auth hook accepts. Unauthenticated work runs in its own per-address budget.
 */
export function createPublicHandler(deps: PublicHandlerDeps) {
  const { policy, auth, budgets } = deps;
  const isMcpPath = createSecretMatcher();

  /** MCP at auth's paths: '/mcp' is public knowledge; the secret path (`--auth none`) is compared in constant time. */
  const atMcpPath = (pathname: string): boolean => {
    const paths = auth.mcpPaths();
    return (pathname === '/mcp' && paths.includes('/mcp')) || isMcpPath(pathname, paths);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = publicClientAddress(req, deps.trustCloudflare?.() ?? true);
    const host = req.headers.host;
    if (!policy.hostAllowed(host)) {
      sendRpcError(
        closing(res),
        403,
        TRANSPORT_ERROR,
        `Forbidden: Host '${host ?? ''}' is not this gateway's public address; this guards against DNS rebinding`,
      );
      return;
    }
    const origin = headerValue(req.headers.origin);
    if (!policy.originAllowed(origin)) {
      sendRpcError(
        closing(res),
        403,
        TRANSPORT_ERROR,
        `Forbidden: Origin '${origin ?? ''}' is not an allowed client origin`,
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    if (atMcpPath(url.pathname)) {
      const decision = await auth.authenticate(req, url);
      if (decision.ok) {
        const slot = budgets.enterAuthenticated();
        if (!slot.ok) return sendBudgetRefusal(res, slot);
        holdUntilDone(res, slot.release);
        await deps.endpoint.handle(req, res, decision.principal);
        return;
      }
      const slot = budgets.enterUnauthenticated(address);
      if (!slot.ok) return sendBudgetRefusal(res, slot);
      holdUntilDone(res, slot.release);
      const body = decision.body === undefined ? '' : JSON.stringify(decision.body);
      closing(res).writeHead(decision.status, {
        ...(body === '' ? {} : { 'Content-Type': 'application/json' }),
        ...decision.headers,
      });
      res.end(body);
      return;
    }
    const slot = budgets.enterUnauthenticated(address);
    if (!slot.ok) return sendBudgetRefusal(res, slot);
    holdUntilDone(res, slot.release);
    if (await auth.handle(req, res, url)) return;
    // Never name the MCP path here: with `--auth none` it contains the secret segment.
    sendJson(closing(res), 404, { error: 'not_found', message: 'Not found' });
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    enforceBodyRate(req, deps.bodyRate);
    handle(req, res).catch((err: unknown) => {
      // A bug must cost one request, never the listener.
      if (!res.headersSent)
        sendRpcError(
          closing(res),
          500,
          INTERNAL_ERROR,
          `Internal error in the gateway: ${err instanceof Error ? err.message : String(err)}`,
        );
      else res.destroy();
    });
  };
}

/** Keeps a budget slot until the response is finished or its connection is gone, whichever is first. */
export function holdUntilDone(res: ServerResponse, release: () => void): void {
  res.once('finish', release);
  res.once('close', release);
}
