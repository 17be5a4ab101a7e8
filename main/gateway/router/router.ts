import { EventEmitter } from 'node:events';
import type { Principal } from '../../auth/types.js';
import type { ActivitySink } from '../../activity/types.js';
import type { ServerConfig } from '../../config/schema.js';
import type { RawObject } from '../upstream/types.js';
import { createAttachments } from './attachments.js';
import { createCatalogView, type RouterEvents } from './catalog-view.js';
import { createDispatch, hasFullAccess } from './dispatch.js';
import { createForwarding } from './forwarding.js';
import { createLogLevels } from './log-levels.js';
import { createNotificationDelivery } from './notifications.js';
import { createResourceRoutes } from './resource-routes.js';
import { createServerRequestRelay } from './server-requests.js';
import { buildInitializeResult, buildDiscoverResult } from './server-identity.js';
import { createSubscriptions } from './subscriptions.js';
import type { NotificationListener, UpstreamSource } from './types.js';

export interface RouterDeps {
  upstreams: UpstreamSource;
  /** mcpServers from the config, for prefixes, tool filters and per-server timeouts (order matters). */
  servers?: Record<string, ServerConfig>;
  callTimeoutMs?: number;
  activity?: ActivitySink;
  serverInfo?: RawObject;
}

export type Router = ReturnType<typeof createRouter>;

/**
 * The router: one merged MCP view over every ready upstream. `request` answers one client request
 * (the front has already dealt with transport, sessions and eras). Events: 'list-changed' (kind),
 * 'warnings' (Map server -> messages).
 *
 * Its parts, one concern each: attachments.ts (which upstreams, in config order), catalog-view.ts
 * (the merged lists and their change notices), log-levels.ts, notifications.ts (where upstream
 * notifications go), forwarding.ts (one call to its upstream), resource-routes.ts and dispatch.ts
 * (the method switch).
 */
export function createRouter(deps: RouterDeps) {
  const events = new EventEmitter<RouterEvents>();
  let servers: Record<string, ServerConfig> = deps.servers ?? {};
  const currentServers = (): Record<string, ServerConfig> => servers;
  /** Sessions and 2026-era listen streams by id. */
  const listeners = new Map<string, NotificationListener>();

  const logLevels = createLogLevels({ listeners });
  const relay = createServerRequestRelay({ activity: deps.activity });
  // The hooks name parts made after the attachments (which those parts read); they first run in
  // attachments.start(), when every part exists.
  const attachments = createAttachments({
    source: deps.upstreams,
    servers: currentServers,
    hooks: {
      onReady(upstream, again) {
        if (again) {
          logLevels.forget(upstream);
          subs.renew(upstream);
        }
        void logLevels.apply(upstream);
      },
      onChange: () => catalog.invalidate(),
      onNotification: (upstream, n) => delivery.fromUpstream(upstream, n),
      onServerRequest: (req, ctx) => relay.handle(req, ctx),
    },
  });
  const subs = createSubscriptions(attachments.get);
  const delivery = createNotificationDelivery({ listeners, subs, logLevels, activity: deps.activity });
  const catalog = createCatalogView({
    views: attachments.ordered,
    upstreams: attachments.upstreams,
    listeners,
    events,
    activity: deps.activity,
  });
  const forwarding = createForwarding({
    attachments,
    catalog,
    servers: currentServers,
    callTimeoutMs: deps.callTimeoutMs,
    relay,
    logLevels,
    delivery,
  });
  const resources = createResourceRoutes({ attachments, catalog, forwarding, subs });
  const request = createDispatch({ attachments, catalog, forwarding, resources, logLevels });
  attachments.start();

  return {
    request,
    /** Forwards a client notification that concerns every upstream (roots/list_changed). */
    broadcastNotification(method: string, params?: RawObject): void {
      for (const upstream of attachments.upstreams())
        if (upstream.state().status === 'ready') upstream.notify(method, params).catch(() => {});
    },
    initializeResult: (protocolVersion: string) =>
      buildInitializeResult(protocolVersion, attachments.ordered(), deps.serverInfo),
    discoverResult: (supportedVersions: readonly string[]) =>
      buildDiscoverResult(supportedVersions, attachments.ordered(), deps.serverInfo),
    addListener(listener: NotificationListener): () => void {
      listeners.set(listener.id, listener);
      return () => {
        listeners.delete(listener.id);
        subs.removeListener(listener.id);
      };
    },
    setServers(next: Record<string, ServerConfig>): void {
      servers = next;
      catalog.invalidate();
    },
    /** Exposed name of an upstream's tool in the merged view (after prefix, shortening, collisions). */
    exposedToolName(server: string, tool: string): string | undefined {
      for (const e of catalog.get().tools.values())
        if (e.upstream === server && e.name === tool) return e.exposed;
      return undefined;
    },
    /** The merged tool list as a full-access client gets it (for the doctor's tool-list checks). */
    toolList: (): readonly RawObject[] => catalog.get().toolList,
    /** The list this principal gets from tools/list now (read-only grants see fewer; tool-list drift). */
    toolListFor: (principal: Principal): readonly RawObject[] =>
      hasFullAccess(principal) ? catalog.get().toolList : catalog.get().readOnlyToolList,
    /** Current naming warnings per server (collisions, renamed names). */
    warnings: (): ReadonlyMap<string, readonly string[]> => catalog.get().warnings,
    on: events.on.bind(events),
    off: events.off.bind(events),
    close(): void {
      catalog.close();
      attachments.close();
      listeners.clear();
    },
  };
}
