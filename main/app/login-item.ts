/**
 * "Launch at login". macOS and Windows: Electron's login item settings. Linux has no such API in
 * Electron, so we write an XDG autostart entry (~/.config/autostart/tunnelgate.desktop), the
 * freedesktop.org way every desktop honours.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppPort } from './electron-port.js';

/** Passed when the OS starts us at login: stay in the tray, open no window. */
export const HIDDEN_FLAG = '--hidden';

export interface LoginItem {
  get(): boolean;
  set(enabled: boolean): void;
}

export interface LoginItemDeps {
  app: Pick<AppPort, 'getLoginItemSettings' | 'setLoginItemSettings'>;
  platform: NodeJS.Platform;
  /** Linux: the autostart folder (default $XDG_CONFIG_HOME/autostart or ~/.config/autostart). */
  autostartDir: string;
  /** Linux: what to run (the AppImage path when run from one, else the executable). */
  command: string;
}

export function createLoginItem(deps: LoginItemDeps): LoginItem {
  if (deps.platform !== 'linux') {
    return {
      get: () => deps.app.getLoginItemSettings().openAtLogin,
      // args reach the app on Windows; macOS ignores them (openAsHidden covers older macOS).
      set: (enabled) =>
        deps.app.setLoginItemSettings({ openAtLogin: enabled, openAsHidden: true, args: [HIDDEN_FLAG] }),
    };
  }
  const file = join(deps.autostartDir, 'tunnelgate.desktop');
  return {
    get: () => existsSync(file),
    set(enabled) {
      if (!enabled) {
        rmSync(file, { force: true });
        return;
      }
      mkdirSync(deps.autostartDir, { recursive: true });
      // Exec quoting per the Desktop Entry spec: double quotes, with " ` $ \ escaped.
      const quoted = `"${deps.command.replace(/(["`$\\])/g, '\\$1')}"`;
      writeFileSync(
        file,
        [
          '[Desktop Entry]',
          'Type=Application',
          'Name=Tunnelgate',
          `Exec=${quoted} ${HIDDEN_FLAG}`,
          'X-GNOME-Autostart-enabled=true',
          'Terminal=false',
          '',
        ].join('\n'),
      );
    },
  };
}
