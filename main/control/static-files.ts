/** Serves the built renderer (dist/renderer) from a fixed folder, never outside it. */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { DASHBOARD_CSP } from './http-guard.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Sends the file for `pathname` from `root`; answers 404 for anything missing or outside it. */
export async function serveStatic(
  root: string,
  pathname: string,
  res: ServerResponse,
  head = false,
): Promise<void> {
  const base = resolve(root);
  let rel: string;
  try {
    rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    rel = '';
  }
  const file = resolve(join(base, rel));
  if (!rel || rel.includes('\0') || (file !== base && !file.startsWith(base + sep))) {
    return notFound(res);
  }
  try {
    const s = await stat(file);
    if (!s.isFile()) return notFound(res);
    const body = await readFile(file);
    const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const headers: Record<string, string | number> = {
      'Content-Type': type,
      'Content-Length': body.length,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    };
    if (type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = DASHBOARD_CSP;
      headers['X-Frame-Options'] = 'DENY';
    }
    res.writeHead(200, headers);
    res.end(head ? undefined : body);
  } catch (err) {
    if (rel === '/index.html' && (err as NodeJS.ErrnoException).code === 'ENOENT') {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(
        `The dashboard is not built: ${join(base, 'index.html')} is missing. Run "npm run build" and reload.\n`,
      );
      return;
    }
    notFound(res);
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end('Not found\n');
}
