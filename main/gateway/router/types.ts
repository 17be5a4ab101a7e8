import type { EventEmitter } from 'node:events';
import type { Principal } from '../../auth/types.js';
import type { ProtocolEra, RawObject, Upstream } from '../upstream/types.js';

/** Who a request comes from, as the front established it (session era or one stateless request). */
export interface ClientView {
  /** Session-era session id; absent for the stateless 2026-07-28 era. */
  sessionId?: string;
  protocolVersion: string;
  principal: Principal;
  clientInfo?: RawObject;
  /** Client capabilities (initialize params, or the request's `_meta` envelope). */
  capabilities: RawObject;
}

/** One request in flight through the router. */
export interface RouteContext {
  client: ClientView;
  signal: AbortSignal;
  /** Sends a notification tied to this request (progress) over the request's own stream. */
  notify(method: string, params: RawObject): void;
  /** Sends a server-to-client request (sampling, elicitation, roots) tied to this request. */
  ask(method: string, params: RawObject): Promise<RawObject>;
  /**
   * 2026-07-28: the request's own log level (`_meta['io.modelcontextprotocol/logLevel']`); absent
   * means no log messages for it. Session era: unset, the session's logging/setLevel applies.
   */
  logLevel?: string;
  /** Filled by the router for the activity log. */
  upstream?: string;
  target?: string;
  denied?: boolean;
}

/** A receiver of notifications not tied to one request: a session, or a 2026-era listen stream. */
export interface NotificationListener {
  id: string;
  send(method: string, params?: RawObject): void;
  /** Threshold set by logging/setLevel (or the request envelope); unset = no log messages. */
  logLevel?: string;
  /** Whose view its list_changed notifications follow: a session (default) or a 2026-era listen stream. */
  era?: ProtocolEra;
  /** Whether it wants `notifications/<kind>/list_changed`; default yes. */
  wantsListChanged?(kind: 'tools' | 'prompts' | 'resources'): boolean;
}

/**
 * What the router needs from the upstream manager (main/gateway/upstream/manager.ts): the current
 * upstreams, and events when the set or a state changes ('added', 'removed', 'state', 'list-changed').
 */
export interface UpstreamSource extends EventEmitter {
  list(): readonly Upstream[];
}
