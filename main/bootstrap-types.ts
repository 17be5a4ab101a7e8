/**
 * The shapes Tunnelgate's bootstrap shows its two callers (the CLI's serve and the Electron app):
 * options, the running services and what start() reports.
 */
import type { ActivityLog } from './activity/index.js';
import type { AuthService, AuthServiceDeps } from './auth/auth-service.js';
import type { BrowserOpener } from './auth/upstream/index.js';
import type { ConfigEditor, PlatformEnv, TunnelgateConfig } from './config/index.js';
import type { ControlService } from './control/control-service.js';
import type { ControlPlatformPort } from './control/ports.js';
import type { DoctorNetwork } from './doctor/network.js';
import type { Gateway } from './gateway/gateway.js';
import type { UpstreamManager } from './gateway/upstream/index.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { TunnelManagerDeps } from './tunnel/index.js';
import type { TunnelHolder } from './bootstrap-ports.js';

/** User-facing output: `info` for what the user asked for (URLs), `warn` for problems. */
export interface BootstrapLog {
  info(line: string): void;
  warn(line: string): void;
}

export interface TunnelgateOptions {
  /** `--config FILE`; else TUNNELGATE_CONFIG, else the OS config folder. */
  configPath?: string;
  /** `--port N`: the local MCP endpoint (0: a free port); else `gateway.port`, else DEFAULT_PORT. */
  port?: number;
  /** `--public-port N`: the public listener a tunnel or proxy forwards to; else `gateway.publicPort`, else a free port. */
  publicPort?: number;
  /**
   * Public port when a public URL is set (the user's own proxy) but no public port is: a stable one,
   * so the proxy's target does not move at each start (`serve` passes DEFAULT_PUBLIC_PORT).
   */
  defaultPublicPort?: number;
  /**
   * Start the tunnel now (`--no-tunnel`: false). Default: unless `tunnel.mode` is "off", or it is
   * "quick" while a public URL is given (`--public-url` / `gateway.publicUrl`: the user's own proxy).
   */
  tunnel?: boolean;
  /** `--auth`; default `gateway.auth`, else oauth when reachable from outside, none otherwise. */
  auth?: 'none' | 'oauth';
  /** `--public-url`: public origin (or http loopback origin) the auth issuer follows. */
  publicUrl?: string;
  /** Serve the headless dashboard on a second loopback listener (the CLI does; the app uses IPC). */
  dashboard?: boolean;
  /** Data folder (activity logs, control file, auth metadata); default the OS data folder. */
  dataDir?: string;
  /** Default: the OS keychain. Tests pass createMemorySecretStore(). */
  secretStore?: SecretStore;
  platform?: PlatformEnv;
  log?: BootstrapLog;
  /** Opens the system browser for upstream OAuth sign-in; tests pass one that drives fetch. */
  browserOpener?: BrowserOpener;
  /** OS integration only the app has (launch at login), forwarded to the control service. */
  controlPlatform?: ControlPlatformPort;
  /**
   * Passed to the tunnel manager: its environment (CLOUDFLARED_BIN, TUNNELGATE_REACHABILITY_CHECK;
   * default process.env) and fetch (also used by the reachability probe). Tests point them at a fake.
   */
  tunnelDeps?: Pick<TunnelManagerDeps, 'env' | 'fetch'>;
  /**
   * Passed to the auth service: the network for client metadata documents and JWKS (tests play DNS
   * and chatgpt.com with it; the address guard still applies) and the clock (tests move time).
   */
  authDeps?: Pick<AuthServiceDeps, 'cimdTransport' | 'clock'>;
  /**
   * The connection doctor's network (DNS, TLS, fetch); default the system's, with tunnelDeps.fetch.
   * Tests point it at the fake cloudflared's edge.
   */
  doctorNetwork?: Partial<DoctorNetwork>;
}

export interface TunnelgateServices {
  configPath: string;
  config(): TunnelgateConfig;
  editor: ConfigEditor;
  secrets: SecretStore;
  activity: ActivityLog;
  upstreams: UpstreamManager;
  gateway(): Gateway | undefined;
  auth: AuthService | undefined;
  tunnel: TunnelHolder;
  control: ControlService;
}

export interface StartInfo {
  /** The local MCP endpoint's port. */
  port: number;
  /** `http://127.0.0.1:N/mcp`: the local MCP endpoint (no OAuth, never tunneled). */
  endpoint: string;
  /** The public listener's port (what the tunnel forwards to); absent when nothing is public. */
  publicPort?: number;
  demo: boolean;
  dashboardUrl?: string;
}

export interface Tunnelgate {
  start(): Promise<StartInfo>;
  /**
   * Ordered shutdown: stop accepting, stop the tunnel, close upstreams, flush activity; within 5 s.
   * Resolves true when every step finished, false when one failed or overran (it was logged).
   */
  stop(): Promise<boolean>;
  readonly services: TunnelgateServices;
}

/** Records a system event (config reloads, tunnel trouble) in the activity log; errors by default. */
export type SystemEvent = (method: string, message: string, outcome?: 'ok' | 'error') => void;
