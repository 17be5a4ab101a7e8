import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivitySink } from '../activity/types.js';
import { createConcurrencyCap } from './front/concurrency-cap.js';
import type { Principal, PublicAuthHook } from '../auth/types.js';
import type { ServerConfig } from '../config/schema.js';
import { createHostOriginPolicy } from './front/host-origin.js';
import { createMcpEndpoint } from './front/mcp-endpoint.js';
import { createPublicHandler } from './front/public-handler.js';
import { createSessionStore } from './front/sessions.js';
import { createRouter } from './router/router.js';
import type { UpstreamSource } from './router/types.js';
import type { RawObject } from './upstream/types.js';

export interface GatewayDeps {
  /** The upstream manager (createUpstreamManager) or anything with list() and its events. */
  upstreams: UpstreamSource;
  /** When absent, /mcp is served without auth as the 'local' principal (loopback only). */
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
  /**
   * Requests in flight on the public listener (MCP and OAuth routes alike); beyond `max` (default 150,
   * below a quick tunnel's 200) the answer is 503 with Retry-After (default 2 s).
   */
  concurrency?: { max?: number; retryAfterSeconds?: number };
}

/**
 * The MCP gateway: one Streamable HTTP endpoint (both protocol eras) over the merged upstreams,
 * bound to 127.0.0.1 only. `handler` is the request listener, usable without a socket in tests.
 */
export function createGateway(deps: GatewayDeps) {
  let port = 0;
  const policy = createHostOriginPolicy(() => port);
  const router = createRouter({
    upstreams: deps.upstreams,
    servers: deps.servers,
    callTimeoutMs: deps.callTimeoutMs,
    activity: deps.activity,
    serverInfo: deps.serverInfo,
  });
  const sessions = createSessionStore({ idleMs: deps.sessionIdleMs });
  const endpoint = createMcpEndpoint({
    router,
    sessions,
    policy,
    activity: deps.activity,
    maxBodyBytes: deps.maxBodyBytes ?? 4 * 1024 * 1024,
    heartbeatMs: deps.heartbeatMs,
  });
  const cap = createConcurrencyCap(deps.concurrency);
  const handler = createPublicHandler({ policy, auth: deps.auth, endpoint, cap });
  const server = createServer({ keepAliveTimeout: 65_000, noDelay: true }, handler);
  // Headers must arrive promptly; bodies are bounded separately.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;

  return {
    router,
    handler,
    /**
     * Serves one MCP request whose caller was authenticated before it got here (OpenAI's Secure MCP
     * Tunnel: the owner's workspace, by long-poll). Same cap, endpoint, sessions, tool visibility and
     * activity log as the public listener; no Host/Origin check (no browser, no socket) and no OAuth.
     */
    serveAuthenticated(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
      if (!cap.guard(res)) return Promise.resolve();
      return endpoint.handle(req, res, principal);
    },
    /** Requests being served right now (the concurrency cap's count). */
    inFlight(): number {
      return cap.inFlight();
    },
    /** Number of live session-era sessions. */
    get sessionCount(): number {
      return sessions.size;
    },
    /** Binds 127.0.0.1 only (ARCHITECTURE.md: the tunnel is the only way in from outside). */
    listen(wanted: number): Promise<{ port: number }> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(wanted, '127.0.0.1', () => {
          server.off('error', reject);
          port = (server.address() as AddressInfo).port;
          resolve({ port });
        });
      });
    },
    /** Adds the tunnel's host (and origin) to the allow-lists; null removes it. */
    setPublicOrigin(origin: string | null): void {
      policy.setPublicOrigin(origin);
    },
    /** Hot reload: new prefixes, filters and order; clients get list_changed if their view changed. */
    setServers(servers: Record<string, ServerConfig>): void {
      router.setServers(servers);
    },
    /** For tests that drive `handler` without listen(). */
    setPortForTesting(p: number): void {
      port = p;
    },
    async close(): Promise<void> {
      endpoint.close();
      sessions.close();
      router.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
export type Gateway = ReturnType<typeof createGateway>;
export { GET_NEEDS_SSE_MESSAGE } from './front/protocol.js';
