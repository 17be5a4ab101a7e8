/**
 * Wraps the router for the front (CONVENTIONS.md 7: observe by wrapping): notes which tool list each
 * client fetched (tool-list drift), keeps old tool names callable through the config's `aliases`, and
 * serves the connection doctor's streaming probe. Everything else goes to the router unchanged.
 */
import type { ActivitySink } from '../activity/types.js';
import type { Principal } from '../auth/types.js';
import type { ServerConfig } from '../config/schema.js';
import { ERR_METHOD_NOT_FOUND } from './router/errors.js';
import type { Router } from './router/router.js';
import type { RouteContext } from './router/types.js';
import { UpstreamError, type RawObject } from './upstream/types.js';

/** What the front uses of the router. */
export type FrontRouter = Pick<
  Router,
  'request' | 'discoverResult' | 'initializeResult' | 'addListener' | 'broadcastNotification'
>;

/** A request only the doctor principal may send: progress events spaced out in time, then a result. */
export const DOCTOR_STREAM_METHOD = 'tunnelgate/doctor/stream';
const MAX_PROBE_EVENTS = 10;
const MAX_PROBE_INTERVAL_MS = 1000;

export interface RouterTapDeps {
  router: Router;
  servers(): Record<string, ServerConfig>;
  activity?: ActivitySink;
  /** A client fetched the whole tool list (tools/list succeeded). */
  onToolsList?(principal: Principal, tools: readonly RawObject[]): void;
}

export function createRouterTap(deps: RouterTapDeps): FrontRouter {
  const { router } = deps;
  let listed: readonly RawObject[] | undefined;
  let names = new Set<string>();
  const exposedNow = (): Set<string> => {
    const list = router.toolList();
    if (list !== listed) {
      listed = list;
      names = new Set(list.map((t) => String(t['name'])));
    }
    return names;
  };

  /** The exposed name an old name stands for (`aliases`), when the old one is no longer exposed. */
  const aliasTarget = (old: string): string | undefined => {
    if (exposedNow().has(old)) return undefined;
    for (const [server, cfg] of Object.entries(deps.servers())) {
      const tool = cfg.aliases?.[old];
      if (tool !== undefined) return router.exposedToolName(server, tool);
    }
    return undefined;
  };

  async function streamProbe(params: RawObject, ctx: RouteContext): Promise<RawObject> {
    if (ctx.client.principal.kind !== 'doctor')
      throw new UpstreamError(ERR_METHOD_NOT_FOUND, `Method not found: '${DOCTOR_STREAM_METHOD}'`);
    const count = Math.min(Math.max(Number(params['events']) || 3, 2), MAX_PROBE_EVENTS);
    const interval = Math.min(Math.max(Number(params['intervalMs']) || 300, 50), MAX_PROBE_INTERVAL_MS);
    const token = (params['_meta'] as RawObject | undefined)?.['progressToken'] ?? 'doctor';
    for (let i = 1; i <= count; i++) {
      if (ctx.signal.aborted) break;
      ctx.notify('notifications/progress', {
        progressToken: token,
        progress: i,
        total: count,
        sentAt: Date.now(),
      });
      if (i < count) await new Promise((r) => setTimeout(r, interval));
    }
    return { events: count, sentAt: Date.now() };
  }

  /**
   * Not async: a call goes on as the router's own promise, without an async frame around it on the
   * way back (issue 16); only a whole tools/list is waited for here, to note it.
   */
  function request(method: string, params: RawObject | undefined, ctx: RouteContext): Promise<RawObject> {
    if (method === DOCTOR_STREAM_METHOD) return streamProbe(params ?? {}, ctx);
    if (method === 'tools/call' && typeof params?.['name'] === 'string') {
      const old = params['name'];
      let target: string | undefined;
      try {
        target = aliasTarget(old);
      } catch (err) {
        // Rejected, as from an async function: callers take failures from the promise.
        return Promise.reject(err as Error);
      }
      if (target !== undefined) {
        // ChatGPT calls by its frozen snapshot's names: serve the old one, and say so in the log.
        deps.activity?.record({
          time: Date.now(),
          kind: 'system',
          method: 'gateway/alias',
          target: `${old} -> ${target}`,
          outcome: 'ok',
          ...(ctx.client.principal.clientName ? { client: { name: ctx.client.principal.clientName } } : {}),
        });
        return router.request(method, { ...params, name: target }, ctx);
      }
    }
    if (method !== 'tools/list' || params?.['cursor'] !== undefined || deps.onToolsList === undefined)
      return router.request(method, params, ctx);
    return router.request(method, params, ctx).then((result) => {
      if (Array.isArray(result['tools']))
        deps.onToolsList?.(ctx.client.principal, result['tools'] as RawObject[]);
      return result;
    });
  }

  return {
    request,
    discoverResult: (versions) => router.discoverResult(versions),
    initializeResult: (version) => router.initializeResult(version),
    addListener: (listener) => router.addListener(listener),
    broadcastNotification: (method, params) => router.broadcastNotification(method, params),
  };
}
