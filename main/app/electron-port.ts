/**
 * The parts of Electron the shell uses, as narrow structural types. main.ts passes the real
 * 'electron' module (the compiler checks that it fits); tests pass a small fake (no Electron binary
 * exists on the build machines, ARCHITECTURE.md "Seams").
 */
import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions, NativeImage } from 'electron';

export type { BrowserWindowConstructorOptions, MenuItemConstructorOptions, NativeImage };

export interface PreventableEvent {
  preventDefault(): void;
}

export interface WebContentsPort {
  readonly id: number;
  on(event: 'will-navigate', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowPort {
  readonly webContents: WebContentsPort;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  isMinimized(): boolean;
  restore(): void;
  isDestroyed(): boolean;
  close(): void;
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
}

export interface TrayPort {
  setImage(image: NativeImage): void;
  setToolTip(text: string): void;
  setContextMenu(menu: unknown): void;
  on(event: 'click', listener: () => void): unknown;
  destroy(): void;
}

export interface IpcMainInvokeEventPort {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

export interface IpcMainPort {
  handle(channel: string, listener: (event: IpcMainInvokeEventPort, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface SessionPort {
  setPermissionRequestHandler(
    handler:
      ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
  webRequest: {
    onBeforeRequest(
      listener:
        ((details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void) | null,
    ): void;
  };
}

export interface ProtocolPort {
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges?: Record<string, boolean> }[]): void;
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
}

export interface AppPort {
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<unknown>;
  quit(): void;
  exit(code?: number): void;
  on(event: 'second-instance' | 'window-all-closed' | 'activate', listener: () => void): unknown;
  on(event: 'before-quit', listener: (event: PreventableEvent) => void): unknown;
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; openAsHidden?: boolean; args?: string[] }): void;
  getPath(name: 'userData' | 'home' | 'exe'): string;
  getAppPath(): string;
  readonly isPackaged: boolean;
  readonly dock?: { hide(): void } | undefined;
}

/** Everything main/app needs from Electron. */
export interface ElectronPort {
  app: AppPort;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindowPort;
  Tray: new (image: NativeImage) => TrayPort;
  Menu: { buildFromTemplate(template: MenuItemConstructorOptions[]): unknown };
  nativeImage: { createFromPath(path: string): NativeImage };
  clipboard: { writeText(text: string): void };
  shell: { openExternal(url: string): Promise<void> };
  ipcMain: IpcMainPort;
  protocol: ProtocolPort;
  session: { defaultSession: SessionPort };
}
