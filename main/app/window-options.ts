/**
 * Every security setting of our windows, in one place (CONVENTIONS.md #14; Electron's security
 * checklist): only our bundled renderer, served from our own scheme; contextIsolation and sandbox on;
 * nodeIntegration off; a strict CSP; no navigation, no window.open, no webviews, no permissions, no
 * remote requests. External https links open in the user's browser only for an allow-list.
 */
import type {
  BrowserWindowConstructorOptions,
  PreventableEvent,
  SessionPort,
  WebContentsPort,
} from './electron-port.js';

/** Our renderer is served as tunnelgate://app/... (a standard, secure scheme; see renderer-protocol.ts). */
export const RENDERER_SCHEME = 'tunnelgate';
const RENDERER_ORIGIN = `${RENDERER_SCHEME}://app`;

/**
 * Content-Security-Policy for our pages: our own files only; no inline or eval'd script; no network
 * (the window talks to main over IPC only); no plugins, frames, forms or <base>.
 */
export const RENDERER_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Hosts whose https pages may be opened in the system browser from our windows. */
const EXTERNAL_ALLOWED_HOSTS: readonly string[] = [
  'chatgpt.com',
  'help.openai.com',
  'platform.openai.com',
  'developers.cloudflare.com',
  'dash.cloudflare.com',
  'one.dash.cloudflare.com',
  'github.com',
  'modelcontextprotocol.io',
];

export type WindowKind = 'dashboard' | 'activity';

/** URL of a page of our renderer (hash routes, as the renderer uses). */
export function rendererUrl(route?: string): string {
  return `${RENDERER_ORIGIN}/index.html${route ? `#/${route}` : ''}`;
}

/** True when `url` is a page of our bundled renderer (exact scheme and host). */
export function isOurRendererUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${RENDERER_SCHEME}:` && u.host === 'app';
  } catch {
    return false;
  }
}

/** True for an https URL on the allow-list (no credentials in the URL, default port only). */
export function isAllowedExternalUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (
      u.protocol === 'https:' &&
      u.username === '' &&
      u.password === '' &&
      u.port === '' &&
      EXTERNAL_ALLOWED_HOSTS.includes(u.hostname)
    );
  } catch {
    return false;
  }
}

/** The webPreferences every window of ours gets. */
function secureWebPreferences(
  preloadPath: string,
): NonNullable<BrowserWindowConstructorOptions['webPreferences']> {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: true,
  };
}

/** Constructor options for a window of the given kind. */
export function windowOptions(
  kind: WindowKind,
  preloadPath: string,
  iconPath?: string,
): BrowserWindowConstructorOptions {
  const size = kind === 'dashboard' ? { width: 1080, height: 760 } : { width: 1200, height: 720 };
  return {
    ...size,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: kind === 'dashboard' ? 'Tunnelgate' : 'Tunnelgate: request log',
    backgroundColor: '#1c1c1e',
    autoHideMenuBar: true,
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: secureWebPreferences(preloadPath),
  };
}

/**
 * Applies the per-window rules: no navigation away (will-navigate, will-redirect), no new windows
 * (window.open and target=_blank are denied; allow-listed https links go to the system browser),
 * no <webview>.
 */
export function hardenWebContents(contents: WebContentsPort, openExternal: (url: string) => void): void {
  const deny = (event: PreventableEvent, url: string): void => {
    event.preventDefault();
    if (isAllowedExternalUrl(url)) openExternal(url);
  };
  contents.on('will-navigate', deny);
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) openExternal(url);
    return { action: 'deny' };
  });
}

/**
 * Session-wide rules: every permission request (camera, notifications, ...) is refused, and every
 * request that is not for our own scheme (or devtools) is cancelled, so no remote content can load
 * even if a page tried.
 */
export function hardenSession(session: SessionPort): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed =
      isOurRendererUrl(details.url) ||
      details.url.startsWith('devtools://') ||
      details.url.startsWith('data:');
    callback(allowed ? {} : { cancel: true });
  });
}
