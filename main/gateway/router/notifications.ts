import type { ActivitySink } from '../../activity/types.js';
import type { JsonRpcNotification, Upstream } from '../upstream/types.js';
import type { LogLevels } from './log-levels.js';
import type { Subscriptions } from './subscriptions.js';
import type { NotificationListener, RouteContext } from './types.js';

export interface NotificationDeliveryDeps {
  /** Sessions and listen streams by id (the ids resource subscriptions are kept under). */
  listeners: ReadonlyMap<string, NotificationListener>;
  subs: Pick<Subscriptions, 'listeners'>;
  logLevels: Pick<LogLevels, 'admits'>;
  activity?: ActivitySink;
}

export type NotificationDelivery = ReturnType<typeof createNotificationDelivery>;

/**
 * Where an upstream's notifications go: one tied to a call goes to that call's client alone; one
 * that is not goes to the sessions subscribed to it, or (a log message) to the owner only.
 */
export function createNotificationDelivery(deps: NotificationDeliveryDeps) {
  const { listeners, subs, logLevels } = deps;
  return {
    /** A notification the upstream sent outside any call. */
    fromUpstream(upstream: Upstream, n: JsonRpcNotification): void {
      if (n.method === 'notifications/resources/updated') {
        const uri = n.params?.['uri'];
        if (typeof uri !== 'string') return;
        for (const id of subs.listeners(upstream.name, uri) ?? [])
          listeners.get(id)?.send(n.method, n.params);
      } else if (n.method === 'notifications/message') {
        // A log message no call can be named for could carry any client's data: the owner sees it in
        // the activity log, no client gets it.
        deps.activity?.record({
          time: Date.now(),
          kind: 'notification',
          method: n.method,
          upstream: upstream.name,
          outcome: 'ok',
          request: n.params,
        });
      }
    },

    /** A notification the upstream tied to one call goes to that call's client alone. */
    toCall(ctx: RouteContext, n: JsonRpcNotification): void {
      if (n.method === 'notifications/message' && !logLevels.admits(ctx, n.params)) return;
      ctx.notify(n.method, n.params ?? {});
    },
  };
}
