import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMcpPathProbe } from '../../../main/bootstrap-reachability.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import {
  installFakeCloudflared,
  publicFetch,
  readFakeState,
} from '../../fixtures/fake-cloudflared/install.js';
import { isAlive } from '../../helpers/cli-harness.js';

/**
 * The tunnel's "reachable from the internet" check goes through the (fake) Cloudflare edge to the
 * gateway in both auth modes; in `--auth none` the OAuth metadata the default probe reads does not exist.
 */
describe('bootstrap: tunnel reachability check in each auth mode', () => {
  const dirs: string[] = [];
  const running = new Set<Tunnelgate>();
  const pids: number[] = [];
  after(async () => {
    for (const tg of running) await tg.stop();
    for (const p of pids) if (isAlive(p)) process.kill(p, 'SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  for (const mode of ['none', 'oauth'] as const) {
    it(
      `--auth ${mode}: the checklist says reachable once the tunnel is ready`,
      { timeout: 60_000 },
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'tg-reach-'));
        dirs.push(dir);
        const stateFile = join(dir, 'fake-state.json');
        const tg = await createTunnelgate({
          configPath: join(dir, 'config.json'),
          dataDir: join(dir, 'data'),
          port: 0,
          tunnel: true,
          auth: mode,
          secretStore: createMemorySecretStore(),
          platform: { platform: 'linux', env: {}, home: dir },
          log: { info: () => undefined, warn: () => undefined },
          tunnelDeps: {
            env: {
              ...process.env,
              CLOUDFLARED_BIN: installFakeCloudflared(dir),
              FAKE_CLOUDFLARED_STATE: stateFile,
              TUNNELGATE_REACHABILITY_CHECK: undefined,
            },
            fetch: publicFetch(stateFile),
          },
        });
        running.add(tg);
        await tg.start();
        const control = tg.services.control;
        const deadline = Date.now() + 30_000;
        let status = await control.getStatus();
        while (status.tunnel.reachable !== 'yes' && status.tunnel.reachable !== 'no') {
          assert.ok(
            Date.now() < deadline,
            `no reachability answer; tunnel: ${JSON.stringify(status.tunnel)}`,
          );
          await new Promise((r) => setTimeout(r, 100));
          status = await control.getStatus();
        }
        const pid = readFakeState(stateFile)?.pid;
        if (pid) pids.push(pid);
        assert.equal(status.tunnel.reachable, 'yes', status.tunnel.reachableDetail);
        assert.equal(status.checklist.reachable, true);
        const connector = status.gateway.connectorUrl ?? '';
        assert.ok(connector.startsWith(status.tunnel.url ?? '-'), connector);
        if (mode === 'none') {
          const secretPath = new URL(connector).pathname;
          assert.match(secretPath, /^\/s\/[A-Za-z0-9_-]{22,}\/mcp$/);
          assert.ok(
            !(status.tunnel.reachableDetail ?? '').includes(secretPath),
            'the secret path never goes into the detail shown to the user',
          );
        }
        await tg.stop();
        running.delete(tg);
      },
    );
  }
});

describe('MCP-path probe: only the gateway’s own answer counts', () => {
  let server: Server | undefined;
  after(() => server?.close());

  it('another server answering at the URL (or Cloudflare’s 530) is not "reachable"', async () => {
    let status = 404;
    server = createServer((_req, res) => {
      res
        .writeHead(status, { 'content-type': 'text/plain' })
        .end(status === 530 ? 'error code: 1033' : 'nope');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const probe = createMcpPathProbe({ path: () => '/s/SECRETSEGMENT/mcp' });
    const other = await probe(origin);
    assert.equal(other.ok, false);
    assert.match(other.detail, /answered 404/);
    status = 530;
    const cf = await probe(origin);
    assert.equal(cf.ok, false);
    assert.match(cf.detail, /cloudflared cannot reach the gateway/);
    for (const r of [other, cf]) assert.ok(!r.detail.includes('SECRETSEGMENT'));
    const refused = await createMcpPathProbe({ path: () => '/s/SECRETSEGMENT/mcp' })('http://127.0.0.1:1');
    assert.equal(refused.ok, false);
    assert.ok(!refused.detail.includes('SECRETSEGMENT'));
  });
});
