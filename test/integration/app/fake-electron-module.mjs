// An ESM stand-in for the 'electron' module, loaded in place of it by fake-electron-hooks.mjs, so
// the compiled entry dist/main/app/main.js can run under plain Node. It reports what the app does as
// JSON lines on stdout and quits the app once the tray shows a running gateway.
/* global Request */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';

const report = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const env = process.env;

class App extends EventEmitter {
  isPackaged = false;
  requestSingleInstanceLock() {
    return true;
  }
  whenReady() {
    return Promise.resolve();
  }
  getPath(name) {
    return name === 'exe' ? process.execPath : env.FAKE_ELECTRON_USERDATA;
  }
  getAppPath() {
    return env.FAKE_ELECTRON_APP_PATH;
  }
  getVersion() {
    return '0.0.0-test';
  }
  getLoginItemSettings() {
    return { openAtLogin: false };
  }
  setLoginItemSettings() {}
  quit() {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    report({ quit: { held: prevented } });
  }
  exit(code = 0) {
    report({ exit: code });
    process.exit(code);
  }
}
export const app = new App();

class WebContents extends EventEmitter {
  static next = 1;
  id = WebContents.next++;
  setWindowOpenHandler(h) {
    this.openHandler = h;
  }
  send() {}
  isDestroyed() {
    return false;
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.webContents = new WebContents();
    const p = options.webPreferences ?? {};
    report({
      window: {
        preload: p.preload,
        preloadExists: existsSync(p.preload ?? ''),
        contextIsolation: p.contextIsolation,
        sandbox: p.sandbox,
        nodeIntegration: p.nodeIntegration,
        icon: options.icon ?? null,
      },
    });
  }
  async loadURL(url) {
    report({ loadURL: url });
  }
  show() {}
  focus() {}
  isMinimized() {
    return false;
  }
  restore() {}
  isDestroyed() {
    return false;
  }
  close() {
    this.emit('closed');
  }
}

let quitting = false;
export class Tray extends EventEmitter {
  constructor(image) {
    super();
    report({ tray: image.path, exists: existsSync(image.path) });
  }
  setImage(image) {
    report({ trayImage: image.path });
  }
  setToolTip() {}
  setContextMenu(menu) {
    const status = menu.template.find((i) => i.id === 'status')?.label;
    report({ status });
    if (!quitting && /^Running locally/.test(status ?? '')) {
      quitting = true;
      setTimeout(() => menu.template.find((i) => i.id === 'quit').click(), 50);
    }
  }
  destroy() {}
}

export const Menu = { buildFromTemplate: (template) => ({ template }) };
export const nativeImage = { createFromPath: (path) => ({ path }) };
export const clipboard = { writeText() {} };
export const shell = { openExternal: async () => {} };
// `on` is what electron-store registers for its renderer-side data channel (unused by our windows).
export const ipcMain = {
  handlers: new Map(),
  handle(c, h) {
    this.handlers.set(c, h);
  },
  removeHandler(c) {
    this.handlers.delete(c);
  },
  on() {},
};
export const protocol = {
  registerSchemesAsPrivileged: (schemes) => report({ schemes: schemes.map((s) => s.scheme) }),
  handle: async (scheme, handler) => {
    const res = await handler(new Request(`${scheme}://app/index.html`));
    report({ served: { status: res.status, csp: res.headers.get('content-security-policy') !== null } });
  },
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler() {},
    setPermissionCheckHandler() {},
    webRequest: { onBeforeRequest() {} },
  },
};
export default { app, BrowserWindow, Tray, Menu, nativeImage, clipboard, shell, ipcMain, protocol, session };
