/**
 * The tray (menu bar on macOS): icon, tooltip and menu follow the AppStatus pushed by the control
 * service. See tray-model.ts for what is shown.
 */
import { join } from 'node:path';
import type { AppStatus } from '../../preload/contract.js';
import type { ElectronPort, TrayPort } from './electron-port.js';
import { trayIconFile } from './icons.js';
import {
  buildTrayTemplate,
  trayIconState,
  trayTooltip,
  type TrayActions,
  type TrayIconState,
} from './tray-model.js';

export interface TrayControllerDeps {
  electron: Pick<ElectronPort, 'Tray' | 'Menu' | 'nativeImage'>;
  iconsDir: string;
  platform: NodeJS.Platform;
  actions: TrayActions;
  launchAtLogin: () => boolean;
}

export interface TrayController {
  /** Re-renders icon, tooltip and menu for a new status. */
  update(status: AppStatus): void;
  /** The icon state last shown (for tests and logs). */
  iconState(): TrayIconState;
  close(): void;
}

export function createTrayController(deps: TrayControllerDeps): TrayController {
  const { electron } = deps;
  const image = (state: TrayIconState) =>
    electron.nativeImage.createFromPath(join(deps.iconsDir, trayIconFile(state, deps.platform)));
  let shown: TrayIconState = 'stopped';
  let last: AppStatus | null = null;
  const tray: TrayPort = new electron.Tray(image(shown));
  tray.setToolTip('Tunnelgate');
  // Windows users expect a left click on the tray icon to open the app; elsewhere it opens the menu.
  if (deps.platform === 'win32') tray.on('click', () => deps.actions.openDashboard());
  // Until the first status arrives (the services are still starting), a minimal menu that can quit.
  tray.setContextMenu(
    electron.Menu.buildFromTemplate([
      { id: 'status', label: 'Starting…', enabled: false },
      { type: 'separator' },
      { id: 'quit', label: 'Quit Tunnelgate', click: () => deps.actions.quit() },
    ]),
  );

  const render = (status: AppStatus): void => {
    const state = trayIconState(status);
    if (state !== shown) {
      shown = state;
      tray.setImage(image(state));
    }
    tray.setToolTip(trayTooltip(status));
    // Wrap the toggles that change what the menu shows, so the checkbox re-renders at once.
    const actions: TrayActions = {
      ...deps.actions,
      setLaunchAtLogin: (enabled) => {
        deps.actions.setLaunchAtLogin(enabled);
        if (last) render(last);
      },
    };
    tray.setContextMenu(
      electron.Menu.buildFromTemplate(buildTrayTemplate(status, deps.launchAtLogin(), actions)),
    );
  };

  return {
    update(status) {
      last = status;
      render(status);
    },
    iconState: () => shown,
    close: () => tray.destroy(),
  };
}
