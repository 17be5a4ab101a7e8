import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudflaredTunnelManager } from '../../../main/tunnel/index.js';
import type { TunnelState } from '../../../main/tunnel/tunnel-state.js';

/** A temp folder removed by the returned cleanup. */
export function tempDir(prefix = 'tg-tunnel-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves with the first state matching `pred` (checking the current one first); rejects after `ms`. */
export function waitForState(
  manager: CloudflaredTunnelManager,
  pred: (s: TunnelState) => boolean,
  ms = 15_000,
): Promise<TunnelState> {
  return new Promise((resolve, reject) => {
    const now = manager.state();
    if (pred(now)) return resolve(now);
    const timer = setTimeout(() => {
      manager.off('state', onState);
      reject(new Error(`state not reached within ${ms} ms; last: ${JSON.stringify(manager.state())}`));
    }, ms);
    const onState = (s: TunnelState): void => {
      if (!pred(s)) return;
      clearTimeout(timer);
      manager.off('state', onState);
      resolve(s);
    };
    manager.on('state', onState);
  });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until every pid is gone; returns the ones still alive after `ms`. */
export async function waitGone(pids: number[], ms = 8000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    alive = alive.filter(isAlive);
  }
  return alive;
}

/** Stand-in origin (plain node:http) recording what reached it; answers the RFC 9728 metadata path. */
export async function startOrigin(): Promise<{
  port: number;
  seen: IncomingHttpHeaders[];
  server: Server;
  close: () => Promise<void>;
}> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/.well-known/oauth-protected-resource') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          resource: `https://${req.headers.host}/mcp`,
          authorization_servers: [`https://${req.headers.host}`],
        }),
      );
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    seen,
    server,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
