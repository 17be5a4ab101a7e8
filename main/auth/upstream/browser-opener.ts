import { spawn } from 'node:child_process';

/** Opens a URL in the user's browser. Replaceable so tests can follow the redirect themselves. */
export interface BrowserOpener {
  open(url: string): Promise<void>;
}

export interface SystemBrowserOpenerOptions {
  platform?: NodeJS.Platform;
  /** Replaces child_process.spawn (tests). */
  spawnFn?: typeof spawn;
}

/** The command line that opens `url` on `platform`, with no shell involved (the URL is one argument). */
export function openCommandFor(platform: NodeJS.Platform, url: string): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // Not `cmd /c start`: cmd would split the URL at "&" in the query string; the URL protocol handler
  // takes it as one argument.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: [url] };
}

/**
 * The real opener: `open` (macOS), the URL protocol handler (Windows) or `xdg-open` (Linux and
 * others), spawned detached so the browser outlives nothing of ours and we never wait on it.
 * Only http(s) URLs are opened: an authorization endpoint from metadata must not launch other handlers.
 */
export function createSystemBrowserOpener(options: SystemBrowserOpenerOptions = {}): BrowserOpener {
  const platform = options.platform ?? process.platform;
  const spawnFn = options.spawnFn ?? spawn;
  return {
    open(url) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        return Promise.reject(
          new Error(
            `Refusing to open ${parsed.protocol} URL in the browser: only http and https sign-in pages are opened.`,
          ),
        );
      }
      const { command, args } = openCommandFor(platform, parsed.href);
      return new Promise((resolve, reject) => {
        const child = spawnFn(command, args, { detached: true, stdio: 'ignore', windowsHide: true });
        child.once('error', (err) =>
          reject(
            new Error(
              `Could not open the browser with "${command}" (${err.message}). Open this address yourself to sign in: ${parsed.href}`,
            ),
          ),
        );
        child.once('spawn', () => {
          child.unref();
          resolve();
        });
      });
    },
  };
}
