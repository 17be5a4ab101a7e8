/**
 * Our windows: the dashboard and the request log (Activity). Each is created with the options of
 * window-options.ts, hardened, and remembered by webContents id for the IPC sender check. Closing a
 * window only closes it: the app lives on in the tray.
 */
import type { BrowserWindowPort, ElectronPort, WebContentsPort } from './electron-port.js';
import { hardenWebContents, rendererUrl, windowOptions, type WindowKind } from './window-options.js';

export interface WindowManagerDeps {
  electron: Pick<ElectronPort, 'BrowserWindow' | 'shell'>;
  preloadPath: string;
  iconPath?: string;
}

export interface WindowManager {
  /** Shows (creating if needed) the dashboard, optionally at a route such as 'approvals'. */
  showDashboard(route?: string): BrowserWindowPort;
  /** Shows the request-log window. */
  showActivity(): BrowserWindowPort;
  /** webContents ids of our live windows (the IPC sender allow-list). */
  webContentsIds(): ReadonlySet<number>;
  /** webContents of our live windows (targets of pushed events). */
  allWebContents(): WebContentsPort[];
  closeAll(): void;
}

export function createWindowManager(deps: WindowManagerDeps): WindowManager {
  const windows = new Map<WindowKind, BrowserWindowPort>();
  const ids = new Set<number>();

  function open(kind: WindowKind, route?: string): BrowserWindowPort {
    const url = rendererUrl(route);
    const existing = windows.get(kind);
    if (existing && !existing.isDestroyed()) {
      if (route) void existing.loadURL(url);
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      return existing;
    }
    const win = new deps.electron.BrowserWindow(windowOptions(kind, deps.preloadPath, deps.iconPath));
    const id = win.webContents.id;
    ids.add(id);
    windows.set(kind, win);
    hardenWebContents(win.webContents, (external) => void deps.electron.shell.openExternal(external));
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => {
      ids.delete(id);
      if (windows.get(kind) === win) windows.delete(kind);
    });
    void win.loadURL(url);
    return win;
  }

  return {
    showDashboard: (route) => open('dashboard', route),
    showActivity: () => open('activity', 'activity'),
    webContentsIds: () => ids,
    allWebContents: () => [...windows.values()].filter((w) => !w.isDestroyed()).map((w) => w.webContents),
    closeAll: () => {
      for (const w of windows.values()) if (!w.isDestroyed()) w.close();
    },
  };
}
