/**
 * The one typed contract between the window and the main process (CONVENTIONS.md #1).
 * Types, plus the constant lists of its method and event names (API_METHODS, API_EVENTS) that
 * every transport iterates: main/control implements `TunnelgateApi`; preload/index.ts exposes it
 * over IPC as `window.tunnelgate`; the headless dashboard reaches the same methods over loopback
 * HTTP + SSE.
 */
import type { ActivityEvent } from '../main/activity/types.js';
import type { TunnelState } from '../main/tunnel/tunnel-state.js';
import type { DoctorReport, DoctorStep, ToolFinding, ToolListCheck } from '../main/doctor/types.js';
import type {
  ServerExitView,
  ServerLogEntry,
  ServerLogKind,
  ServerLogLevel,
  ServerLogView,
} from '../main/gateway/upstream/server-log.js';

export type { ActivityEvent, TunnelState };
export { ACTIVITY_OUTCOMES } from '../main/activity/types.js';
export type { DoctorReport, DoctorStep, ToolFinding, ToolListCheck };
export type { ServerExitView, ServerLogEntry, ServerLogKind, ServerLogLevel, ServerLogView };

export type Unsubscribe = () => void;

/**
 * The scopes, defined once for the OAuth server, the router and the window: `mcp:read` sees only
 * read-only tools, `mcp:full` everything. SCOPES_SUPPORTED is what the metadata advertises.
 */
export const SCOPE_READ = 'mcp:read';
export const SCOPE_FULL = 'mcp:full';
export const SCOPES_SUPPORTED: readonly string[] = [SCOPE_READ, SCOPE_FULL];

export interface GatewayView {
  running: boolean;
  port: number | null;
  /** http://127.0.0.1:PORT/mcp: the local MCP endpoint for clients on this computer (no OAuth, never tunneled). */
  localUrl: string | null;
  /** http://127.0.0.1:PORT of the public listener, what the tunnel (or your own proxy) forwards to. */
  publicListener?: string;
  /** What to paste into ChatGPT: the public URL + MCP path, when public. */
  connectorUrl: string | null;
  authMode: 'oauth' | 'none';
  error?: string;
  /**
   * Set when this gateway cannot go public as started (`serve --no-tunnel` sets up no client
   * authentication): why, and what to restart it with. The window then offers no "Go public".
   */
  cannotGoPublic?: string;
}

export interface ChecklistView {
  gatewayRunning: boolean;
  tunnelReady: boolean;
  reachable: boolean;
  clientApproved: boolean;
}

export interface AppStatus {
  gateway: GatewayView;
  tunnel: TunnelState;
  checklist: ChecklistView;
  pendingApprovals: number;
  /** Set when the public URL changed since the user last acknowledged it. */
  urlChanged?: { previous: string; current: string };
  /** Grants Tunnelgate revoked by itself lately (a reused refresh token or code), newest first. */
  revokedGrants?: GrantRevocationView[];
  /** Clients whose last tools/list differs from what they would get now (issue 13: tool-list drift). */
  toolDrift?: ToolDriftView[];
  /** Grants whose tokens are bound to a previous public URL: those connectors must be re-created. */
  staleGrants?: StaleGrantView[];
  keychain: { available: boolean; reason?: string };
}

export interface ToolView {
  /** Name at the upstream. */
  name: string;
  /** Name exposed to clients (prefix__name, shortened when needed). */
  exposedName: string;
  title?: string;
  description?: string;
  enabled: boolean;
  /** Why clients never see this tool although it is enabled (a task-only tool); absent = listed. */
  hidden?: string;
  readOnly: boolean;
  /** What ChatGPT would object to (tool-list checks, main/doctor/tool-checks.ts). */
  findings?: ToolFinding[];
  /** The three review hints as exposed (after the owner's override); absent = not set. */
  hints?: { readOnlyHint?: boolean; destructiveHint?: boolean; openWorldHint?: boolean };
  /** Hints set by the owner in the config (`annotations`), not by the upstream. */
  overriddenHints?: string[];
  /** The tool's JSON Schema for its arguments, as the server sent it (the playground's form). */
  inputSchema?: Record<string, unknown>;
}

/** A prompt a server offers (prompts/list), as the Servers page lists it. */
export interface PromptView {
  name: string;
  title?: string;
  description?: string;
  arguments: { name: string; description?: string; required: boolean }[];
}

/** A resource a server lists (resources/list). */
export interface ResourceView {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

/** A resource template a server lists (resources/templates/list), e.g. `file:///{path}`. */
export interface ResourceTemplateView {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  mimeType?: string;
}

export interface ServerView {
  name: string;
  transport: 'stdio' | 'http' | 'sse' | 'builtin';
  enabled: boolean;
  status: string;
  error?: string;
  restarts: number;
  toolCount: number;
  tools: ToolView[];
  /** From the server's last lists while it runs (empty when stopped or not offered). */
  prompts: PromptView[];
  resources: ResourceView[];
  resourceTemplates: ResourceTemplateView[];
  needsSignIn: boolean;
  missingSecrets: string[];
  /** The server's config entry as in the file (secret references, never values). */
  config: Record<string, unknown>;
}

export interface ApprovalRequestView {
  id: string;
  pairingCode: string;
  clientId: string;
  clientName: string;
  redirectHost: string;
  /**
   * The exact redirect URI of this request. Shown in full: a public client id (e.g. ChatGPT's CIMD
   * URL) can be paired with someone else's connector redirect, which only the full URI reveals.
   */
  redirectUri: string;
  /** Set when the client identified itself with a Client ID Metadata Document. */
  cimdUrl?: string;
  requestedScopes: string[];
  /**
   * The address the request came from (Cf-Connecting-Ip through a Cloudflare tunnel, else the
   * connection's), so the owner can tell their own sign-in from a stranger's.
   */
  address?: string;
  /** When it was asked (epoch ms): the owner's own request is the one they just started. */
  createdAt: number;
  expiresAt: number;
}

export interface GrantView {
  id: string;
  clientId: string;
  clientName: string;
  scopes: string[];
  createdAt: number;
  lastUsedAt?: number;
  redirectHost: string;
  /** The MCP URL (RFC 8707 resource) the grant's tokens are bound to. */
  resource?: string;
}

/**
 * A client (grant) whose snapshot of the tool list is out of date: ChatGPT keeps the list it fetched
 * when the connector was created or last refreshed, until the owner presses Refresh in its settings.
 */
export interface ToolDriftView {
  grantId: string;
  clientId: string;
  clientName: string;
  /** When the client last fetched the whole list (tools/list). */
  listedAt: number;
  /** Tools the client does not know about yet. */
  added: string[];
  /** Tools the client still believes in, no longer exposed (calls to them fail, unless aliased). */
  removed: string[];
  /** Tools whose definition (schema, description, hints) changed since. */
  changed: string[];
}

/** A grant bound to another public URL than the current one (a quick tunnel's new URL). */
export interface StaleGrantView {
  grantId: string;
  clientId: string;
  clientName: string;
  /** The MCP URL its tokens are bound to. */
  resource: string;
}

/** A grant Tunnelgate revoked by itself (issue 9): a reused refresh token or authorization code. */
export interface GrantRevocationView {
  grantId: string;
  clientId: string;
  clientName: string;
  reason: 'refresh-reuse' | 'code-reuse';
  /** What the client was told, in words ("refresh token reused; sign in again. ..."). */
  message: string;
  at: number;
}

export interface SettingsView {
  port: number;
  authMode: 'oauth' | 'none';
  tunnelMode: 'off' | 'quick' | 'named' | 'openai';
  tunnelHostname?: string;
  /** Whether a named-tunnel token is stored (never the token). */
  tunnelTokenStored: boolean;
  /** OpenAI Secure MCP Tunnel: the tunnel id, and whether its API key is stored (never the key). */
  openaiTunnelId?: string;
  openaiKeyStored?: boolean;
  launchAtLogin: boolean;
  /** False where launch at login cannot be set (the headless gateway); absent means available. */
  launchAtLoginAvailable?: boolean;
  logRetentionDays: number;
}

export interface ImportResult {
  source: string;
  added: string[];
  skipped: { name: string; reason: string }[];
}

export interface ActivityQuery {
  limit?: number;
  /** Events with id below this (paging back). */
  beforeId?: number;
}

/** The answer to a playground call (callTool). */
export interface ToolCallResult {
  /** The result as the gateway returned it: content, structuredContent, isError, _meta. */
  result?: Record<string, unknown>;
  /** A JSON-RPC error instead (unknown tool, server down, invalid arguments, read-only grant). */
  error?: { code: number; message: string; data?: unknown };
  durationMs: number;
}

export interface TunnelgateApi {
  getStatus(): Promise<AppStatus>;
  startGateway(): Promise<void>;
  stopGateway(): Promise<void>;
  acknowledgeUrlChange(): Promise<void>;

  listServers(): Promise<ServerView[]>;
  /** Adds or replaces a server entry (Claude Desktop format plus prefix/enabled/tools). */
  saveServer(name: string, config: Record<string, unknown>): Promise<void>;
  removeServer(name: string): Promise<void>;
  setServerEnabled(name: string, enabled: boolean): Promise<void>;
  restartServer(name: string): Promise<void>;
  setToolEnabled(server: string, tool: string, enabled: boolean): Promise<void>;
  /**
   * The server's recent log (in memory, bounded): stderr lines, its log messages, the gateway's notes
   * and the last crash with its stderr tail. New entries arrive through onServerLog.
   */
  getServerLogs(server: string): Promise<ServerLogView>;
  importClaudeConfig(path?: string): Promise<ImportResult>;
  signIn(server: string): Promise<void>;

  listSecrets(): Promise<string[]>;
  setSecret(name: string, value: string): Promise<void>;
  deleteSecret(name: string): Promise<void>;

  listApprovals(): Promise<ApprovalRequestView[]>;
  approve(id: string, scopes: string[]): Promise<void>;
  deny(id: string): Promise<void>;
  listGrants(): Promise<GrantView[]>;
  revokeGrant(id: string): Promise<void>;
  /** Revokes the grants bound to an old public URL (status.staleGrants); returns how many. */
  forgetStaleGrants(): Promise<number>;

  getActivity(query?: ActivityQuery): Promise<ActivityEvent[]>;
  clearActivity(): Promise<void>;
  /** Returns the whole retained log as JSONL text. */
  exportActivity(): Promise<string>;

  startTunnel(): Promise<void>;
  stopTunnel(): Promise<void>;
  /**
   * Downloads the official cloudflared into the data folder (when the tunnel state says
   * `errorCode: 'binary-missing'`); progress shows in `status.tunnel.download`.
   */
  downloadCloudflared(): Promise<void>;

  getSettings(): Promise<SettingsView>;
  updateSettings(
    patch: Partial<SettingsView> & { tunnelToken?: string; openaiApiKey?: string },
  ): Promise<SettingsView>;

  /**
   * Calls a tool by its exposed name through the gateway's local MCP endpoint, as a local client
   * named "Tunnelgate playground": routed, filtered and logged in Activity like any other call.
   */
  callTool(exposedName: string, args: Record<string, unknown>): Promise<ToolCallResult>;
  /** Connection doctor (issue 13): replays ChatGPT's steps through the public URL. */
  runDoctor(): Promise<DoctorReport>;

  onStatus(listener: (status: AppStatus) => void): Unsubscribe;
  onServers(listener: (servers: ServerView[]) => void): Unsubscribe;
  onActivity(listener: (event: ActivityEvent) => void): Unsubscribe;
  onApprovals(listener: (pending: ApprovalRequestView[]) => void): Unsubscribe;
  /**
   * New entries of any server's log as they happen, in order, batched per turn of the event loop
   * (a chatty server's burst of stderr lines is one event, not hundreds).
   */
  onServerLog(listener: (entries: ServerLogEntry[]) => void): Unsubscribe;
}

/** Method names, for IPC channel registration and the HTTP flavour of the contract. */
export const API_METHODS = [
  'getStatus',
  'startGateway',
  'stopGateway',
  'acknowledgeUrlChange',
  'listServers',
  'saveServer',
  'removeServer',
  'setServerEnabled',
  'restartServer',
  'setToolEnabled',
  'getServerLogs',
  'importClaudeConfig',
  'signIn',
  'listSecrets',
  'setSecret',
  'deleteSecret',
  'listApprovals',
  'approve',
  'deny',
  'listGrants',
  'revokeGrant',
  'forgetStaleGrants',
  'getActivity',
  'clearActivity',
  'exportActivity',
  'startTunnel',
  'stopTunnel',
  'downloadCloudflared',
  'getSettings',
  'updateSettings',
  'callTool',
  'runDoctor',
] as const satisfies readonly Exclude<keyof TunnelgateApi, `on${string}`>[];

/** Event names: each `x` has a subscription method `onX` (see subscriberOf). */
export const API_EVENTS = [
  'status',
  'servers',
  'activity',
  'approvals',
  'serverLog',
] as const satisfies readonly Uncapitalize<
  Extract<keyof TunnelgateApi, `on${string}`> extends `on${infer E}` ? E : never
>[];

/** The subscription method of an event: 'status' -> 'onStatus'. */
export function subscriberOf<E extends (typeof API_EVENTS)[number]>(event: E): `on${Capitalize<E>}` {
  return `on${event.charAt(0).toUpperCase()}${event.slice(1)}` as `on${Capitalize<E>}`;
}
