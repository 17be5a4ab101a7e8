import type { EventEmitter } from 'node:events';

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
}

/**
 * One live connection to one upstream MCP server, initialized and supervised.
 * Events: 'state' (UpstreamState), 'list-changed' ('tools'|'prompts'|'resources'),
 * 'notification' (JsonRpcNotification: logging, resources/updated, progress not tied to a call, ...).
 */
export interface Upstream extends EventEmitter {
  readonly name: string;
  state(): UpstreamState;
  /** Raw `result` object as the upstream sent it; rejects with UpstreamError. */
  request(method: string, params: RawObject | undefined, options?: CallOptions): Promise<RawObject>;
  notify(method: string, params?: RawObject): Promise<void>;
  /** Raw objects from the last complete list call (all pages), refreshed on list_changed. */
  tools(): readonly RawObject[];
  prompts(): readonly RawObject[];
  resources(): readonly RawObject[];
  resourceTemplates(): readonly RawObject[];
  /**
   * Handler for server-to-client requests (sampling/createMessage, elicitation/create, roots/list).
   * Set by the router; when unset such requests get a JSON-RPC error.
   */
  setServerRequestHandler(handler: ((req: JsonRpcRequest, ctx: ServerRequestContext) => Promise<RawObject>) | undefined): void;
}
