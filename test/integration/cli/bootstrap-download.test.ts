import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { connectControlClient } from '../../../main/control/http-client.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { cloudflaredAssetName } from '../../../main/tunnel/index.js';
import { installFakeCloudflared, readFakeState } from '../../fixtures/fake-cloudflared/install.js';
import { isAlive } from '../../helpers/cli-harness.js';

/**
 * cloudflared missing -> the window's downloadCloudflared (here over the headless dashboard's HTTP
 * bridge) -> the tunnel manager downloads and verifies it -> "Go public" works. GitHub is a local server.
 */
describe('bootstrap: downloadCloudflared through the control service and the HTTP bridge', () => {
  let dir: string | undefined;
  let tg: Tunnelgate | undefined;
  let github: Server | undefined;
  let fakePid: number | undefined;
  after(async () => {
    await tg?.stop();
    if (fakePid && isAlive(fakePid)) process.kill(fakePid, 'SIGKILL');
    await new Promise((r) => (github ? github.close(r) : r(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'binary-missing, download with progress, then the tunnel starts with the downloaded binary',
    { timeout: 60_000, skip: process.platform !== 'linux' },
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'tg-dl-'));
      const asset = cloudflaredAssetName(process.platform, process.arch)!;
      mkdirSync(join(dir, 'src'));
      const body = Buffer.concat([
        readFileSync(installFakeCloudflared(join(dir, 'src'))),
        Buffer.from(`# ${'x'.repeat(300_000)}\n`),
      ]);
      const sha = createHash('sha256').update(body).digest('hex');
      const tag = '2026.1.0';
      github = createServer((req, res) => {
        if (req.url === '/repos/cloudflare/cloudflared/releases/latest') {
          res.setHeader('content-type', 'application/json');
          res.end(
            JSON.stringify({
              tag_name: tag,
              body: `### SHA256 Checksums:\n\`\`\`\n${asset}: ${sha}\n\`\`\``,
              assets: [
                {
                  name: asset,
                  size: body.length,
                  browser_download_url: `https://github.com/cloudflare/cloudflared/releases/download/${tag}/${asset}`,
                },
              ],
            }),
          );
        } else if (req.url === `/cloudflare/cloudflared/releases/download/${tag}/${asset}`) {
          res.writeHead(200, { 'content-length': body.length });
          res.end(body);
        } else res.writeHead(404).end();
      });
      await new Promise<void>((r) => github!.listen(0, '127.0.0.1', r));
      const ghPort = (github.address() as AddressInfo).port;
      const fetchVia: typeof fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (url.hostname === 'api.github.com' || url.hostname === 'github.com')
          return fetch(`http://127.0.0.1:${ghPort}${url.pathname}`, init);
        if (url.hostname === '127.0.0.1') return fetch(input, init);
        return Promise.reject(
          new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url.hostname}`) }),
        );
      };

      const dataDir = join(dir, 'data');
      const stateFile = join(dir, 'fake-state.json');
      tg = await createTunnelgate({
        configPath: join(dir, 'config.json'),
        dataDir,
        port: 0,
        tunnel: false,
        auth: 'oauth',
        dashboard: true,
        secretStore: createMemorySecretStore(),
        platform: { platform: 'linux', env: {}, home: dir },
        log: { info: () => undefined, warn: () => undefined },
        tunnelDeps: {
          // No cloudflared anywhere: an empty PATH and no CLOUDFLARED_BIN.
          env: {
            PATH: join(dir, 'empty'),
            FAKE_CLOUDFLARED_STATE: stateFile,
            TUNNELGATE_REACHABILITY_CHECK: '0',
          },
          fetch: fetchVia,
        },
      });
      await tg.start();
      const api = await connectControlClient(dataDir);

      await assert.rejects(api.startTunnel(), /cloudflared/i);
      const missing = await api.getStatus();
      assert.equal(missing.tunnel.errorCode, 'binary-missing');

      const progress: number[] = [];
      const off = tg.services.control.onStatus((s) => {
        if (s.tunnel.download) progress.push(s.tunnel.download.receivedBytes);
      });
      await api.downloadCloudflared();
      off();
      const downloaded = await api.getStatus();
      assert.equal(downloaded.tunnel.errorCode, undefined);
      assert.equal(downloaded.tunnel.download, undefined);
      assert.equal(downloaded.tunnel.binaryPath, join(dataDir, 'bin', 'cloudflared'));
      assert.ok(progress.length >= 1, 'the window heard download progress');

      await api.startTunnel();
      const ready = await api.getStatus();
      fakePid = readFakeState(stateFile)?.pid;
      assert.equal(ready.tunnel.phase, 'ready');
      assert.match(ready.gateway.connectorUrl ?? '', /^https:\/\/[a-z0-9-]+\.trycloudflare\.com\/mcp$/);
    },
  );
});
