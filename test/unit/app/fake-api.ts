/** A recording TunnelgateApi for the shell's tests: every method logs its call; on* keep listeners. */
import { API_METHODS, type AppStatus, type TunnelgateApi } from '../../../preload/contract.js';

export function baseStatus(patch: Partial<AppStatus> = {}): AppStatus {
  return {
    gateway: {
      running: true,
      port: 8740,
      localUrl: 'http://127.0.0.1:8740/mcp',
      connectorUrl: null,
      authMode: 'oauth',
    },
    tunnel: { mode: 'quick', phase: 'stopped', url: null, reachable: 'unknown' },
    checklist: { gatewayRunning: true, tunnelReady: false, reachable: false, clientApproved: false },
    pendingApprovals: 0,
    keychain: { available: true },
    ...patch,
  };
}

export function createRecordingApi(status: AppStatus = baseStatus()) {
  const calls: { method: string; args: unknown[] }[] = [];
  const listeners = {
    status: new Set<(s: unknown) => void>(),
    servers: new Set<(s: unknown) => void>(),
    activity: new Set<(s: unknown) => void>(),
    approvals: new Set<(s: unknown) => void>(),
    serverLog: new Set<(s: unknown) => void>(),
  };
  const methods = Object.fromEntries(
    API_METHODS.map((m) => [
      m,
      async (...args: unknown[]) => {
        calls.push({ method: m, args });
        return m === 'getStatus' ? status : undefined;
      },
    ]),
  );
  const on = (set: Set<(s: unknown) => void>) => (l: (s: never) => void) => {
    const fn = l as (s: unknown) => void;
    set.add(fn);
    return () => void set.delete(fn);
  };
  const api = {
    ...methods,
    onStatus: on(listeners.status),
    onServers: on(listeners.servers),
    onActivity: on(listeners.activity),
    onApprovals: on(listeners.approvals),
    onServerLog: on(listeners.serverLog),
  } as unknown as TunnelgateApi;
  return {
    api,
    calls,
    listeners,
    emit: (event: keyof typeof listeners, payload: unknown) => listeners[event].forEach((l) => l(payload)),
  };
}
