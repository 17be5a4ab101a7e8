/**
 * Serves the bundled renderer (dist/renderer) as tunnelgate://app/... . A scheme of our own, rather
 * than file://, gives our pages a distinct origin that IPC sender checks can rely on (any local HTML
 * file would share file://), and lets every response carry the CSP header.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { ProtocolPort } from './electron-port.js';
import { RENDERER_CSP, RENDERER_SCHEME } from './window-options.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Must run before app 'ready' (Electron only accepts privileged schemes then). `standard` gives the
 * scheme an origin and relative URLs; `secure` makes it a secure context. Vite emits
 * `<script type="module" crossorigin>`, which Chromium loads in CORS mode, so the scheme must also
 * support fetch and CORS (as VS Code's vscode-file:// does). Nothing else can read it: every other
 * origin's requests are cancelled (window-options.ts hardenSession) and our CSP has connect-src 'none'.
 */
export function registerRendererScheme(protocol: ProtocolPort): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: RENDERER_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
    },
  ]);
}

/** The request handler, separate from Electron so tests can call it with a plain Request. */
export function createRendererHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const root = normalize(rendererDir + sep);
  return async (request) => {
    const url = new URL(request.url);
    const headers = {
      'content-security-policy': RENDERER_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    };
    if (url.host !== 'app' || request.method !== 'GET')
      return new Response('Not found', { status: 404, headers });
    const relative = decodeURIComponent(url.pathname).replace(/^\/+/, '') || 'index.html';
    const file = normalize(join(root, relative));
    // Path traversal (tunnelgate://app/../../etc/passwd) never leaves the renderer folder.
    if (!file.startsWith(root)) return new Response('Not found', { status: 404, headers });
    try {
      const body = await readFile(file);
      return new Response(body, {
        status: 200,
        headers: { ...headers, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' },
      });
    } catch {
      return new Response('Not found', { status: 404, headers });
    }
  };
}

/** Installs the handler (after 'ready'). */
export function serveRenderer(protocol: ProtocolPort, rendererDir: string): void {
  protocol.handle(RENDERER_SCHEME, createRendererHandler(rendererDir));
}
