import { createServer } from 'node:net';

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free port for a child process to bind a while later (mcp-remote's OAuth callback, serve's
 * --public-port). Picked below Linux's ephemeral range (32768-60999): every server that listens on
 * port 0, in this test process or a parallel one, lands in that range, so none can take this port
 * between the check and the child's bind (a port from `listen(0)` was once taken that way: "Callback
 * port ... is already in use").
 */
export async function portForLater(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canBind(port, host)) return port;
  }
  throw new Error(`no free port between 20000 and 32000 on ${host}`);
}
