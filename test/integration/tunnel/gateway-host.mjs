/* global setInterval */
// A stand-in "gateway process" for the orphan test: serves an origin, starts a quick tunnel through
// the fake cloudflared, prints {"pid": <cloudflared pid>} once ready, then idles until killed. Start it
// with nodeArgs (test/helpers/cli-harness.ts): plain node over the compiled modules when the run has them.
import { createServer } from 'node:http';
import { mainModule } from '../../helpers/main-module.mjs';

const { createTunnelManager } = await import(mainModule('tunnel/index'));

const [binary, stateFile, dataDir] = process.argv.slice(2);
const server = createServer((_req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', async () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const manager = createTunnelManager({
    mode: 'quick',
    localPort: port,
    cloudflaredPath: binary,
    dataDir: dataDir ?? '.',
    env: { PATH: process.env.PATH, FAKE_CLOUDFLARED_STATE: stateFile },
    checkReachable: async () => ({ ok: true, detail: 'not checked here' }),
    timeouts: { pollMs: 100 },
  });
  await manager.start();
  process.stdout.write(`${JSON.stringify({ pid: manager.state().pid, phase: manager.state().phase })}\n`);
});
setInterval(() => {}, 1 << 30);
