/**
 * Small in-memory stand-ins for the services behind the control service's ports. They keep the
 * observable behaviour the ports promise (change callbacks, validation on write) and nothing more.
 */
import { configSchema, type TunnelgateConfig } from '../../../main/config/schema.js';
import type { ActivityEvent } from '../../../main/activity/types.js';
import type { RawObject, UpstreamState } from '../../../main/gateway/upstream/types.js';
import type { TunnelState } from '../../../main/tunnel/tunnel-state.js';
import type { ControlDeps } from '../../../main/control/ports.js';
import { ServerLogStore } from '../../../main/gateway/upstream/server-log.js';
import type { ApprovalRequestView, GrantView } from '../../../preload/contract.js';

type Listener<T = void> = (v: T) => void;
function listeners<T = void>() {
  const set = new Set<Listener<T>>();
  return {
    add(l: Listener<T>) {
      set.add(l);
      return () => void set.delete(l);
    },
    emit(v: T) {
      for (const l of set) l(v);
    },
    get size() {
      return set.size;
    },
  };
}

export interface Fakes {
  deps: ControlDeps;
  config: { current: TunnelgateConfig; writes: number; change(next: TunnelgateConfig): void };
  upstreams: {
    states: UpstreamState[];
    tools: Record<string, RawObject[]>;
    /** Prompts, resources and templates per server. */
    lists: Record<
      string,
      { prompts?: RawObject[]; resources?: RawObject[]; resourceTemplates?: RawObject[] }
    >;
    /** A real log store (bounded, in memory), as the upstream manager has. */
    logs: ServerLogStore;
    restarted: string[];
    signedIn: string[];
    changed(): void;
  };
  gateway: {
    running: boolean;
    port: number | null;
    path: string;
    authMode: 'oauth' | 'none';
    changed(): void;
  };
  auth: {
    pending: ApprovalRequestView[];
    grants: GrantView[];
    approved: { id: string; scopes: string[] }[];
    denied: string[];
  };
  secrets: Map<string, string>;
  keychain: { available: boolean; reason?: string };
  tunnel: {
    state: TunnelState;
    setState(s: Partial<TunnelState>): void;
    changeUrl(previous: string | null, url: string): void;
    /** Calls of downloadBinary(); each waits for `downloadGate` when set, fails with `downloadError`. */
    downloads: number;
    downloadGate?: Promise<void>;
    downloadError?: string;
  };
  activity: { events: ActivityEvent[]; push(e: Omit<ActivityEvent, 'id'>): ActivityEvent; cleared: number };
  subscriberCount(): number;
}

export function createFakes(initial: unknown = { mcpServers: {} }): Fakes {
  const cfgChange = listeners();
  const upChange = listeners();
  const gwChange = listeners();
  const authChange = listeners();
  const tunnelState = listeners<TunnelState>();
  const tunnelUrl = listeners<{ previous: string | null; url: string | null }>();
  const activityL = listeners<ActivityEvent>();

  const f: Fakes = {
    config: {
      current: configSchema.parse(initial),
      writes: 0,
      change(next) {
        f.config.current = next;
        cfgChange.emit();
      },
    },
    upstreams: {
      states: [],
      tools: {},
      lists: {},
      logs: new ServerLogStore(),
      restarted: [],
      signedIn: [],
      changed: () => upChange.emit(),
    },
    gateway: { running: true, port: 8740, path: '/mcp', authMode: 'oauth', changed: () => gwChange.emit() },
    auth: { pending: [], grants: [], approved: [], denied: [] },
    secrets: new Map(),
    keychain: { available: true },
    tunnel: {
      state: { mode: 'quick', phase: 'stopped', url: null, reachable: 'unknown' },
      setState(s) {
        f.tunnel.state = { ...f.tunnel.state, ...s };
        tunnelState.emit(f.tunnel.state);
      },
      changeUrl(previous, url) {
        f.tunnel.state = { ...f.tunnel.state, url };
        tunnelUrl.emit({ previous, url });
      },
      downloads: 0,
    },
    activity: {
      events: [],
      cleared: 0,
      push(e) {
        const ev = { ...e, id: f.activity.events.length + 1 } as ActivityEvent;
        f.activity.events.push(ev);
        activityL.emit(ev);
        return ev;
      },
    },
    subscriberCount: () =>
      cfgChange.size +
      upChange.size +
      gwChange.size +
      authChange.size +
      tunnelState.size +
      tunnelUrl.size +
      activityL.size +
      f.upstreams.logs.listenerCount,
    deps: undefined as unknown as ControlDeps,
  };

  f.deps = {
    config: {
      read: () => f.config.current,
      async write(next) {
        f.config.current = configSchema.parse(next); // the real store validates too
        f.config.writes++;
        cfgChange.emit();
      },
      async importClaude(path) {
        return { source: path ?? 'claude_desktop_config.json', added: ['imported'], skipped: [] };
      },
      onChange: (l) => cfgChange.add(l),
    },
    upstreams: {
      states: () => f.upstreams.states,
      tools: (n) => f.upstreams.tools[n] ?? [],
      prompts: (n) => f.upstreams.lists[n]?.prompts ?? [],
      resources: (n) => f.upstreams.lists[n]?.resources ?? [],
      resourceTemplates: (n) => f.upstreams.lists[n]?.resourceTemplates ?? [],
      logs: (n) => f.upstreams.logs.view(n),
      onLog: (l) => f.upstreams.logs.subscribe(l),
      async restart(n) {
        f.upstreams.restarted.push(n);
      },
      async signIn(n) {
        f.upstreams.signedIn.push(n);
      },
      onChange: (l) => upChange.add(l),
    },
    gateway: {
      running: () => f.gateway.running,
      port: () => f.gateway.port,
      publicPort: () => (f.gateway.port === null ? null : f.gateway.port + 1),
      mcpPath: () => f.gateway.path,
      authMode: () => f.gateway.authMode,
      error: () => undefined,
      async start() {
        f.gateway.running = true;
        gwChange.emit();
      },
      async stop() {
        f.gateway.running = false;
        gwChange.emit();
      },
      exposedToolName: (s, t) => (f.gateway.running ? `${s}__${t}` : undefined),
      onChange: (l) => gwChange.add(l),
    },
    auth: {
      listPending: () => f.auth.pending,
      async approve(id, scopes) {
        const p = f.auth.pending.find((x) => x.id === id);
        if (!p) throw new Error(`No pending request ${id}`);
        f.auth.pending = f.auth.pending.filter((x) => x.id !== id);
        f.auth.approved.push({ id, scopes });
        f.auth.grants.push({
          id: `g-${id}`,
          clientId: p.clientId,
          clientName: p.clientName,
          scopes,
          createdAt: 1,
          redirectHost: p.redirectHost,
        });
        authChange.emit();
      },
      async deny(id) {
        f.auth.pending = f.auth.pending.filter((x) => x.id !== id);
        f.auth.denied.push(id);
        authChange.emit();
      },
      listGrants: () => f.auth.grants,
      async revokeGrant(id) {
        f.auth.grants = f.auth.grants.filter((g) => g.id !== id);
        authChange.emit();
      },
      onChange: (l) => authChange.add(l),
    },
    secrets: {
      availability: async () => f.keychain,
      list: async () => [...f.secrets.keys()],
      async set(n, v) {
        if (!f.keychain.available) throw new Error('The OS keychain is not available');
        f.secrets.set(n, v);
      },
      delete: async (n) => f.secrets.delete(n),
    },
    tunnel: {
      state: () => f.tunnel.state,
      start: async () => f.tunnel.setState({ phase: 'starting' }),
      stop: async () => f.tunnel.setState({ phase: 'stopped', url: null }),
      // Like the real manager: progress in state.download, then a found binary clears binary-missing.
      async downloadBinary() {
        f.tunnel.downloads++;
        f.tunnel.setState({ download: { receivedBytes: 0, totalBytes: 1000 } });
        await f.tunnel.downloadGate;
        f.tunnel.setState({ download: { receivedBytes: 1000, totalBytes: 1000 } });
        const { download: _d, error, errorCode, ...rest } = f.tunnel.state;
        if (f.tunnel.downloadError) {
          f.tunnel.state = { ...rest, ...(error ? { error } : {}), ...(errorCode ? { errorCode } : {}) };
          tunnelState.emit(f.tunnel.state);
          throw new Error(f.tunnel.downloadError);
        }
        f.tunnel.state = { ...rest, phase: 'stopped', binaryPath: '/data/bin/cloudflared' };
        tunnelState.emit(f.tunnel.state);
      },
      onState: (l) => tunnelState.add(l),
      onUrlChanged: (l) => tunnelUrl.add(l),
    },
    activity: {
      recent: ({ limit, beforeId }) => {
        const older = f.activity.events.filter((e) => beforeId === undefined || e.id < beforeId);
        return older.slice(-(limit ?? 1000));
      },
      subscribe: (l) => activityL.add(l),
      async clear() {
        f.activity.events = [];
        f.activity.cleared++;
      },
      exportJsonl: async () => f.activity.events.map((e) => JSON.stringify(e)).join('\n') + '\n',
    },
  };
  return f;
}

/** Resolves with the next value a subscription delivers, or rejects after `ms`. */
export function nextValue<T>(subscribe: (l: (v: T) => void) => () => void, ms = 2000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no event within ${ms} ms`));
    }, ms);
    const off = subscribe((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}
