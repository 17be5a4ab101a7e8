/**
 * Electron entry point (package.json "main": dist/main/app/main.js). Everything happens in
 * startApp(); this file only gathers the real dependencies: the 'electron' module, file locations,
 * and bootstrap's createTunnelgate.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as electron from 'electron';
import Store from 'electron-store';
import { createTunnelgate } from '../bootstrap.js';
import { trimWhenIdle } from '../common/idle-trim.js';
import { capYoungGeneration } from '../common/young-generation.js';
import { rendererDir } from '../bootstrap-ports.js';
import { currentPlatform, loadConfig, resolveConfigPath } from '../config/index.js';
import { createKeyValuePrefs, type AppPrefs } from './app-prefs.js';
import { startApp, type ShellServiceOptions } from './app-controller.js';
import type { ElectronPort } from './electron-port.js';
import { appIconPath, resourcesDir } from './icons.js';
import { createLoginItem, HIDDEN_FLAG } from './login-item.js';

// The main process runs the gateway for as long as the app is open (common/young-generation.ts), and
// gives memory back once it is quiet after a load (common/idle-trim.ts).
capYoungGeneration();
trimWhenIdle();

const here = dirname(fileURLToPath(import.meta.url));
const port: ElectronPort = electron;
const appPath = port.app.getAppPath();

async function configuredAuth(): Promise<'oauth' | 'none' | undefined> {
  try {
    const { path } = resolveConfigPath(undefined, currentPlatform());
    return (await loadConfig(path))?.config.gateway?.auth;
  } catch {
    return undefined; // An invalid config is reported by createTunnelgate itself.
  }
}

void startApp({
  electron: port,
  platform: process.platform,
  // dist/main/app/main.js -> dist/preload/index.cjs (built by scripts/build.mjs).
  preloadPath: resolve(here, '..', '..', 'preload', 'index.cjs'),
  rendererDir: rendererDir(),
  iconsDir: resourcesDir(appPath),
  appIconPath: process.platform === 'darwin' ? undefined : appIconPath(appPath),
  // bootstrap forwards `controlPlatform` (launch at login) to the control service.
  createServices: (options: ShellServiceOptions) => createTunnelgate(options),
  configuredAuth,
  // electron-store: the shell's own preferences in userData/app-state.json (never secrets).
  prefs: createKeyValuePrefs(
    new Store<AppPrefs>({ name: 'app-state', defaults: { goPublicOnLaunch: false } }),
  ),
  loginItem: createLoginItem({
    app: port.app,
    platform: process.platform,
    autostartDir: join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'autostart'),
    command: process.env.APPIMAGE ?? port.app.getPath('exe'),
  }),
  startedHidden: process.argv.includes(HIDDEN_FLAG),
}).catch((err: unknown) => {
  console.error(`Tunnelgate could not start: ${err instanceof Error ? err.stack : String(err)}`);
  port.app.exit(1);
});
