import type { IncomingMessage, ServerResponse } from 'node:http';
import { secretEquals } from '../../auth/secret-equals.js';
import type { Principal } from '../../auth/types.js';
import { SCOPE_FULL } from '../../../preload/contract.js';
import type { ConcurrencyCap } from './concurrency-cap.js';
import type { HostOriginPolicy } from './host-origin.js';
import { answerInternalError, headerValue, sendJson, sendRpcError } from './http-util.js';
import { TRANSPORT_ERROR } from './protocol.js';

/** The principal of the local MCP endpoint: clients on this computer, trusted like the owner. */
const LOCAL_PRINCIPAL: Principal = Object.freeze({
  kind: 'local',
  scopes: Object.freeze([SCOPE_FULL]),
}) as Principal;

/** Headers only a proxy or a tunnel adds: a request carrying one was not made on this computer. */
const FORWARDING_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-server',
  'x-original-forwarded-for',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'via',
  'cf-connecting-ip',
  'cf-ray',
];

export interface LocalHandlerDeps {
  /** This listener's policy: loopback Host names of its own port only, never a public host. */
  policy: HostOriginPolicy;
  /** A promise it returns never rejects (mcp-endpoint.ts answers failures inside itself). */
  endpoint: {
    handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> | void;
  };
  cap?: Pick<ConcurrencyCap, 'guard'>;
  /** When it returns a value, requests need `Authorization: Bearer <value>` (gateway.localTokenSecret). */
  token?: () => string | undefined;
}

/**
 * The local MCP endpoint (127.0.0.1:P/mcp) for MCP clients on this computer (Claude Desktop, Cursor,
 * Codex): no OAuth by default, never tunneled. It is safe without auth only because nothing forwards
 * to it: the Host must be this listener's loopback name (DNS rebinding, MCP transports spec), a
 * browser Origin must be a loopback page, and a request bearing a proxy's or tunnel's headers is
 * refused, so a reverse proxy pointed here by mistake fails loudly instead of opening the tools.
 */
export function createLocalHandler(deps: LocalHandlerDeps) {
  const { policy } = deps;

  /** Answers a refused request itself; else hands it to the endpoint (its promise while it runs). */
  function handle(req: IncomingMessage, res: ServerResponse): Promise<void> | void {
    const host = req.headers.host;
    if (!policy.isLoopbackHost(host)) {
      sendRpcError(
        res,
        403,
        TRANSPORT_ERROR,
        `Forbidden: Host '${host ?? ''}' is not this computer's MCP endpoint (allowed: 127.0.0.1, localhost, [::1] on this port). ` +
          'A tunnel or a reverse proxy must forward to the public listener, never here.',
      );
      return;
    }
    const forwarded = forwardingHeaderOf(req.headers);
    if (forwarded !== undefined) {
      sendRpcError(
        res,
        403,
        TRANSPORT_ERROR,
        `Forbidden: this request came through a proxy (it carries '${forwarded}'). The local MCP endpoint serves programs on this computer only; point the proxy at the public listener.`,
      );
      return;
    }
    const origin = headerValue(req.headers.origin);
    // A web page elsewhere must not drive local tools: only loopback pages (an inspector) or no Origin.
    if (origin !== undefined && !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(origin)) {
      sendRpcError(res, 403, TRANSPORT_ERROR, `Forbidden: Origin '${origin}' is not a page on this computer`);
      return;
    }
    // The path as the URL parser reads it; the exact path every client sends skips the parser, which
    // is on each call's way to its upstream.
    const path = req.url === '/mcp' ? '/mcp' : new URL(req.url ?? '/', 'http://local.invalid').pathname;
    if (path !== '/mcp') {
      sendJson(res, 404, { error: 'not_found', message: 'Not found: the MCP endpoint is /mcp' });
      req.resume();
      return;
    }
    const expected = deps.token?.();
    if (expected !== undefined) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(headerValue(req.headers.authorization) ?? '')?.[1] ?? '';
      if (!secretEquals(given, expected)) {
        sendJson(
          res,
          401,
          {
            error: 'invalid_token',
            error_description:
              'This MCP endpoint requires the local token (gateway.localTokenSecret in the config): send Authorization: Bearer <token>.',
          },
          { 'WWW-Authenticate': 'Bearer realm="tunnelgate-local"', Connection: 'close' },
        );
        req.resume();
        return;
      }
    }
    return deps.endpoint.handle(req, res, LOCAL_PRINCIPAL);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    if (deps.cap && !deps.cap.guard(res)) {
      req.resume();
      return;
    }
    // The endpoint answers a failure inside its own promise; what throws at once is answered here
    // (no async frame per request to wait for it; issue 16).
    try {
      void handle(req, res);
    } catch (err) {
      answerInternalError(res, err);
    }
  };
}

/** The first proxy or tunnel header the request carries, if any. */
function forwardingHeaderOf(headers: IncomingMessage['headers']): string | undefined {
  for (const h of FORWARDING_HEADERS) if (headers[h] !== undefined) return h;
  return undefined;
}
