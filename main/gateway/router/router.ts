import { EventEmitter } from 'node:events';
import { SCOPE_FULL } from '../../../preload/contract.js';
import type { Principal } from '../../auth/types.js';
import type { ActivitySink } from '../../activity/types.js';
import type { ServerConfig } from '../../config/schema.js';
import { UpstreamError } from '../upstream/types.js';
import type {
  CallerInfo,
  JsonRpcNotification,
  JsonRpcRequest,
  ProtocolEra,
  RawObject,
  ServerRequestContext,
  Upstream,
} from '../upstream/types.js';
import { buildCatalog, resourceOwner } from './catalog.js';
import { clientKeyOf, clientNameOf } from './client-key.js';
import type { Catalog, ServerView } from './catalog.js';
import { ERR_FORBIDDEN, ERR_INVALID_PARAMS, ERR_METHOD_NOT_FOUND, unavailableError } from './errors.js';
import { createSubscriptions } from './subscriptions.js';
import type { NotificationListener, RouteContext, UpstreamSource } from './types.js';
import { createServerRequestRelay } from './server-requests.js';
import { buildInitializeResult, buildDiscoverResult } from './server-identity.js';

export interface RouterDeps {
  upstreams: UpstreamSource;
  /** mcpServers from the config, for prefixes, tool filters and per-server timeouts (order matters). */
  servers?: Record<string, ServerConfig>;
  callTimeoutMs?: number;
  activity?: ActivitySink;
  serverInfo?: RawObject;
}

/** Session-era log levels, least to most severe (RFC 5424 names, MCP logging spec). */
export const LOG_LEVELS: readonly string[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Whether this principal may see and call tools that are not read-only. */
function hasFullAccess(p: Principal): boolean {
  return p.kind === 'local' || p.scopes.includes(SCOPE_FULL);
}

export type Router = ReturnType<typeof createRouter>;

/**
 * The router: one merged MCP view over every ready upstream. `request` answers one client request
 * (the front has already dealt with transport, sessions and eras). Events: 'list-changed' (kind),
 * 'warnings' (Map server -> messages).
 */
export function createRouter(deps: RouterDeps) {
  const events = new EventEmitter();
  let servers: Record<string, ServerConfig> = deps.servers ?? {};
  const attached = new Map<string, { upstream: Upstream; detach: () => void }>();
  const listeners = new Map<string, NotificationListener>();
  const lastKnownOwner = new Map<string, string>();
  /** The merged view per protocol era (a 2026-07-28 upstream may list more to 2026-era clients). */
  let catalogs: Partial<Record<ProtocolEra, Catalog>> = {};
  const published: Record<ProtocolEra, Catalog['fingerprints']> = {
    session: { tools: '', prompts: '', resources: '' },
    modern: { tools: '', prompts: '', resources: '' },
  };
  let publishedWarnings = '';
  let checkScheduled = false;
  let closed = false;

  const getUpstream = (name: string): Upstream | undefined => attached.get(name)?.upstream;
  const subs = createSubscriptions(getUpstream);
  const relay = createServerRequestRelay({ activity: deps.activity });

  const orderedViews = (): ServerView[] => {
    const keys = Object.keys(servers);
    const ups = [...attached.values()].map((a) => a.upstream);
    ups.sort((a, b) => rank(keys, a.name) - rank(keys, b.name));
    return ups.map((upstream) => {
      const cfg = servers[upstream.name];
      return {
        name: upstream.name,
        upstream,
        prefix: cfg?.prefix ?? defaultPrefix(upstream.name),
        allow: cfg?.tools?.allow,
        deny: cfg?.tools?.deny,
        readOnly: cfg?.tools?.readOnly,
        annotations: cfg?.annotations,
      };
    });
  };

  /** Whether any ready upstream is spoken to in 2026-07-28 (its lists may differ per era). */
  const speaksModern = (): boolean => {
    for (const { upstream } of attached.values()) {
      const st = upstream.state();
      if (st.status === 'ready' && (st.protocolVersion ?? '') >= '2026-07-28') return true;
    }
    return false;
  };

  const getCatalog = (era: ProtocolEra = 'session'): Catalog => {
    let catalog = catalogs[era];
    if (catalog === undefined) {
      // Without a 2026-07-28 upstream both eras see the same lists: build them once.
      if (era === 'modern' && !speaksModern()) return (catalogs.modern = getCatalog('session'));
      catalog = catalogs[era] = buildCatalog(orderedViews(), era);
      for (const [exposed, e] of catalog.tools) lastKnownOwner.set(`tool:${exposed}`, e.upstream);
      for (const [exposed, e] of catalog.prompts) lastKnownOwner.set(`prompt:${exposed}`, e.upstream);
    }
    return catalog;
  };

  /** Something changed upstream: rebuild lazily, and tell listeners which lists really changed. */
  const invalidate = (): void => {
    catalogs = {};
    if (checkScheduled || closed) return;
    checkScheduled = true;
    setImmediate(() => {
      checkScheduled = false;
      if (closed) return;
      const cat = getCatalog();
      for (const kind of ['tools', 'prompts', 'resources'] as const) {
        const changed = (['session', 'modern'] as const).filter(
          (era) => getCatalog(era).fingerprints[kind] !== published[era][kind],
        );
        if (changed.length === 0) continue;
        // Each listener hears about the view of its own era.
        for (const l of listeners.values())
          if (changed.includes(l.era ?? 'session') && l.wantsListChanged?.(kind) !== false)
            l.send(`notifications/${kind}/list_changed`);
        events.emit('list-changed', kind);
      }
      published.session = { ...cat.fingerprints };
      published.modern = { ...getCatalog('modern').fingerprints };
      const w = JSON.stringify([...cat.warnings]);
      if (w !== publishedWarnings) {
        publishedWarnings = w;
        events.emit('warnings', cat.warnings);
        for (const [server, list] of cat.warnings) {
          for (const message of list)
            deps.activity?.record({
              time: Date.now(),
              kind: 'system',
              method: 'gateway/naming',
              upstream: server,
              outcome: 'error',
              error: { message },
            });
        }
      }
    });
  };

  const onUpstreamNotification = (upstream: Upstream, n: JsonRpcNotification): void => {
    if (n.method === 'notifications/resources/updated') {
      const uri = n.params?.['uri'];
      if (typeof uri !== 'string') return;
      for (const id of subs.listeners(upstream.name, uri) ?? []) listeners.get(id)?.send(n.method, n.params);
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
  };

  /** The protocol era of the client behind a request: revisions are ISO dates, 2026-07-28 on are stateless. */
  const eraOf = (ctx: RouteContext): ProtocolEra =>
    ctx.client.protocolVersion >= '2026-07-28' ? 'modern' : 'session';

  /** The client behind a call as an upstream connection needs it (era, capabilities, info, level). */
  const callerOf = (ctx: RouteContext): CallerInfo => {
    const logLevel = clientLogLevel(ctx);
    return {
      era: eraOf(ctx),
      capabilities: ctx.client.capabilities,
      ...(ctx.client.clientInfo ? { info: ctx.client.clientInfo } : {}),
      ...(logLevel !== undefined ? { logLevel } : {}),
    };
  };

  /** The log threshold of the client behind a call: its request's own (2026-07-28), else its session's. */
  const clientLogLevel = (ctx: RouteContext): string | undefined =>
    ctx.logLevel ??
    (ctx.client.sessionId === undefined ? undefined : listeners.get(ctx.client.sessionId)?.logLevel);

  /** A notification the upstream tied to one call goes to that call's client alone. */
  const deliverToCall = (ctx: RouteContext, n: JsonRpcNotification): void => {
    if (n.method === 'notifications/message') {
      const wanted = clientLogLevel(ctx);
      // No level asked for: no log messages (2026-07-28 logging: "MUST NOT send ... for this request").
      if (wanted === undefined) return;
      const min = LOG_LEVELS.indexOf(wanted);
      if (min < 0 || LOG_LEVELS.indexOf(String(n.params?.['level'])) < min) return;
    }
    ctx.notify(n.method, n.params ?? {});
  };

  /**
   * Upstreams are shared by every session, so they log at the most verbose level any session asked
   * for (logging/setLevel); each session still gets only what its own level lets through.
   */
  const upstreamLogLevel = (): string | undefined => {
    let best = -1;
    const consider = (level: string | undefined): void => {
      const i = level === undefined ? -1 : LOG_LEVELS.indexOf(level);
      if (i >= 0 && (best < 0 || i < best)) best = i;
    };
    for (const l of listeners.values()) consider(l.logLevel);
    for (const level of requestLevels.keys()) consider(level);
    return best < 0 ? undefined : LOG_LEVELS[best];
  };
  /** Levels of 2026-era requests in flight (level -> count): they count while their call runs. */
  const requestLevels = new Map<string, number>();
  /** The level last set on each upstream, so a request at an already-covered level sends nothing. */
  const appliedLevels = new WeakMap<Upstream, string>();
  const applyLogLevel = (upstream: Upstream, level = upstreamLogLevel()): Promise<unknown> => {
    const st = upstream.state();
    if (level === undefined || st.status !== 'ready' || st.capabilities?.['logging'] === undefined)
      return Promise.resolve();
    appliedLevels.set(upstream, level);
    return upstream.request('logging/setLevel', { level }).catch(() => ({}));
  };

  const attach = (upstream: Upstream): void => {
    let wasReady = upstream.state().status === 'ready';
    if (wasReady) void applyLogLevel(upstream);
    const onState = (): void => {
      const ready = upstream.state().status === 'ready';
      // A reconnected upstream has forgotten its subscriptions and log level: set them again, once
      // per reconnect.
      if (ready && !wasReady) {
        appliedLevels.delete(upstream);
        subs.renew(upstream);
        void applyLogLevel(upstream);
      }
      wasReady = ready;
      invalidate();
    };
    const onList = (): void => invalidate();
    const onNote = (n: JsonRpcNotification): void => onUpstreamNotification(upstream, n);
    upstream.on('state', onState);
    upstream.on('list-changed', onList);
    upstream.on('notification', onNote);
    upstream.setServerRequestHandler((req: JsonRpcRequest, ctx: ServerRequestContext) =>
      relay.handle(req, ctx),
    );
    attached.set(upstream.name, {
      upstream,
      detach: () => {
        upstream.off('state', onState);
        upstream.off('list-changed', onList);
        upstream.off('notification', onNote);
        upstream.setServerRequestHandler(undefined);
      },
    });
  };

  /** Re-reads the manager's upstream list: attaches new ones, detaches those that left. */
  const sync = (): void => {
    const current = new Map(deps.upstreams.list().map((u) => [u.name, u]));
    for (const [name, a] of attached) {
      if (current.get(name) !== a.upstream) {
        a.detach();
        attached.delete(name);
      }
    }
    for (const [name, u] of current) if (!attached.has(name)) attach(u);
    invalidate();
  };
  const managerEvents = ['added', 'removed', 'state', 'list-changed'] as const;
  for (const e of managerEvents) deps.upstreams.on(e, sync);
  sync();

  const readyUpstream = (name: string): Upstream => {
    const up = getUpstream(name);
    if (up === undefined) throw new UpstreamError(ERR_INVALID_PARAMS, `Server '${name}' is not configured`);
    const state = up.state();
    if (state.status !== 'ready') throw unavailableError(state);
    return up;
  };

  /** The error for a name not in the merged view: its server is down, or the name is unknown. */
  const missing = (kind: 'tool' | 'prompt', exposed: string): UpstreamError => {
    let owner = lastKnownOwner.get(`${kind}:${exposed}`);
    if (owner === undefined) {
      for (const [name] of attached) {
        const prefix = servers[name]?.prefix ?? defaultPrefix(name);
        if (prefix !== '' && exposed.startsWith(`${prefix}__`)) owner = name;
      }
    }
    const up = owner === undefined ? undefined : getUpstream(owner);
    if (up !== undefined && up.state().status !== 'ready') return unavailableError(up.state());
    return new UpstreamError(
      ERR_INVALID_PARAMS,
      `Unknown ${kind} '${exposed}'. Call ${kind}s/list to see what is on offer.`,
    );
  };

  const forward = async (
    ctx: RouteContext,
    upstreamName: string,
    method: string,
    params: RawObject | undefined,
  ): Promise<RawObject> => {
    const up = readyUpstream(upstreamName);
    ctx.upstream = upstreamName;
    const token = (params?.['_meta'] as RawObject | undefined)?.['progressToken'];
    const callKey = relay.register(ctx);
    const level = ctx.logLevel;
    if (level !== undefined) {
      requestLevels.set(level, (requestLevels.get(level) ?? 0) + 1);
      // The upstream is shared: it logs at the most verbose level anyone asked for, and each client
      // still gets only its own call's messages at its own level (deliverToCall).
      const effective = upstreamLogLevel();
      const applied = appliedLevels.get(up);
      if (
        effective !== undefined &&
        (applied === undefined || LOG_LEVELS.indexOf(effective) < LOG_LEVELS.indexOf(applied))
      )
        await applyLogLevel(up, effective);
    }
    try {
      return await up.request(method, params, {
        signal: ctx.signal,
        timeoutMs: servers[upstreamName]?.timeoutMs ?? deps.callTimeoutMs,
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
        onNotification: (n) => deliverToCall(ctx, n),
      });
    } finally {
      relay.unregister(callKey);
      if (level !== undefined) {
        const left = (requestLevels.get(level) ?? 1) - 1;
        if (left > 0) requestLevels.set(level, left);
        else requestLevels.delete(level);
      }
    }
  };

  const readResource = async (ctx: RouteContext, params: RawObject): Promise<RawObject> => {
    const uri = String(params['uri']);
    ctx.target = uri;
    const owner = resourceOwner(getCatalog(eraOf(ctx)), uri);
    if (owner !== undefined) return forward(ctx, owner, 'resources/read', params);
    // Not listed and no template matches (e.g. a ui:// widget): ask each server that has resources.
    let lastError: unknown;
    let notFound: UpstreamError | undefined;
    for (const { upstream } of orderedViews()) {
      const st = upstream.state();
      if (st.status !== 'ready' || st.capabilities?.['resources'] === undefined) continue;
      try {
        return await forward(ctx, upstream.name, 'resources/read', params);
      } catch (err) {
        lastError = err;
        // A not-found answer that names the URI (2026-07-28: `data.uri`) says the most: relay that one.
        if (err instanceof UpstreamError && (err.data as RawObject | undefined)?.['uri'] === uri)
          notFound ??= err;
      }
    }
    if (notFound !== undefined) throw notFound;
    if (lastError instanceof UpstreamError) throw lastError;
    throw new UpstreamError(ERR_INVALID_PARAMS, `Resource '${uri}' is not offered by any connected server`, {
      uri,
    });
  };

  async function request(
    method: string,
    params: RawObject | undefined,
    ctx: RouteContext,
  ): Promise<RawObject> {
    const p = params ?? {};
    switch (method) {
      case 'ping':
        return {};
      case 'tools/list': {
        const { results } = getCatalog(eraOf(ctx));
        return hasFullAccess(ctx.client.principal) ? results.tools : results.readOnlyTools;
      }
      case 'tools/call': {
        const exposed = String(p['name']);
        ctx.target = exposed;
        if (p['task'] !== undefined)
          throw new UpstreamError(
            ERR_INVALID_PARAMS,
            `Tool '${exposed}' was called as a task (params.task), and the gateway does not relay tasks: call it without 'task' to get its result directly.`,
          );
        const entry = getCatalog(eraOf(ctx)).tools.get(exposed);
        if (entry === undefined) throw missing('tool', exposed);
        if (!entry.readOnly && !hasFullAccess(ctx.client.principal)) {
          ctx.denied = true;
          throw new UpstreamError(
            ERR_FORBIDDEN,
            `Tool '${exposed}' can change things, and this client was granted read-only access (mcp:read). Reconnect it with full access to call this tool.`,
          );
        }
        return forward(ctx, entry.upstream, method, { ...p, name: entry.name });
      }
      case 'prompts/list':
        return getCatalog(eraOf(ctx)).results.prompts;
      case 'prompts/get': {
        const exposed = String(p['name']);
        ctx.target = exposed;
        const entry = getCatalog(eraOf(ctx)).prompts.get(exposed);
        if (entry === undefined) throw missing('prompt', exposed);
        return forward(ctx, entry.upstream, method, { ...p, name: entry.name });
      }
      case 'resources/list':
        return getCatalog(eraOf(ctx)).results.resources;
      case 'resources/templates/list':
        return getCatalog(eraOf(ctx)).results.resourceTemplates;
      case 'resources/read':
        return readResource(ctx, p);
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = String(p['uri']);
        ctx.target = uri;
        const listenerId = ctx.client.sessionId;
        if (listenerId === undefined)
          throw new UpstreamError(
            ERR_INVALID_PARAMS,
            `${method} needs a session (protocol 2025-11-25 or earlier); on 2026-07-28 use subscriptions/listen`,
          );
        const owner = resourceOwner(getCatalog(), uri);
        if (method === 'resources/unsubscribe') {
          for (const name of owner === undefined ? attached.keys() : [owner])
            subs.remove(listenerId, name, uri);
          return {};
        }
        if (owner !== undefined) {
          ctx.upstream = owner;
          await subs.add(listenerId, readyUpstream(owner).name, uri);
          return {};
        }
        // Not listed (e.g. a ui:// widget): ask each server that offers subscriptions, as a read does.
        let lastError: unknown;
        for (const { upstream } of orderedViews()) {
          const st = upstream.state();
          const res = st.capabilities?.['resources'] as RawObject | undefined;
          if (st.status !== 'ready' || res?.['subscribe'] !== true) continue;
          try {
            await subs.add(listenerId, upstream.name, uri);
            ctx.upstream = upstream.name;
            return {};
          } catch (err) {
            lastError = err;
          }
        }
        if (lastError instanceof UpstreamError) throw lastError;
        throw new UpstreamError(
          ERR_INVALID_PARAMS,
          `Resource '${uri}' is not offered by any connected server`,
          {
            uri,
          },
        );
      }
      case 'completion/complete': {
        const ref = (p['ref'] ?? {}) as RawObject;
        if (ref['type'] === 'ref/prompt') {
          const entry = getCatalog(eraOf(ctx)).prompts.get(String(ref['name']));
          if (entry === undefined) throw missing('prompt', String(ref['name']));
          ctx.target = entry.exposed;
          return forward(ctx, entry.upstream, method, { ...p, ref: { ...ref, name: entry.name } });
        }
        const uri = String(ref['uri']);
        ctx.target = uri;
        const owner = resourceOwner(getCatalog(eraOf(ctx)), uri);
        if (owner === undefined)
          throw new UpstreamError(
            ERR_INVALID_PARAMS,
            `No connected server offers a resource template matching '${uri}'`,
          );
        return forward(ctx, owner, method, p);
      }
      case 'logging/setLevel': {
        const level = String(p['level']);
        if (!LOG_LEVELS.includes(level))
          throw new UpstreamError(
            ERR_INVALID_PARAMS,
            `logging/setLevel: level must be one of ${LOG_LEVELS.join(', ')} (got '${level}')`,
          );
        const l = ctx.client.sessionId === undefined ? undefined : listeners.get(ctx.client.sessionId);
        // Without a session there is no level to keep (2026-07-28 sends it with each request instead).
        if (l === undefined) return {};
        l.logLevel = level;
        const effective = upstreamLogLevel();
        await Promise.all([...attached.values()].map((a) => applyLogLevel(a.upstream, effective)));
        return {};
      }
      default:
        throw new UpstreamError(ERR_METHOD_NOT_FOUND, `Method not found: '${method}'`);
    }
  }

  return {
    request,
    /** Forwards a client notification that concerns every upstream (roots/list_changed). */
    broadcastNotification(method: string, params?: RawObject): void {
      for (const { upstream } of attached.values())
        if (upstream.state().status === 'ready') upstream.notify(method, params).catch(() => {});
    },
    initializeResult: (protocolVersion: string) =>
      buildInitializeResult(protocolVersion, orderedViews(), deps.serverInfo),
    discoverResult: (supportedVersions: readonly string[]) =>
      buildDiscoverResult(supportedVersions, orderedViews(), deps.serverInfo),
    addListener(listener: NotificationListener): () => void {
      listeners.set(listener.id, listener);
      return () => {
        listeners.delete(listener.id);
        subs.removeListener(listener.id);
      };
    },
    setServers(next: Record<string, ServerConfig>): void {
      servers = next;
      invalidate();
    },
    /** Exposed name of an upstream's tool in the merged view (after prefix, shortening, collisions). */
    exposedToolName(server: string, tool: string): string | undefined {
      for (const e of getCatalog().tools.values())
        if (e.upstream === server && e.name === tool) return e.exposed;
      return undefined;
    },
    /** The merged tool list as a full-access client gets it (for the doctor's tool-list checks). */
    toolList: (): readonly RawObject[] => getCatalog().toolList,
    /** The list this principal gets from tools/list now (read-only grants see fewer; tool-list drift). */
    toolListFor: (principal: Principal): readonly RawObject[] =>
      hasFullAccess(principal) ? getCatalog().toolList : getCatalog().readOnlyToolList,
    /** Current naming warnings per server (collisions, renamed names). */
    warnings: (): ReadonlyMap<string, readonly string[]> => getCatalog().warnings,
    on: events.on.bind(events),
    off: events.off.bind(events),
    close(): void {
      closed = true;
      for (const e of managerEvents) deps.upstreams.off(e, sync);
      for (const a of attached.values()) a.detach();
      attached.clear();
      listeners.clear();
    },
  };
}

/** The server key as a prefix; keys may contain '.', which names may not, so it becomes '_'. */
function defaultPrefix(serverKey: string): string {
  return serverKey.replace(/[^a-zA-Z0-9_-]/g, '_');
}

function rank(keys: readonly string[], name: string): number {
  const i = keys.indexOf(name);
  return i === -1 ? keys.length : i;
}
