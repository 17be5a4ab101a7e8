/**
 * The window contract over HTTP for the headless dashboard: methods are POST /api/<method> with a
 * JSON argument array, events come from one shared EventSource on /api/events. Authentication is
 * the HttpOnly cookie the listener set on the first page load, sent automatically (same origin).
 */
import { API_EVENTS, API_METHODS, type TunnelgateApi, type Unsubscribe } from '../../preload/contract';

type EventName = (typeof API_EVENTS)[number];
type Listener = (payload: unknown) => void;

/** Reports the live stream's health to the UI (shown as "Reconnecting…"). */
export type ConnectionListener = (connected: boolean) => void;

export interface HttpBridge extends TunnelgateApi {
  onConnection(listener: ConnectionListener): Unsubscribe;
}

function createHttpBridge(base = ''): HttpBridge {
  const listeners = new Map<EventName, Set<Listener>>();
  const connectionListeners = new Set<ConnectionListener>();
  let source: EventSource | null = null;
  let lostStream = false;

  /** After a reconnect, events sent while the stream was down are gone: fetch the state afresh. */
  function resync(): void {
    const refresh = <T>(name: EventName, load: () => Promise<T>) => {
      if (listeners.get(name)?.size)
        load().then(
          (v) => listeners.get(name)?.forEach((l) => l(v)),
          () => {},
        );
    };
    refresh('status', () => call('getStatus', []));
    refresh('servers', () => call('listServers', []));
    refresh('approvals', () => call('listApprovals', []));
  }

  function ensureStream(): void {
    if (source) return;
    const s = new EventSource(`${base}/api/events`);
    source = s;
    s.onopen = () => {
      connectionListeners.forEach((l) => l(true));
      if (lostStream) resync();
      lostStream = false;
    };
    // EventSource reconnects by itself (the server sends `retry:`); we tell the UI and resync after.
    s.onerror = () => {
      lostStream = true;
      connectionListeners.forEach((l) => l(false));
    };
    for (const name of API_EVENTS) {
      s.addEventListener(name, (e) => {
        let payload: unknown;
        try {
          payload = JSON.parse((e as MessageEvent<string>).data);
        } catch {
          return;
        }
        listeners.get(name)?.forEach((l) => l(payload));
      });
    }
  }

  function subscribe(name: EventName, listener: Listener): Unsubscribe {
    let set = listeners.get(name);
    if (!set) listeners.set(name, (set = new Set()));
    set.add(listener);
    ensureStream();
    return () => {
      set.delete(listener);
    };
  }

  async function call(method: string, args: unknown[]): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${base}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(args),
        credentials: 'same-origin',
      });
    } catch {
      throw new Error('Could not reach the gateway: is "tunnelgate serve" still running?');
    }
    let body: { result?: unknown; error?: string } = {};
    try {
      body = (await res.json()) as typeof body;
    } catch {
      // fall through with the status below
    }
    if (res.status === 401)
      throw new Error(
        'The dashboard session expired: open the Dashboard link that "tunnelgate serve" printed.',
      );
    if (!res.ok || body.error !== undefined)
      throw new Error(body.error ?? `The gateway answered ${res.status}.`);
    return body.result === null ? undefined : body.result;
  }

  const api = {} as Record<string, unknown>;
  for (const m of API_METHODS) api[m] = (...args: unknown[]) => call(m, args);
  const bridge = api as unknown as HttpBridge;
  bridge.onStatus = (l) => subscribe('status', l as Listener);
  bridge.onServers = (l) => subscribe('servers', l as Listener);
  bridge.onActivity = (l) => subscribe('activity', l as Listener);
  bridge.onApprovals = (l) => subscribe('approvals', l as Listener);
  bridge.onServerLog = (l) => subscribe('serverLog', l as Listener);
  bridge.onConnection = (l) => {
    connectionListeners.add(l);
    ensureStream();
    return () => {
      connectionListeners.delete(l);
    };
  };
  return bridge;
}

/** Installs the HTTP bridge as window.tunnelgate unless the Electron preload already exposed one. */
export function installHttpBridgeIfNeeded(): void {
  if (window.tunnelgate) return;
  window.tunnelgate = createHttpBridge();
}
