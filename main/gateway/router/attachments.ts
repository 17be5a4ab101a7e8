import type { ServerConfig } from '../../config/schema.js';
import type {
  JsonRpcNotification,
  JsonRpcRequest,
  RawObject,
  ServerRequestContext,
  Upstream,
} from '../upstream/types.js';
import type { ServerView } from './catalog.js';
import type { UpstreamSource } from './types.js';

/** What the router does when an attached upstream speaks or changes. */
export interface AttachmentHooks {
  /** The upstream is ready: when it is attached ready (`again` false), or after a reconnect. */
  onReady(upstream: Upstream, again: boolean): void;
  /** The set of upstreams, a state or a list changed: the merged view must be rebuilt. */
  onChange(): void;
  /** A notification the upstream sent outside any call. */
  onNotification(upstream: Upstream, n: JsonRpcNotification): void;
  /** A server-to-client request (sampling, elicitation, roots) from the upstream. */
  onServerRequest(req: JsonRpcRequest, ctx: ServerRequestContext): Promise<RawObject>;
}

export interface AttachmentDeps {
  source: UpstreamSource;
  /** mcpServers from the config now (order and prefixes). */
  servers(): Record<string, ServerConfig>;
  hooks: AttachmentHooks;
}

export type Attachments = ReturnType<typeof createAttachments>;

const MANAGER_EVENTS = ['added', 'removed', 'state', 'list-changed'] as const;

/**
 * The upstreams the router listens to: follows the manager's list (attaching new upstreams and
 * detaching those that left) and gives them in config order, with the user's settings, as the
 * merged view is built from. `start` attaches the current ones; `close` lets go of all.
 */
export function createAttachments(deps: AttachmentDeps) {
  const { source, hooks } = deps;
  const attached = new Map<string, { upstream: Upstream; detach: () => void }>();

  const attach = (upstream: Upstream): void => {
    let wasReady = upstream.state().status === 'ready';
    if (wasReady) hooks.onReady(upstream, false);
    const onState = (): void => {
      const ready = upstream.state().status === 'ready';
      // A reconnected upstream has forgotten its subscriptions and log level: set them again, once
      // per reconnect.
      if (ready && !wasReady) hooks.onReady(upstream, true);
      wasReady = ready;
      hooks.onChange();
    };
    const onList = (): void => hooks.onChange();
    const onNote = (n: JsonRpcNotification): void => hooks.onNotification(upstream, n);
    upstream.on('state', onState);
    upstream.on('list-changed', onList);
    upstream.on('notification', onNote);
    upstream.setServerRequestHandler((req: JsonRpcRequest, ctx: ServerRequestContext) =>
      hooks.onServerRequest(req, ctx),
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
    const current = new Map(source.list().map((u) => [u.name, u]));
    for (const [name, a] of attached) {
      if (current.get(name) !== a.upstream) {
        a.detach();
        attached.delete(name);
      }
    }
    for (const [name, u] of current) if (!attached.has(name)) attach(u);
    hooks.onChange();
  };

  return {
    get: (name: string): Upstream | undefined => attached.get(name)?.upstream,
    names: (): IterableIterator<string> => attached.keys(),
    upstreams: (): Upstream[] => [...attached.values()].map((a) => a.upstream),
    /** The attached upstreams in config order, each with its settings. */
    ordered(): ServerView[] {
      const servers = deps.servers();
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
    },
    start(): void {
      for (const e of MANAGER_EVENTS) source.on(e, sync);
      sync();
    },
    close(): void {
      for (const e of MANAGER_EVENTS) source.off(e, sync);
      for (const a of attached.values()) a.detach();
      attached.clear();
    },
  };
}

/** The server key as a prefix; keys may contain '.', which names may not, so it becomes '_'. */
export function defaultPrefix(serverKey: string): string {
  return serverKey.replace(/[^a-zA-Z0-9_-]/g, '_');
}

function rank(keys: readonly string[], name: string): number {
  const i = keys.indexOf(name);
  return i === -1 ? keys.length : i;
}
