import type { EventEmitter } from 'node:events';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ServerConfig } from '../../config/schema.js';

/** A JSON object as received: never re-parsed through SDK schemas, so unknown fields survive. */
export type RawObject = Record<string, unknown>;

export type JsonRpcId = string | number;
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: RawObject;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: RawObject;
}
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC error answered by an upstream (or made by the gateway about one); code is kept. */
export class UpstreamError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

export type UpstreamStatus =
  | 'starting'
  | 'ready'
  | 'restarting' // crashed or disconnected; retry scheduled (nextRetryAt)
  | 'needs-auth' // remote upstream needs the user to sign in (OAuth)
  | 'misconfigured' // e.g. a missing secret; error names it; not retried until config/secret changes
  | 'failed' // gave up or cannot start; error says why
  | 'stopped'
  | 'disabled';

export interface UpstreamState {
  name: string;
  transport: 'stdio' | 'http' | 'sse' | 'builtin';
  status: UpstreamStatus;
  /** In words, for the user. Never contains a secret value. */
  error?: string;
  since: number;
  restarts: number;
  nextRetryAt?: number;
  protocolVersion?: string;
  serverInfo?: RawObject;
  capabilities?: RawObject;
  instructions?: string;
}

export interface ServerRequestContext {
  /** Upstream the request came from. */
  upstream: string;
  /** Gateway-side key of the in-flight call that caused it, when known (see CallOptions.callKey). */
  callKey?: string;
  /** Aborted when the upstream cancels its request (`notifications/cancelled`) or goes away. */
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Aborting sends `notifications/cancelled` upstream and rejects with a cancelled UpstreamError. */
  signal?: AbortSignal;
  /** Per-call timeout; every progress notification for this call resets it. */
  timeoutMs?: number;
  /** Progress notifications for this call (progressToken already mapped back by the caller). */
  onProgress?: (params: RawObject) => void;
  /**
   * Opaque key chosen by the caller for this call. Server-to-client requests (sampling, elicitation,
   * roots) that the upstream sends while this call is in flight, and that the transport relates to it
   * (or that arrive while it is the only call in flight), carry it in ServerRequestContext.
   */
  callKey?: string;
  /**
   * Other notifications the upstream sent about this call (log messages, ...): those that came on
   * the call's own HTTP response stream, or, on stdio and SSE links that cannot say, while this was
   * the only call in flight. Without it they go to the 'notification' event like unrelated ones.
   */
  onNotification?: (message: JsonRpcNotification) => void;
  /**
   * Who the call is for (router/client-key.ts): a server with `isolation: "per-client"` runs it in
   * that client's own process. Shared upstreams ignore it.
   */
  clientKey?: string;
  /** The client's name as people know it (router/client-key.ts), for a per-client server's log. */
  clientName?: string;
  /**
   * The client behind the call and its protocol era. An upstream that speaks 2026-07-28 gets a
   * 2026-era client's request natively, with this client's capabilities, info and log level in the
   * per-request `_meta`, and its result (`input_required` included) comes back unchanged. A session-era
   * client's call goes over the upstream's session, or, when the upstream has only 2026-07-28, is
   * carried in that revision with `input_required` rounds answered through the server-request handler.
   */
  client?: CallerInfo;
}

/** Protocol era of a client or of a list view: sessions (2025-11-25 and earlier) or 2026-07-28. */
export type ProtocolEra = 'session' | 'modern';

export interface CallerInfo {
  era: ProtocolEra;
  info?: RawObject;
  capabilities?: RawObject;
  /** The client's log threshold (its request `_meta`, or its session's logging/setLevel). */
  logLevel?: string;
}

/** The lists whose change an upstream announces ('resources' covers resource templates too). */
export type UpstreamListKind = 'tools' | 'prompts' | 'resources';

/** Events of an Upstream, so `on('state', listener)` is checked by the compiler. */
export interface UpstreamEvents {
  state: [state: UpstreamState];
  'list-changed': [kind: UpstreamListKind];
  /** Logging, resources/updated, progress not tied to a call, ... */
  notification: [notification: JsonRpcNotification];
}

/** One live connection to one upstream MCP server, initialized and supervised. */
export interface Upstream extends EventEmitter<UpstreamEvents> {
  readonly name: string;
  state(): UpstreamState;
  /** Raw `result` object as the upstream sent it; rejects with UpstreamError. */
  request(method: string, params: RawObject | undefined, options?: CallOptions): Promise<RawObject>;
  notify(method: string, params?: RawObject): Promise<void>;
  /**
   * Raw objects from the last complete list call (all pages), refreshed on list_changed. `era`: the
   * list as the upstream shows clients of that era (a 2026-07-28 upstream may list tools only to
   * 2026-era clients); default and fallback, the session-era list.
   */
  tools(era?: ProtocolEra): readonly RawObject[];
  prompts(era?: ProtocolEra): readonly RawObject[];
  resources(era?: ProtocolEra): readonly RawObject[];
  resourceTemplates(era?: ProtocolEra): readonly RawObject[];
  /**
   * Handler for server-to-client requests (sampling/createMessage, elicitation/create, roots/list).
   * Set by the router; when unset such requests get a JSON-RPC error.
   */
  setServerRequestHandler(
    handler: ((req: JsonRpcRequest, ctx: ServerRequestContext) => Promise<RawObject>) | undefined,
  ): void;
}

/**
 * JSON-RPC error codes the gateway uses for errors it makes about an upstream (JSON-RPC 2.0 section 5.1
 * leaves -32000..-32099 to implementations). -32000 and -32001 match the SDK's ConnectionClosed and
 * RequestTimeout; -32800 is the "request cancelled" code used by LSP and several MCP clients.
 */
export const UPSTREAM_ERROR = {
  connectionClosed: -32000,
  timeout: -32001,
  unavailable: -32003,
  needsAuth: -32004,
  cancelled: -32800,
  methodNotFound: -32601,
  internal: -32603,
} as const;

/** Transport of one upstream; `builtin` is an in-process server. */
export type UpstreamKind = 'stdio' | 'http' | 'sse' | 'builtin';

/** Makes the client end of an in-process transport pair (e.g. the SDK's InMemoryTransport) for a builtin server. */
export type BuiltinFactory = () => Transport | Promise<Transport>;

/** What createUpstream needs: `config` with every `${secret:...}` reference already resolved. */
export interface UpstreamSpec {
  name: string;
  config: ServerConfig;
  kind: UpstreamKind;
  builtin?: BuiltinFactory;
}

/** One connection made by createUpstream: not supervised, started once, closed once. */
export interface UpstreamConnection extends Upstream {
  /** Spawns/connects, initializes and fetches all lists; rejects with an Error that says why. */
  start(): Promise<void>;
  /** Stops the connection (stdio: stdin closed, SIGTERM, then SIGKILL); resolves once the process is gone. */
  close(): Promise<void>;
  /** Process id of a stdio upstream while it runs. */
  readonly pid: number | undefined;
  /** Last lines a stdio server wrote to stderr (in memory only; configured env values masked). */
  logs(): string[];
}
