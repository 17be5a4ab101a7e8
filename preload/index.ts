/**
 * The preload: exposes the typed contract of preload/contract.ts as `window.tunnelgate`, one named
 * method per action (CONVENTIONS.md #1, #2). No raw ipcRenderer and no generic `on(channel)` leave
 * this file. Bundled to dist/preload/index.cjs (sandboxed preloads must be CommonJS).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventChannel, invokeChannel, type ApiEvent, type ApiMethod } from './ipc-channels.js';
import type {
  AppStatus,
  ActivityEvent,
  ApprovalRequestView,
  ServerLogEntry,
  ServerView,
  TunnelgateApi,
  Unsubscribe,
} from './contract.js';

type Invoke<M extends ApiMethod> = TunnelgateApi[M];

/** A function that invokes one fixed channel; the renderer can only pass arguments. */
function call<M extends ApiMethod>(method: M): Invoke<M> {
  const channel = invokeChannel(method);
  return ((...args: unknown[]) => ipcRenderer.invoke(channel, ...args)) as Invoke<M>;
}

/** Subscribes to one fixed event; the listener gets the payload only, never the IPC event. */
function subscribe<T>(event: ApiEvent, listener: (payload: T) => void): Unsubscribe {
  const channel = eventChannel(event);
  const handler = (_event: IpcRendererEvent, payload: T): void => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

const api = {
  getStatus: call('getStatus'),
  startGateway: call('startGateway'),
  stopGateway: call('stopGateway'),
  acknowledgeUrlChange: call('acknowledgeUrlChange'),

  listServers: call('listServers'),
  saveServer: call('saveServer'),
  removeServer: call('removeServer'),
  setServerEnabled: call('setServerEnabled'),
  restartServer: call('restartServer'),
  setToolEnabled: call('setToolEnabled'),
  getServerLogs: call('getServerLogs'),
  importClaudeConfig: call('importClaudeConfig'),
  signIn: call('signIn'),

  listSecrets: call('listSecrets'),
  setSecret: call('setSecret'),
  deleteSecret: call('deleteSecret'),

  listApprovals: call('listApprovals'),
  approve: call('approve'),
  deny: call('deny'),
  listGrants: call('listGrants'),
  revokeGrant: call('revokeGrant'),
  forgetStaleGrants: call('forgetStaleGrants'),

  getActivity: call('getActivity'),
  clearActivity: call('clearActivity'),
  exportActivity: call('exportActivity'),

  startTunnel: call('startTunnel'),
  stopTunnel: call('stopTunnel'),
  downloadCloudflared: call('downloadCloudflared'),
  getSettings: call('getSettings'),
  updateSettings: call('updateSettings'),

  callTool: call('callTool'),
  runDoctor: call('runDoctor'),

  onStatus: (listener: (status: AppStatus) => void) => subscribe('status', listener),
  onServers: (listener: (servers: ServerView[]) => void) => subscribe('servers', listener),
  onActivity: (listener: (event: ActivityEvent) => void) => subscribe('activity', listener),
  onApprovals: (listener: (pending: ApprovalRequestView[]) => void) => subscribe('approvals', listener),
  onServerLog: (listener: (entries: ServerLogEntry[]) => void) => subscribe('serverLog', listener),
} satisfies TunnelgateApi;

contextBridge.exposeInMainWorld('tunnelgate', api);
