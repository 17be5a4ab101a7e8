import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { cloudflaredAssetName, createTunnelManager, type TunnelState } from '../../../main/tunnel/index.js';
import { installFakeCloudflared } from '../../fixtures/fake-cloudflared/install.js';
import { startOrigin, tempDir } from './helpers.js';

// Binary missing -> the user accepts the download -> the verified binary lands in the data folder ->
// the tunnel starts with it. GitHub is played by a local server (never the internet).
const { dir, cleanup } = tempDir();
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  cleanup();
});

it(
  'downloads cloudflared when missing, with progress, then starts the tunnel with it',
  { timeout: 30_000, skip: process.platform === 'win32' },
  async () => {
    const asset = cloudflaredAssetName(process.platform, process.arch);
    assert.ok(asset && !asset.endsWith('.tgz'), 'this test runs where the asset is a plain binary (Linux)');
    // The "release asset": an executable that runs the fake cloudflared, padded to span several chunks.
    mkdirSync(join(dir, 'src'));
    const body = Buffer.concat([
      readFileSync(installFakeCloudflared(join(dir, 'src'))),
      Buffer.from(`# ${'x'.repeat(200_000)}\n`),
    ]);
    const sha = createHash('sha256').update(body).digest('hex');
    const github = createServer((req, res) => {
      if (req.url === '/repos/cloudflare/cloudflared/releases/latest') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            tag_name: '2025.8.1',
            body: `### SHA256 Checksums:\n\`\`\`\n${asset}: ${sha}\n\`\`\``,
            assets: [
              {
                name: asset,
                size: body.length,
                browser_download_url: `https://github.com/cloudflare/cloudflared/releases/download/2025.8.1/${asset}`,
              },
            ],
          }),
        );
      } else if (req.url === `/cloudflare/cloudflared/releases/download/2025.8.1/${asset}`) {
        res.writeHead(200, { 'content-length': body.length });
        res.end(body);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => github.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => github.close(r)));
    const ghPort = (github.address() as { port: number }).port;
    const fetchVia: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      if (url.hostname === 'api.github.com' || url.hostname === 'github.com')
        return fetch(`http://127.0.0.1:${ghPort}${url.pathname}`, init);
      if (url.hostname === '127.0.0.1') return fetch(input, init);
      return Promise.reject(
        new TypeError('fetch failed', { cause: new Error(`getaddrinfo ENOTFOUND ${url.hostname}`) }),
      );
    };

    const origin = await startOrigin();
    closers.push(() => origin.close());
    const dataDir = join(dir, 'data');
    const manager = createTunnelManager({
      mode: 'quick',
      localPort: origin.port,
      dataDir,
      env: { PATH: join(dir, 'empty'), FAKE_CLOUDFLARED_STATE: join(dir, 'state.json') },
      fetch: fetchVia,
      checkReachable: async () => ({ ok: true, detail: 'not probed here' }),
      timeouts: { pollMs: 100 },
    });
    closers.push(() => manager.close());
    await manager.start();
    assert.equal(manager.state().errorCode, 'binary-missing');

    const progress: NonNullable<TunnelState['download']>[] = [];
    manager.on('state', (s: TunnelState) => s.download && progress.push(s.download));
    const result = await manager.downloadBinary();
    assert.equal(result.path, join(dataDir, 'bin', 'cloudflared'));
    assert.equal(result.sha256, sha);
    assert.ok(progress.length >= 2, 'progress was reported');
    assert.deepEqual(progress.at(-1), { receivedBytes: body.length, totalBytes: body.length });
    const afterDownload = manager.state();
    assert.equal(afterDownload.phase, 'stopped');
    assert.equal(afterDownload.error, undefined);
    assert.equal(afterDownload.download, undefined);

    await manager.start();
    assert.equal(manager.state().phase, 'ready');
    assert.equal(manager.state().binaryPath, join(dataDir, 'bin', 'cloudflared'), 'found in the data folder');
  },
);
