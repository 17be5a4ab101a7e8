/**
 * The typed stub of `window.tunnelgate` for component checks (CONVENTIONS.md #10). Bundled to one
 * script and injected before the page's own scripts; the test sets `window.__stubInit` first and
 * drives it through `window.__stub` (emit events, make the next call fail, read recorded calls).
 */
import {
  API_METHODS,
  type ActivityEvent,
  type AppStatus,
  type ApprovalRequestView,
  type GrantView,
  type ServerView,
  type SettingsView,
  type TunnelgateApi,
} from '../../../preload/contract.js';

export interface StubInit {
  status: AppStatus;
  servers: ServerView[];
  approvals: ApprovalRequestView[];
  grants: GrantView[];
  settings: SettingsView;
  secrets: string[];
  /** Generated events with ids 1..N (every 7th an error, upstreams alternate a/b). */
  activityCount: number;
}

type EventName = 'status' | 'servers' | 'activity' | 'approvals' | 'serverLog';

export interface StubControl {
  calls: [string, unknown[]][];
  state: StubInit & { activity: ActivityEvent[] };
  emit(event: EventName, payload: unknown): void;
  failNext(method: string, message: string): void;
}

const g = globalThis as unknown as { __stubInit: StubInit; __stub: StubControl; tunnelgate: TunnelgateApi };

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** Generated event `id` (every 7th an error, upstreams alternate a/b): the same each time it is made. */
function generatedEvent(id: number): ActivityEvent {
  const error = id % 7 === 0;
  const e: ActivityEvent = {
    id,
    time: T0 + id * 1000,
    kind: 'request',
    method: 'tools/call',
    target: `${id % 2 ? 'alpha' : 'beta'}__tool_${id % 5}`,
    upstream: id % 2 ? 'alpha' : 'beta',
    client: { id: 'c1', name: id % 3 ? 'ChatGPT' : 'mcp-remote' },
    outcome: error ? 'error' : 'ok',
    durationMs: id % 900,
    requestBytes: 100 + (id % 50),
    responseBytes: 200 + (id % 70),
    request: { name: `tool_${id % 5}`, arguments: { n: id } },
    response: { content: [{ type: 'text', text: `result ${id}` }] },
  };
  if (error) e.error = { code: -32603, message: `failure number ${id}` };
  return e;
}

/**
 * Answers made anew for the call, so not cloned again: a copy, as IPC or HTTP would deliver, without
 * structuredClone going through every entry of the log (2 of the 3.3 CPU-s that loading the 100,000
 * entries cost, measured).
 */
const fresh = new WeakSet<object>();

const init = g.__stubInit;
const listeners = new Map<EventName, Set<(p: unknown) => void>>();
const failures = new Map<string, string>();
const control: StubControl = {
  calls: [],
  state: { ...init, activity: Array.from({ length: init.activityCount }, (_, i) => generatedEvent(i + 1)) },
  emit(event, payload) {
    // A copy, as IPC or SSE would deliver: React must see a new object, not a mutated old one.
    listeners.get(event)?.forEach((l) => l(structuredClone(payload)));
  },
  failNext(method, message) {
    failures.set(method, message);
  },
};
g.__stub = control;
const s = control.state;

function on(event: EventName) {
  return (l: (p: never) => void) => {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(l as (p: unknown) => void);
    return () => {
      set.delete(l as (p: unknown) => void);
    };
  };
}

function impl(method: string, args: unknown[]): unknown {
  switch (method) {
    case 'getStatus':
      return s.status;
    case 'listServers':
      return s.servers;
    case 'listApprovals':
      return s.approvals;
    case 'listGrants':
      return s.grants;
    case 'listSecrets':
      return s.secrets;
    case 'getSettings':
      return s.settings;
    case 'updateSettings':
      s.settings = { ...s.settings, ...(args[0] as object) };
      return s.settings;
    case 'setSecret':
      s.secrets = [...s.secrets, args[0] as string];
      return undefined;
    case 'approve':
    case 'deny':
      s.approvals = s.approvals.filter((a) => a.id !== args[0]);
      control.emit('approvals', s.approvals);
      return undefined;
    case 'getActivity': {
      const q = (args[0] ?? {}) as { limit?: number; beforeId?: number };
      // The newest `limit` entries older than beforeId. The log is in id order: the cut is found by
      // bisection, not a filter over every entry for every page (the renderer reads 100,000 entries
      // 1,000 at a time).
      let end = s.activity.length;
      if (q.beforeId !== undefined) {
        let lo = 0;
        while (lo < end) {
          const mid = (lo + end) >> 1;
          if (s.activity[mid]!.id < q.beforeId) lo = mid + 1;
          else end = mid;
        }
      }
      const limit = q.limit ?? 1000;
      // Every entry of the log is a generated one: made again from its id, it is a fresh copy.
      const page = s.activity
        .slice(limit > 0 ? Math.max(0, end - limit) : 0, end)
        .map((e) => generatedEvent(e.id));
      fresh.add(page);
      return page;
    }
    case 'clearActivity':
      s.activity = [];
      return undefined;
    case 'exportActivity':
      return s.activity.map((e) => JSON.stringify(e)).join('\n');
    case 'downloadCloudflared':
      // Like the tunnel manager: the download starts with progress in status.tunnel.download; the
      // test then emits the further states.
      s.status = {
        ...s.status,
        tunnel: { ...s.status.tunnel, download: { receivedBytes: 0, totalBytes: 40_000_000 } },
      };
      control.emit('status', s.status);
      return undefined;
    case 'getServerLogs':
      return { server: args[0], entries: [], dropped: 0 };
    case 'callTool':
      return {
        result: { content: [{ type: 'text', text: `called ${String(args[0])}` }] },
        durationMs: 12,
      };
    case 'forgetStaleGrants': {
      const { staleGrants = [], ...rest } = s.status;
      s.status = rest;
      control.emit('status', s.status);
      return staleGrants.length;
    }
    case 'acknowledgeUrlChange': {
      const { urlChanged: _gone, ...rest } = s.status;
      s.status = rest;
      control.emit('status', s.status);
      return undefined;
    }
    default:
      return undefined;
  }
}

const api: Record<string, unknown> = {
  onStatus: on('status'),
  onServers: on('servers'),
  onActivity: on('activity'),
  onApprovals: on('approvals'),
  onServerLog: on('serverLog'),
};
for (const m of API_METHODS) {
  api[m] = async (...args: unknown[]) => {
    control.calls.push([m, args]);
    const failure = failures.get(m);
    if (failure !== undefined) {
      failures.delete(m);
      throw new Error(failure);
    }
    const answer = impl(m, args);
    return typeof answer === 'object' && answer !== null && fresh.has(answer)
      ? answer
      : structuredClone(answer);
  };
}
g.tunnelgate = api as unknown as TunnelgateApi;
