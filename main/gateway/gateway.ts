import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from '../common/node-http.js';
import type { ActivitySink } from '../activity/types.js';
import type { Principal, PublicAuthHook } from '../auth/types.js';
import type { ServerConfig } from '../config/schema.js';
import type { BodyRateOptions } from './front/body-rate.js';
import { createConcurrencyCap } from './front/concurrency-cap.js';
import { createEdgeBudgets, type EdgeBudgetOptions } from './front/edge-budgets.js';
import { createHostOriginPolicy } from './front/host-origin.js';
import { createLocalHandler } from './front/local-handler.js';
import { createMcpEndpoint } from './front/mcp-endpoint.js';
import { createPublicHandler, holdUntilDone, sendBudgetRefusal } from './front/public-handler.js';
import { createSessionStore } from './front/sessions.js';
import { createRouter } from './router/router.js';
import { createRouterTap, type RouterTapDeps } from './router-tap.js';
import type { UpstreamSource } from './router/types.js';
import type { RawObject } from './upstream/types.js';

export interface GatewayDeps {
  /** The upstream manager (createUpstreamManager) or anything with list() and its events. */
  upstreams: UpstreamSource;
  /**
   * Guards the public listener (OAuth, or the secret path with `--auth none`). Without it there is no
   * public listener: listenPublic() refuses, and only the local endpoint serves.
   */
  auth?: PublicAuthHook;
  activity?: ActivitySink;
  /** mcpServers from the config: prefixes, tool filters, timeouts; order decides name collisions. */
  servers?: Record<string, ServerConfig>;
  /** Largest accepted POST body; default 4 MiB. */
  maxBodyBytes?: number;
  /** Default per-call timeout (reset by progress); per-server timeoutMs wins. */
  callTimeoutMs?: number;
  serverInfo?: RawObject;
  /** Slow calls switch to SSE and send a keep-alive comment this often (Cloudflare's ~100 s limit); default 25 s. */
  heartbeatMs?: number;
  /** Idle session expiry; default 1 hour. */
  sessionIdleMs?: number;
  /** How long a call whose POST stream dropped waits for the client to resume it (Last-Event-ID); default 30 s. */
  resumeGraceMs?: number;
  /** Requests in flight on the local endpoint; beyond `max` (default 150) the answer is 503 + Retry-After. */
  concurrency?: { max?: number; retryAfterSeconds?: number };
  /** The public listener's budgets, deadlines and minimum body rate (issue 10). */
  edge?: EdgeBudgetOptions & {
    bodyRate?: BodyRateOptions;
    headersTimeoutMs?: number;
    requestTimeoutMs?: number;
  };
  /** Whether Cf-Connecting-Ip names the client on the public listener (a Cloudflare tunnel forwards); default true. */
  trustCloudflare?: () => boolean;
  /** When it returns a value, the local endpoint requires it as a bearer token. */
  localToken?: () => string | undefined;
  /** A client fetched the tool list (for tool-list drift). */
  onToolsList?: RouterTapDeps['onToolsList'];
}

/** Binds 127.0.0.1 only (ARCHITECTURE.md: the tunnel is the only way in from outside). */
function listenOn(server: Server, wanted: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The MCP gateway over the merged upstreams, with one listener per audience (ARCHITECTURE.md): the
 * local MCP endpoint (`listen`, `handler`) for clients on this computer, and the public listener
 * (`listenPublic`, `publicHandler`) that a tunnel or the user's own proxy forwards to. Each has its own
 * sessions, so a session opened on one is unknown on the other. Handlers are usable without a socket.
 */
export function createGateway(deps: GatewayDeps) {
  let localPort = 0;
  let publicPort = 0;
  const router = createRouter({
    upstreams: deps.upstreams,
    servers: deps.servers,
    callTimeoutMs: deps.callTimeoutMs,
    activity: deps.activity,
    serverInfo: deps.serverInfo,
  });
  let servers = deps.servers ?? {};
  const tapped = createRouterTap({
    router,
    servers: () => servers,
    activity: deps.activity,
    onToolsList: deps.onToolsList,
  });
  const maxBodyBytes = deps.maxBodyBytes ?? 4 * 1024 * 1024;
  const endpointFor = (holdGetStreams: boolean, perClientCap: boolean) => {
    // On this computer every caller is the same 'local' principal, so only the global cap applies;
    // on the public side each OAuth grant is capped on its own as well.
    const sessions = createSessionStore({
      idleMs: deps.sessionIdleMs,
      resumeGraceMs: deps.resumeGraceMs,
      ...(perClientCap ? {} : { maxPerClient: Infinity }),
    });
    const endpoint = createMcpEndpoint({
      router: tapped,
      sessions,
      activity: deps.activity,
      maxBodyBytes,
      heartbeatMs: deps.heartbeatMs,
      holdGetStreams,
    });
    return { sessions, endpoint };
  };
  const local = endpointFor(true, false);
  const remote = endpointFor(false, true);

  const localPolicy = createHostOriginPolicy(() => localPort);
  const cap = createConcurrencyCap(deps.concurrency);
  const handler = createLocalHandler({
    policy: localPolicy,
    endpoint: local.endpoint,
    cap,
    token: deps.localToken,
  });
  const localServer = createServer({ keepAliveTimeout: 65_000, noDelay: true }, handler);
  // Headers must arrive promptly; bodies are bounded separately (long-lived MCP streams need no limit).
  localServer.headersTimeout = 30_000;
  localServer.requestTimeout = 0;

  const publicPolicy = createHostOriginPolicy(() => publicPort);
  const budgets = createEdgeBudgets(deps.edge);
  const auth = deps.auth;
  const publicHandler: RequestListener | undefined = auth
    ? createPublicHandler({
        policy: publicPolicy,
        auth,
        endpoint: remote.endpoint,
        budgets,
        trustCloudflare: deps.trustCloudflare,
        bodyRate: deps.edge?.bodyRate,
      })
    : undefined;
  // Deadlines for what reaches us from outside: headers within 10 s and the whole request within
  // 60 s (Node's requestTimeout covers receiving the request only, not a long answer); the connection
  // check runs every second so the deadlines hold to the second rather than to Node's default 30 s.
  const publicServer = createServer(
    { keepAliveTimeout: 65_000, noDelay: true, connectionsCheckingInterval: 1000 },
    publicHandler,
  );
  publicServer.headersTimeout = deps.edge?.headersTimeoutMs ?? 10_000;
  publicServer.requestTimeout = deps.edge?.requestTimeoutMs ?? 60_000;

  return {
    router,
    /** The local MCP endpoint's request listener. */
    handler,
    /** The public listener's request listener (undefined without an auth hook). */
    publicHandler,
    /**
     * Serves one MCP request whose caller was authenticated before it got here (OpenAI's Secure MCP
     * Tunnel: the owner's workspace, by long-poll). The public side's sessions, authenticated budget,
     * tool visibility and activity log; no Host/Origin check (no browser, no socket) and no OAuth.
     */
    serveAuthenticated(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
      const slot = budgets.enterAuthenticated();
      if (!slot.ok) {
        sendBudgetRefusal(res, slot);
        return Promise.resolve();
      }
      holdUntilDone(res, slot.release);
      return Promise.resolve(remote.endpoint.handle(req, res, principal));
    },
    /** Requests being served right now on both listeners. */
    inFlight(): number {
      const b = budgets.inFlight();
      return cap.inFlight() + b.authenticated + b.unauthenticated;
    },
    /** The public listener's budgets in use (for tests and `npm run stress`). */
    edgeInFlight: () => budgets.inFlight(),
    /** Number of live session-era sessions (both listeners). */
    get sessionCount(): number {
      return local.sessions.size + remote.sessions.size;
    },
    /** Binds the local MCP endpoint on 127.0.0.1. */
    async listen(wanted: number): Promise<{ port: number }> {
      localPort = await listenOn(localServer, wanted);
      return { port: localPort };
    },
    /** Binds the public listener on 127.0.0.1 (what the tunnel forwards to). */
    async listenPublic(wanted: number): Promise<{ port: number }> {
      if (!publicHandler)
        throw new Error(
          'The public listener needs an auth hook (OAuth or --auth none with the secret path).',
        );
      publicPort = await listenOn(publicServer, wanted);
      return { port: publicPort };
    },
    /** The public listener's port, or null when it is not listening. */
    publicPort: (): number | null => (publicServer.listening ? publicPort : null),
    /** Adds the tunnel's host (and origin) to the public listener's allow-lists; null removes it. */
    setPublicOrigin(origin: string | null): void {
      publicPolicy.setPublicOrigin(origin);
    },
    /** Hot reload: new prefixes, filters and order; clients get list_changed if their view changed. */
    setServers(next: Record<string, ServerConfig>): void {
      servers = next;
      router.setServers(next);
    },
    /** For tests that drive the handlers without listen(). */
    setPortForTesting(p: number, publicP = p): void {
      localPort = p;
      publicPort = publicP;
    },
    async close(): Promise<void> {
      for (const e of [local, remote]) {
        e.endpoint.close();
        e.sessions.close();
      }
      router.close();
      await Promise.all([closeServer(localServer), closeServer(publicServer)]);
    },
  };
}
export type Gateway = ReturnType<typeof createGateway>;
export { GET_NEEDS_SSE_MESSAGE } from './front/protocol.js';
