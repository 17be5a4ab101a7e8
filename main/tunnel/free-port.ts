import { createServer } from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now, for cloudflared's `--metrics` address. There is a small
 * window in which another program could take it; cloudflared then fails with "address already in
 * use" and the manager's restart picks a new port.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not pick a free port'))));
    });
  });
}
