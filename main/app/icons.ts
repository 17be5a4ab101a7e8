import { join } from 'node:path';
import type { TrayIconState } from './tray-model.js';

/**
 * File of the tray icon for a state. macOS gets the black "Template" image, which the menu bar tints
 * for light and dark mode (the "Template" suffix is how Electron recognises it); other systems get
 * the coloured one. Electron picks the `@2x` sibling on high-DPI screens by itself.
 */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform): string {
  return `tray-${state}${platform === 'darwin' ? 'Template' : ''}.png`;
}

/** resources/ next to package.json (inside app.asar when packaged; electron-builder.yml includes it). */
export function resourcesDir(appPath: string): string {
  return join(appPath, 'resources');
}

/** The 512 px app icon used for windows on Linux and Windows. */
export function appIconPath(appPath: string): string {
  return join(resourcesDir(appPath), 'icon.png');
}
