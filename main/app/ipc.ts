/**
 * The one IPC registration wrapper (CONVENTIONS.md #3): one handler per API_METHODS entry of
 * preload/contract.ts, each refusing senders that are not our windows; and the push of API_EVENTS to
 * our windows.
 */
import { API_EVENTS, API_METHODS, type TunnelgateApi, type Unsubscribe } from '../../preload/contract.js';
import type { IpcMainInvokeEventPort, IpcMainPort, WebContentsPort } from './electron-port.js';
import { eventChannel, invokeChannel, type ApiEvent } from '../../preload/ipc-channels.js';
import { isOurRendererUrl } from './window-options.js';

/** Thrown to a sender that is not one of our windows; the renderer sees only this message. */
export class ForeignSenderError extends Error {
  constructor(channel: string) {
    super(`IPC call on ${channel} refused: it did not come from a Tunnelgate window.`);
    this.name = 'ForeignSenderError';
  }
}

/**
 * A sender is ours when its webContents is one of our windows AND the calling frame is that window's
 * top frame showing our renderer (tunnelgate://app). Checking the frame URL too means a page that
 * somehow navigated or an injected iframe cannot use the API (Electron security checklist #17).
 */
export function createSenderCheck(
  ourWebContentsIds: () => ReadonlySet<number>,
): (event: IpcMainInvokeEventPort) => boolean {
  return (event) => {
    if (!ourWebContentsIds().has(event.sender.id)) return false;
    const frame = event.senderFrame;
    if (!frame || frame.parent) return false;
    return isOurRendererUrl(frame.url);
  };
}

export interface RegisterIpcDeps {
  ipcMain: IpcMainPort;
  api: TunnelgateApi;
  isTrustedSender: (event: IpcMainInvokeEventPort) => boolean;
  /** Reports refused calls (no arguments are logged: they may hold secrets). */
  onRefused?: (channel: string, senderId: number) => void;
}

/** Registers every API method; returns a function that removes them again. */
export function registerIpcHandlers(deps: RegisterIpcDeps): () => void {
  const channels: string[] = [];
  for (const method of API_METHODS) {
    const channel = invokeChannel(method);
    deps.ipcMain.handle(channel, (event, ...args) => {
      if (!deps.isTrustedSender(event)) {
        deps.onRefused?.(channel, event.sender.id);
        throw new ForeignSenderError(channel);
      }
      const fn = deps.api[method] as (...a: unknown[]) => Promise<unknown>;
      return fn.apply(deps.api, args);
    });
    channels.push(channel);
  }
  return () => {
    for (const channel of channels) deps.ipcMain.removeHandler(channel);
  };
}

/** Subscribes to the api's events and sends each to every live window of ours; returns unsubscribe. */
export function forwardEvents(api: TunnelgateApi, windows: () => Iterable<WebContentsPort>): Unsubscribe {
  const send =
    (event: ApiEvent) =>
    (payload: unknown): void => {
      for (const contents of windows()) {
        if (!contents.isDestroyed()) contents.send(eventChannel(event), payload);
      }
    };
  const subscriptions: Record<ApiEvent, () => Unsubscribe> = {
    status: () => api.onStatus(send('status')),
    servers: () => api.onServers(send('servers')),
    activity: () => api.onActivity(send('activity')),
    approvals: () => api.onApprovals(send('approvals')),
    serverLog: () => api.onServerLog(send('serverLog')),
  };
  const unsubs = API_EVENTS.map((e) => subscriptions[e]());
  return () => {
    for (const u of unsubs) u();
  };
}
