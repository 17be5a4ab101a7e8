import { homedir } from 'node:os';
import { join, win32 } from 'node:path';

/** What the OS path helpers read; injectable so tests never depend on the machine they run on. */
export interface PlatformEnv {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  home: string;
}

/** The current process's platform, environment and home folder. */
export function currentPlatform(): PlatformEnv {
  return { platform: process.platform, env: process.env, home: homedir() };
}

function joinFor(p: PlatformEnv, ...parts: string[]): string {
  // Windows paths are built with win32 rules even when a test simulates Windows on Linux.
  return p.platform === 'win32' ? win32.join(...parts) : join(...parts);
}

/**
 * Folder holding config.json: Linux $XDG_CONFIG_HOME/tunnelgate (else ~/.config/tunnelgate),
 * macOS ~/Library/Application Support/Tunnelgate, Windows %APPDATA%\Tunnelgate.
 */
function configDir(p: PlatformEnv = currentPlatform()): string {
  if (p.platform === 'darwin') return joinFor(p, p.home, 'Library', 'Application Support', 'Tunnelgate');
  if (p.platform === 'win32') {
    return joinFor(p, p.env.APPDATA || joinFor(p, p.home, 'AppData', 'Roaming'), 'Tunnelgate');
  }
  // XDG Base Directory spec: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = p.env.XDG_CONFIG_HOME;
  return joinFor(p, xdg && xdg.startsWith('/') ? xdg : joinFor(p, p.home, '.config'), 'tunnelgate');
}

/** Default config file in the OS config folder. */
export function defaultConfigPath(p: PlatformEnv = currentPlatform()): string {
  return joinFor(p, configDir(p), 'config.json');
}

/**
 * Data folder (activity logs, control token): Linux $XDG_DATA_HOME/tunnelgate (else
 * ~/.local/share/tunnelgate), macOS ~/Library/Application Support/Tunnelgate, Windows
 * %LOCALAPPDATA%\Tunnelgate. TUNNELGATE_DATA_DIR overrides it (tests, portable installs).
 */
export function dataDir(p: PlatformEnv = currentPlatform()): string {
  if (p.env.TUNNELGATE_DATA_DIR) return p.env.TUNNELGATE_DATA_DIR;
  if (p.platform === 'darwin') return joinFor(p, p.home, 'Library', 'Application Support', 'Tunnelgate');
  if (p.platform === 'win32') {
    return joinFor(p, p.env.LOCALAPPDATA || joinFor(p, p.home, 'AppData', 'Local'), 'Tunnelgate');
  }
  const xdg = p.env.XDG_DATA_HOME;
  return joinFor(p, xdg && xdg.startsWith('/') ? xdg : joinFor(p, p.home, '.local', 'share'), 'tunnelgate');
}

/** Where the activity JSONL files live: `<data>/activity`. */
export function activityDir(p: PlatformEnv = currentPlatform()): string {
  return joinFor(p, dataDir(p), 'activity');
}

/**
 * Claude Desktop's config: Linux ~/.config/Claude/claude_desktop_config.json, macOS
 * ~/Library/Application Support/Claude/..., Windows %APPDATA%\Claude\....
 */
export function claudeDesktopConfigPath(p: PlatformEnv = currentPlatform()): string {
  const file = 'claude_desktop_config.json';
  if (p.platform === 'darwin') return joinFor(p, p.home, 'Library', 'Application Support', 'Claude', file);
  if (p.platform === 'win32') {
    return joinFor(p, p.env.APPDATA || joinFor(p, p.home, 'AppData', 'Roaming'), 'Claude', file);
  }
  const xdg = p.env.XDG_CONFIG_HOME;
  return joinFor(p, xdg && xdg.startsWith('/') ? xdg : joinFor(p, p.home, '.config'), 'Claude', file);
}

/**
 * The config file to use: `--config FILE`, else TUNNELGATE_CONFIG, else the OS default.
 * `source` tells the user where the choice came from.
 */
export function resolveConfigPath(
  file: string | undefined,
  p: PlatformEnv = currentPlatform(),
): { path: string; source: 'flag' | 'env' | 'default' } {
  if (file) return { path: file, source: 'flag' };
  if (p.env.TUNNELGATE_CONFIG) return { path: p.env.TUNNELGATE_CONFIG, source: 'env' };
  return { path: defaultConfigPath(p), source: 'default' };
}
