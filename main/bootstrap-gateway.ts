/**
 * The gateway's lifecycle inside Tunnelgate: build it from the current config, bind its two listeners
 * on 127.0.0.1 (with an error that names the flag to change), and start/stop it on the owner's request.
 * The ports found at the first bind are kept, so a restart comes back on the same ones (and the
 * tunnel, which forwards to the public port, keeps working).
 */
import type { ActivityLog } from './activity/index.js';
import type { AuthService } from './auth/auth-service.js';
import type { ServerConfig, TunnelgateConfig } from './config/index.js';
import { createGateway, type Gateway, type GatewayDeps } from './gateway/gateway.js';
import type { UpstreamManager } from './gateway/upstream/index.js';
import type { GatewayControl } from './bootstrap-ports.js';
import type { createLocalTokenSource } from './bootstrap-local-token.js';

export interface GatewayHolderDeps {
  upstreams: UpstreamManager;
  auth: AuthService | undefined;
  authMode: 'oauth' | 'none';
  activity: ActivityLog;
  localToken: ReturnType<typeof createLocalTokenSource>;
  currentConfig(): TunnelgateConfig;
  servers(): Record<string, ServerConfig>;
  /** `--auth none` on loopback only: no Host allow-list for a public origin (nothing guards /mcp). */
  localOnly: boolean;
  publicOrigin(): string | null;
  /** Whether Cf-Connecting-Ip may be believed (see createGateway). */
  trustCloudflare(): boolean;
  /** Wanted ports (0: a free one). */
  port: number;
  publicPort: number;
  /** A client fetched the tool list (tool-list drift, bootstrap-connectors.ts). */
  onToolsList?: GatewayDeps['onToolsList'];
}

/** GatewayControl for the control service, plus what Tunnelgate's own start and stop need. */
export interface GatewayHolder extends GatewayControl {
  /** The local port: wanted before the first start, bound after it. */
  localPort(): number;
  /** The public listener's port: wanted before the first start, bound after it (the tunnel's origin). */
  wantedPublicPort(): number;
  /** First start, from Tunnelgate.start(): a failure goes to the caller, listeners are not told. */
  open(): Promise<void>;
  /** Shutdown: closes without telling listeners. */
  close(): Promise<void>;
}

export function createGatewayHolder(deps: GatewayHolderDeps): GatewayHolder {
  let port = deps.port;
  let publicPort = deps.publicPort;
  let gateway: Gateway | undefined;
  let gatewayError: string | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };

  const makeGateway = async (): Promise<Gateway> => {
    await deps.localToken.refresh();
    const g = createGateway({
      upstreams: deps.upstreams,
      auth: deps.auth,
      activity: deps.activity,
      servers: deps.servers(),
      maxBodyBytes: deps.currentConfig().gateway?.maxBodyBytes,
      callTimeoutMs: deps.currentConfig().gateway?.callTimeoutMs,
      localToken: deps.localToken.current,
      trustCloudflare: deps.trustCloudflare,
      ...(deps.onToolsList ? { onToolsList: deps.onToolsList } : {}),
    });
    const bind = async (
      what: string,
      flag: string,
      wanted: number,
      fn: (p: number) => Promise<{ port: number }>,
    ) => {
      try {
        return (await fn(wanted)).port;
      } catch (err) {
        await g.close().catch(() => undefined);
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EADDRINUSE'
            ? `Port ${wanted} on 127.0.0.1 is already in use (wanted for ${what}; another Tunnelgate?). Stop that program or pick another port with ${flag} N (0 picks a free one).`
            : `The gateway could not listen on 127.0.0.1:${wanted} (${what}): ${(err as Error).message}`,
        );
      }
    };
    port = await bind('the local MCP endpoint', '--port', port, (p) => g.listen(p));
    // The public listener exists only when something guards it (OAuth, or --auth none's secret path).
    if (deps.auth)
      publicPort = await bind('the public listener', '--public-port', publicPort, (p) => g.listenPublic(p));
    // The Host allow-list follows the public URL; never in local-only mode (nothing guards /mcp there).
    try {
      if (!deps.localOnly) g.setPublicOrigin(deps.publicOrigin());
    } catch (err) {
      await g.close().catch(() => undefined);
      throw err;
    }
    return g;
  };

  return {
    current: () => gateway,
    port: () => (gateway ? port : null),
    publicPort: () => gateway?.publicPort() ?? null,
    error: () => gatewayError,
    authMode: deps.authMode,
    auth: deps.auth,
    publicOrigin: deps.publicOrigin,
    localPort: () => port,
    wantedPublicPort: () => publicPort,
    async open() {
      gateway = await makeGateway();
    },
    async start() {
      if (gateway) return;
      try {
        gateway = await makeGateway();
        gatewayError = undefined;
      } catch (err) {
        gatewayError = (err as Error).message;
        throw err;
      } finally {
        notify();
      }
    },
    async stop() {
      const g = gateway;
      gateway = undefined;
      await g?.close();
      notify();
    },
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async close() {
      const g = gateway;
      gateway = undefined;
      await g?.close();
    },
  };
}
