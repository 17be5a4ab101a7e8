/**
 * The narrow ports the control service needs from the other services. Each one is what control/
 * uses, nothing more, so tests drive the service with small fakes and main/bootstrap.ts adapts the
 * real config store, upstream manager, gateway, auth service, secret store, tunnel manager and
 * activity log to them (main/bootstrap-ports.ts).
 */
import type { ActivityEvent } from '../activity/types.js';
import type { TunnelgateConfig } from '../config/schema.js';
import type { RawObject, UpstreamState } from '../gateway/upstream/types.js';
import type { ServerLogEntry, ServerLogView } from '../gateway/upstream/server-log.js';
import type { TunnelState } from '../tunnel/tunnel-state.js';
import type { DoctorReport } from '../doctor/types.js';
import type {
  ApprovalRequestView,
  GrantRevocationView,
  GrantView,
  ImportResult,
  StaleGrantView,
  ToolDriftView,
  Unsubscribe,
} from '../../preload/contract.js';

/** The config file: the source of truth for servers and settings (no secret values in it). */
export interface ControlConfigPort {
  /** The current, validated config. */
  read(): TunnelgateConfig;
  /** Validates and saves; the config store's watcher applies it (hot reload). */
  write(next: TunnelgateConfig): Promise<void>;
  /** Imports Claude Desktop's `mcpServers` (from `path`, or the platform's default location). */
  importClaude(path?: string): Promise<ImportResult>;
  /** Called after the config changed (by us or by an edit of the file). */
  onChange(listener: () => void): Unsubscribe;
}

/** Live upstream connections (one per configured server). */
export interface ControlUpstreamsPort {
  states(): UpstreamState[];
  /** Raw tool objects from the upstream's last list (all of them, before the config's filter). */
  tools(name: string): readonly RawObject[];
  /** Raw prompts, resources and resource templates from the upstream's last lists. */
  prompts(name: string): readonly RawObject[];
  resources(name: string): readonly RawObject[];
  resourceTemplates(name: string): readonly RawObject[];
  /** The server's recent log (server-log.ts); an empty one for a server never started. */
  logs(name: string): ServerLogView;
  /** Each new log entry of any server. */
  onLog(listener: (entry: ServerLogEntry) => void): Unsubscribe;
  restart(name: string): Promise<void>;
  /** Starts the upstream OAuth sign-in (opens the system browser). */
  signIn(name: string): Promise<void>;
  /** Called when a state or a tool list changed. */
  onChange(listener: () => void): Unsubscribe;
}

/** What the gateway exposes: its listeners and the router's names. */
export interface ControlGatewayPort {
  running(): boolean;
  /** The local MCP endpoint's port. */
  port(): number | null;
  /** The public listener's port, when there is one (what the tunnel forwards to). */
  publicPort?(): number | null;
  /** Path of MCP on the public listener: '/mcp', or '/s/<secret>/mcp' in auth none. */
  mcpPath(): string;
  authMode(): 'oauth' | 'none';
  /**
   * Public origin clients reach the gateway at (ready tunnel URL or `--public-url`), null when not
   * public. Optional: without it the service uses the ready tunnel, then `gateway.publicUrl`.
   */
  publicOrigin?(): string | null;
  /** The last start error, in words. */
  error(): string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Exposed name of an upstream tool (prefix__name, shortened), when the router exposes it. */
  exposedToolName(server: string, tool: string): string | undefined;
  /** Every exposed tool object as a full-access client gets it (for the tool-list checks). Optional. */
  exposedTools?(): readonly RawObject[];
  onChange(listener: () => void): Unsubscribe;
}

/** Owner approval and grants (auth/). */
export interface ControlAuthPort {
  listPending(): ApprovalRequestView[];
  approve(id: string, scopes: string[]): Promise<void>;
  deny(id: string): Promise<void>;
  listGrants(): GrantView[];
  revokeGrant(id: string): Promise<void>;
  /**
   * The public origin's last change seen by auth in this run, including one against the origin
   * remembered from the previous run (a new quick-tunnel URL after a restart). Optional.
   */
  lastUrlChange?(): { previous: string; current: string } | undefined;
  /** Grants Tunnelgate revoked by itself lately (a reused refresh token or code), newest first. Optional. */
  recentRevocations?(): GrantRevocationView[];
  /** Pending requests or grants changed. */
  onChange(listener: () => void): Unsubscribe;
}

/** The OS keychain (names only ever leave it through list()). */
export interface ControlSecretsPort {
  availability(): Promise<{ available: boolean; reason?: string }>;
  list(): Promise<string[]>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
}

/** The cloudflared tunnel. */
export interface ControlTunnelPort {
  state(): TunnelState;
  /** Why start() would be refused as this gateway was started (local-only), else undefined. */
  cannotStart?(): string | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Downloads the official cloudflared (verified) into the data folder; progress in `state().download`.
   * Rejects with a message for a person when the download or its check fails.
   */
  downloadBinary(): Promise<void>;
  onState(listener: (state: TunnelState) => void): Unsubscribe;
  onUrlChanged(listener: (change: { previous: string | null; url: string | null }) => void): Unsubscribe;
}

/** The tool-call log. */
export interface ControlActivityPort {
  /** Newest last; at most `limit`, only ids below `beforeId` when given. */
  recent(query: { limit?: number; beforeId?: number }): ActivityEvent[];
  subscribe(listener: (event: ActivityEvent) => void): Unsubscribe;
  clear(): Promise<void>;
  exportJsonl(): Promise<string>;
}

/** OS integration only the app has; headless leaves it out. */
export interface ControlPlatformPort {
  getLaunchAtLogin(): boolean;
  setLaunchAtLogin(enabled: boolean): void;
}

/**
 * What each connected client believes (issue 13): the tool list it last fetched against today's,
 * and the public URL its grant is bound to against today's.
 */
export interface ControlConnectorsPort {
  toolDrift(): ToolDriftView[];
  staleGrants(): StaleGrantView[];
  /** Revokes the stale grants; resolves to how many. */
  forgetStale(): Promise<number>;
  /** A client listed tools (its drift may have cleared). */
  onChange(listener: () => void): Unsubscribe;
}

/** The connection doctor (main/doctor/doctor.ts), wired by bootstrap. */
export interface ControlDoctorPort {
  run(): Promise<DoctorReport>;
}

export interface ControlDeps {
  config: ControlConfigPort;
  upstreams: ControlUpstreamsPort;
  gateway: ControlGatewayPort;
  auth: ControlAuthPort;
  secrets: ControlSecretsPort;
  tunnel: ControlTunnelPort;
  activity: ControlActivityPort;
  platform?: ControlPlatformPort;
  /** For the playground's calls to the local MCP endpoint (tests may pass their own). */
  fetch?: typeof fetch;
  doctor?: ControlDoctorPort;
  connectors?: ControlConnectorsPort;
  /** For reporting failures of background work (never secret values). */
  log?: (message: string) => void;
}
