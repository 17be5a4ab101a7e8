/**
 * The Electron shell's lifecycle: single instance, tray, windows, IPC, and the gateway services from
 * bootstrap.ts. Electron and the service factory are parameters, so tests run all of it with fakes.
 */
import type { TunnelgateApi, Unsubscribe } from '../../preload/contract.js';
import type { ControlPlatformPort } from '../control/ports.js';
import type { AppPrefsStore } from './app-prefs.js';
import type { ElectronPort } from './electron-port.js';
import { createSenderCheck, forwardEvents, registerIpcHandlers } from './ipc.js';
import type { LoginItem } from './login-item.js';
import { registerRendererScheme, serveRenderer } from './renderer-protocol.js';
import { createTrayController, type TrayController } from './tray.js';
import type { TrayActions } from './tray-model.js';
import { hardenSession } from './window-options.js';
import { createWindowManager, type WindowManager } from './windows.js';

/** The part of bootstrap's Tunnelgate the shell uses. */
export interface ShellServices {
  start(): Promise<unknown>;
  /** Resolves when stopped (the app does not ask whether every step finished). */
  stop(): Promise<unknown>;
  readonly services: { readonly control: TunnelgateApi };
}

/** Options the shell passes to createTunnelgate (a subset of TunnelgateOptions, plus the platform port). */
export interface ShellServiceOptions {
  tunnel: boolean;
  auth: 'oauth' | 'none';
  dashboard: false;
  /** Launch-at-login for the control service's settings (bootstrap forwards it as ControlDeps.platform). */
  controlPlatform: ControlPlatformPort;
}

export interface AppControllerDeps {
  electron: ElectronPort;
  platform: NodeJS.Platform;
  preloadPath: string;
  rendererDir: string;
  iconsDir: string;
  appIconPath?: string;
  createServices: (options: ShellServiceOptions) => Promise<ShellServices>;
  /** `gateway.auth` from the config, if set; the app defaults to OAuth so that going public is possible. */
  configuredAuth: () => Promise<'oauth' | 'none' | undefined>;
  prefs: AppPrefsStore;
  loginItem: LoginItem;
  /** True when started by the OS at login (stay in the tray). */
  startedHidden: boolean;
  log?: (message: string) => void;
}

export interface AppController {
  readonly windows: WindowManager;
  readonly tray: TrayController;
  /** Ordered shutdown (also run on before-quit). */
  shutdown(): Promise<void>;
}

/**
 * Runs the app. Returns null when another instance already runs (this one quits; the other one
 * shows its window through 'second-instance').
 */
export async function startApp(deps: AppControllerDeps): Promise<AppController | null> {
  const { electron, platform } = deps;
  const { app } = electron;
  const log = deps.log ?? ((m: string) => console.error(m));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  registerRendererScheme(electron.protocol);
  // A listener here replaces Electron's default (quit when the last window closes): we live in the tray.
  app.on('window-all-closed', () => {});
  await app.whenReady();
  if (platform === 'darwin') app.dock?.hide();
  hardenSession(electron.session.defaultSession);
  serveRenderer(electron.protocol, deps.rendererDir);

  const windows = createWindowManager({
    electron,
    preloadPath: deps.preloadPath,
    iconPath: deps.appIconPath,
  });
  const services = await deps.createServices({
    tunnel: deps.prefs.get().goPublicOnLaunch,
    auth: (await deps.configuredAuth()) ?? 'oauth',
    dashboard: false,
    controlPlatform: {
      getLaunchAtLogin: () => deps.loginItem.get(),
      setLaunchAtLogin: (v) => deps.loginItem.set(v),
    },
  });
  const control = services.services.control;

  const run = (what: string, fn: () => Promise<unknown> | unknown): void => {
    Promise.resolve()
      .then(fn)
      .catch((err: unknown) => log(`${what} failed: ${err instanceof Error ? err.message : String(err)}`));
  };
  const actions: TrayActions = {
    startGateway: () => run('Start gateway', () => control.startGateway()),
    stopGateway: () => run('Stop gateway', () => control.stopGateway()),
    startTunnel: () => {
      deps.prefs.set({ goPublicOnLaunch: true });
      run('Start tunnel', () => control.startTunnel());
    },
    stopTunnel: () => {
      deps.prefs.set({ goPublicOnLaunch: false });
      run('Stop tunnel', () => control.stopTunnel());
    },
    copyText: (text) => electron.clipboard.writeText(text),
    openDashboard: (route) => void windows.showDashboard(route),
    openActivity: () => void windows.showActivity(),
    setLaunchAtLogin: (enabled) => run('Launch at login', () => deps.loginItem.set(enabled)),
    quit: () => app.quit(),
  };
  const tray = createTrayController({
    electron,
    iconsDir: deps.iconsDir,
    platform,
    actions,
    launchAtLogin: () => deps.loginItem.get(),
  });

  const disposeIpc = registerIpcHandlers({
    ipcMain: electron.ipcMain,
    api: control,
    isTrustedSender: createSenderCheck(() => windows.webContentsIds()),
    onRefused: (channel, id) =>
      log(`Refused IPC on ${channel} from webContents ${id}: not a Tunnelgate window.`),
  });
  const unsubscribers: Unsubscribe[] = [
    forwardEvents(control, () => windows.allWebContents()),
    control.onStatus((s) => tray.update(s)),
  ];

  try {
    await services.start();
  } catch (err) {
    log(`The gateway did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
  run('Reading the status', async () => tray.update(await control.getStatus()));

  app.on('second-instance', () => void windows.showDashboard());
  app.on('activate', () => void windows.showDashboard());
  if (!deps.startedHidden) windows.showDashboard();

  let stopping: Promise<void> | null = null;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const u of unsubscribers) u();
      disposeIpc();
      windows.closeAll();
      tray.close();
      await services.stop().catch((err: unknown) => log(`Stopping the gateway failed: ${String(err)}`));
    })());
  app.on('before-quit', (event) => {
    // Hold the quit until cloudflared and the upstream servers are stopped (no orphans); app.exit()
    // then ends the process without emitting before-quit again.
    event.preventDefault();
    void shutdown().finally(() => app.exit(0));
  });

  return { windows, tray, shutdown };
}
