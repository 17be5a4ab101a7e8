/**
 * A fake of the Electron surface main/app uses (main/app/electron-port.ts), recording what the shell
 * does with it. Event emitters are real (node:events), so listeners run as they would in Electron.
 */
import { EventEmitter } from 'node:events';
import type {
  AppPort,
  BrowserWindowConstructorOptions,
  BrowserWindowPort,
  ElectronPort,
  IpcMainInvokeEventPort,
  MenuItemConstructorOptions,
  NativeImage,
  PreventableEvent,
  TrayPort,
  WebContentsPort,
} from '../../../main/app/electron-port.js';

let nextId = 1;

export class FakeWebContents extends EventEmitter implements WebContentsPort {
  readonly id = nextId++;
  openHandler: ((details: { url: string }) => { action: 'deny' }) | null = null;
  sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.openHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Simulates a navigation attempt; returns whether it was prevented. */
  tryNavigate(event: 'will-navigate' | 'will-redirect', url: string): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) } satisfies PreventableEvent, url);
    return prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter implements BrowserWindowPort {
  static created: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loaded: string[] = [];
  shown = 0;
  destroyed = false;
  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    FakeBrowserWindow.created.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.emit('ready-to-show');
  }
  show(): void {
    this.shown++;
  }
  focus(): void {}
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  close(): void {
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
  }
}

export interface FakeImage {
  path: string;
}

export class FakeTray extends EventEmitter implements TrayPort {
  static created: FakeTray[] = [];
  images: string[] = [];
  tooltip = '';
  menu: MenuItemConstructorOptions[] = [];
  destroyed = false;
  constructor(image: NativeImage) {
    super();
    this.images.push((image as unknown as FakeImage).path);
    FakeTray.created.push(this);
  }
  setImage(image: NativeImage): void {
    this.images.push((image as unknown as FakeImage).path);
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: unknown): void {
    this.menu = (menu as { template: MenuItemConstructorOptions[] }).template;
  }
  destroy(): void {
    this.destroyed = true;
  }
  item(id: string): MenuItemConstructorOptions {
    const found = this.menu.find((i) => i.id === id);
    if (!found) throw new Error(`no menu item '${id}' in ${this.menu.map((i) => i.id).join(', ')}`);
    return found;
  }
  /** Clicks a menu item as Electron would (with menu item, window and event arguments). */
  click(id: string): void {
    const click = this.item(id).click as ((...a: unknown[]) => void) | undefined;
    if (!click) throw new Error(`menu item '${id}' has no click`);
    click({}, undefined, {});
  }
}

export class FakeApp extends EventEmitter implements AppPort {
  lock = true;
  quitCalls = 0;
  exitCodes: number[] = [];
  loginItem = { openAtLogin: false };
  loginSettingsCalls: unknown[] = [];
  readonly isPackaged = false;
  dockHidden = false;
  readonly dock = { hide: () => void (this.dockHidden = true) };
  readyCalled = false;
  requestSingleInstanceLock(): boolean {
    return this.lock;
  }
  async whenReady(): Promise<void> {
    this.readyCalled = true;
  }
  quit(): void {
    this.quitCalls++;
  }
  exit(code = 0): void {
    this.exitCodes.push(code);
  }
  getLoginItemSettings(): { openAtLogin: boolean } {
    return { ...this.loginItem };
  }
  setLoginItemSettings(settings: { openAtLogin: boolean }): void {
    this.loginSettingsCalls.push(settings);
    this.loginItem = { openAtLogin: settings.openAtLogin };
  }
  getPath(name: string): string {
    return `/fake/${name}`;
  }
  getAppPath(): string {
    return '/fake/app';
  }
  /** Emits before-quit; returns whether the quit was held (preventDefault). */
  tryQuit(): boolean {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    return prevented;
  }
}

export class FakeIpcMain {
  handlers = new Map<string, (event: IpcMainInvokeEventPort, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcMainInvokeEventPort, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Invokes like ipcRenderer.invoke from the given sender and frame URL. */
  async invoke(
    channel: string,
    sender: { id: number },
    frameUrl: string | null,
    ...args: unknown[]
  ): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`No handler registered for '${channel}'`);
    const event: IpcMainInvokeEventPort = {
      sender,
      senderFrame: frameUrl === null ? null : { url: frameUrl, parent: null },
    };
    return h(event, ...args);
  }
}

export function createFakeElectron() {
  FakeBrowserWindow.created = [];
  FakeTray.created = [];
  const app = new FakeApp();
  const ipcMain = new FakeIpcMain();
  const clipboard = {
    text: '',
    writeText(t: string) {
      this.text = t;
    },
  };
  const opened: string[] = [];
  const privileged: { scheme: string; privileges?: Record<string, boolean> }[][] = [];
  const handled = new Map<string, (r: Request) => Response | Promise<Response>>();
  const permissionHandlers: {
    request?: (wc: unknown, p: string, cb: (g: boolean) => void) => void;
    check?: (wc: unknown, p: string) => boolean;
  } = {};
  let beforeRequest: ((details: { url: string }, cb: (r: { cancel?: boolean }) => void) => void) | null =
    null;
  const order: string[] = [];
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    Tray: FakeTray,
    Menu: { buildFromTemplate: (template: MenuItemConstructorOptions[]) => ({ template }) },
    nativeImage: { createFromPath: (path: string) => ({ path }) as unknown as NativeImage },
    clipboard,
    shell: { openExternal: async (url: string) => void opened.push(url) },
    ipcMain,
    protocol: {
      registerSchemesAsPrivileged: (schemes: { scheme: string; privileges?: Record<string, boolean> }[]) => {
        order.push(`registerSchemes(ready=${app.readyCalled})`);
        privileged.push(schemes);
      },
      handle: (scheme: string, handler: (r: Request) => Response | Promise<Response>) =>
        void handled.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof permissionHandlers.request | null) =>
          void (permissionHandlers.request = h ?? undefined),
        setPermissionCheckHandler: (h: typeof permissionHandlers.check | null) =>
          void (permissionHandlers.check = h ?? undefined),
        webRequest: { onBeforeRequest: (l: typeof beforeRequest) => void (beforeRequest = l) },
      },
    },
  } satisfies ElectronPort;
  return {
    electron,
    app,
    ipcMain,
    clipboard,
    opened,
    privileged,
    handled,
    permissionHandlers,
    order,
    beforeRequest: (url: string): boolean => {
      let cancelled = false;
      beforeRequest?.({ url }, (r) => (cancelled = r.cancel === true));
      return cancelled;
    },
  };
}
