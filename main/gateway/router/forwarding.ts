import type { ServerConfig } from '../../config/schema.js';
import { UpstreamError } from '../upstream/types.js';
import type { CallOptions, CallerInfo, ProtocolEra, RawObject, Upstream } from '../upstream/types.js';
import { defaultPrefix, type Attachments } from './attachments.js';
import type { CatalogView } from './catalog-view.js';
import { clientKeyOf, clientNameOf } from './client-key.js';
import { ERR_INVALID_PARAMS, unavailableError } from './errors.js';
import type { LogLevels } from './log-levels.js';
import type { NotificationDelivery } from './notifications.js';
import type { ServerRequestRelay } from './server-requests.js';
import type { RouteContext } from './types.js';

export interface ForwardingDeps {
  attachments: Pick<Attachments, 'get' | 'names'>;
  catalog: Pick<CatalogView, 'lastOwner'>;
  /** mcpServers from the config now (prefixes, per-server timeouts). */
  servers(): Record<string, ServerConfig>;
  callTimeoutMs?: number;
  relay: Pick<ServerRequestRelay, 'register' | 'unregister'>;
  logLevels: Pick<LogLevels, 'clientLevel' | 'enterRequest' | 'leaveRequest'>;
  delivery: Pick<NotificationDelivery, 'toCall'>;
}

export type Forwarding = ReturnType<typeof createForwarding>;

/** The protocol era of the client behind a request: revisions are ISO dates, 2026-07-28 on are stateless. */
export const eraOf = (ctx: RouteContext): ProtocolEra =>
  ctx.client.protocolVersion >= '2026-07-28' ? 'modern' : 'session';

/**
 * Sends one client request on to the upstream that serves it, with everything that belongs to the
 * call: its timeout, progress, the client it is for, server-to-client requests and notifications
 * routed back to it, and its log level.
 */
export function createForwarding(deps: ForwardingDeps) {
  const { attachments, relay, logLevels, delivery } = deps;

  /**
   * The client behind a call as an upstream connection needs it (era, capabilities, info, level).
   * Absent ones are undefined rather than left out: one literal of one shape, not two spreads per
   * call (the connection treats both alike).
   */
  const callerOf = (ctx: RouteContext): CallerInfo => ({
    era: eraOf(ctx),
    capabilities: ctx.client.capabilities,
    info: ctx.client.clientInfo,
    logLevel: logLevels.clientLevel(ctx),
  });

  /** The upstream by server name, or the error that says why it cannot take a request now. */
  const readyUpstream = (name: string): Upstream => {
    const up = attachments.get(name);
    if (up === undefined) throw new UpstreamError(ERR_INVALID_PARAMS, `Server '${name}' is not configured`);
    const state = up.state();
    if (state.status !== 'ready') throw unavailableError(state);
    return up;
  };

  /**
   * The error for a name not in the merged view: its server is down, or the name is unknown. A down
   * server is the one the call was meant for: the request's activity entry names it too.
   */
  const missing = (kind: 'tool' | 'prompt', exposed: string, ctx?: RouteContext): UpstreamError => {
    let owner = deps.catalog.lastOwner(kind, exposed);
    if (owner === undefined) {
      const servers = deps.servers();
      for (const name of attachments.names()) {
        const prefix = servers[name]?.prefix ?? defaultPrefix(name);
        if (prefix !== '' && exposed.startsWith(`${prefix}__`)) owner = name;
      }
    }
    const up = owner === undefined ? undefined : attachments.get(owner);
    if (up !== undefined && up.state().status !== 'ready') {
      if (ctx !== undefined) ctx.upstream = owner;
      return unavailableError(up.state());
    }
    return new UpstreamError(
      ERR_INVALID_PARAMS,
      `Unknown ${kind} '${exposed}'. Call ${kind}s/list to see what is on offer.`,
    );
  };

  /** What one call to an upstream carries: its timeout, progress, client, and routing key. */
  const callOptions = (
    ctx: RouteContext,
    upstreamName: string,
    params: RawObject | undefined,
    callKey: string,
  ): CallOptions => {
    const token = (params?.['_meta'] as RawObject | undefined)?.['progressToken'];
    return {
      signal: ctx.signal,
      timeoutMs: deps.servers()[upstreamName]?.timeoutMs ?? deps.callTimeoutMs,
      onProgress:
        token === undefined
          ? undefined
          : (p: RawObject) =>
              ctx.notify(
                'notifications/progress',
                p['progressToken'] === token ? p : { ...p, progressToken: token },
              ),
      callKey,
      clientKey: clientKeyOf(ctx.client),
      client: callerOf(ctx),
      clientName: clientNameOf(ctx.client),
      onNotification: (n) => delivery.toCall(ctx, n),
    };
  };

  /**
   * Sends a call on to its upstream. Not async for the usual call (no log level of its own): the
   * upstream's promise and one then() that lets go of the call's routing key, rather than an async
   * frame with try/finally around it (issue 16); failures come back rejected either way.
   */
  const forward = (
    ctx: RouteContext,
    upstreamName: string,
    method: string,
    params: RawObject | undefined,
  ): Promise<RawObject> => {
    // Named before the readiness check: a call refused because its upstream is down is still logged
    // against the upstream it was meant for (the error names it too).
    ctx.upstream = upstreamName;
    let up: Upstream;
    try {
      up = readyUpstream(upstreamName);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const level = ctx.logLevel;
    if (level !== undefined) return forwardAtLevel(ctx, up, upstreamName, method, params, level);
    const callKey = relay.register(ctx);
    let answer: Promise<RawObject>;
    try {
      answer = up.request(method, params, callOptions(ctx, upstreamName, params, callKey));
    } catch (err) {
      relay.unregister(callKey);
      return Promise.reject(err as Error);
    }
    return answer.then(
      (result) => {
        relay.unregister(callKey);
        return result;
      },
      (err: unknown) => {
        relay.unregister(callKey);
        return Promise.reject(err as Error);
      },
    );
  };

  /** A call with its own log level (2026-07-28): the upstream is told the level first, if it must be. */
  const forwardAtLevel = async (
    ctx: RouteContext,
    up: Upstream,
    upstreamName: string,
    method: string,
    params: RawObject | undefined,
    level: string,
  ): Promise<RawObject> => {
    const callKey = relay.register(ctx);
    await logLevels.enterRequest(up, level);
    try {
      return await up.request(method, params, callOptions(ctx, upstreamName, params, callKey));
    } finally {
      relay.unregister(callKey);
      logLevels.leaveRequest(level);
    }
  };

  return { readyUpstream, missing, forward };
}
