import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import {
  installFakeCloudflared,
  publicFetch,
  readFakeState,
} from '../../fixtures/fake-cloudflared/install.js';
import { tempDir, waitGone } from './helpers.js';

// The whole headless service (bootstrap) going public through the fake cloudflared: the connector URL
// is printed, OAuth's issuer and resource follow the tunnel URL, and when a crash brings a new URL the
// issuer, resource and Host allow-list follow it.
const { dir, cleanup } = tempDir();
let tg: Tunnelgate | undefined;
after(async () => {
  await tg?.stop().catch(() => undefined);
  cleanup();
});

it(
  'issuer, resource and Host allow-list follow the tunnel URL, also after a restart with a new URL',
  { timeout: 60_000 },
  async () => {
    const stateFile = join(dir, 'fake-state.json');
    // Read by the tunnel manager (bootstrap passes no env of its own): CLOUDFLARED_BIN is a documented
    // way to point at the binary; the probe is done below through the fake edge instead of DNS.
    process.env.CLOUDFLARED_BIN = installFakeCloudflared(dir);
    process.env.FAKE_CLOUDFLARED_STATE = stateFile;
    process.env.FAKE_CLOUDFLARED_CRASH_AFTER_MS = '2500';
    process.env.FAKE_CLOUDFLARED_CRASH_TIMES = '1';
    process.env.TUNNELGATE_REACHABILITY_CHECK = '0';
    const lines: string[] = [];
    tg = await createTunnelgate({
      configPath: join(dir, 'config.json'),
      dataDir: join(dir, 'data'),
      port: 0,
      tunnel: true,
      auth: 'oauth',
      secretStore: createMemorySecretStore(),
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) },
    });
    const { port } = await tg.start();
    const edge = publicFetch(stateFile);
    const connectorLine = async (n: number): Promise<string> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = lines.filter((l) => l.startsWith('Connector URL: https://'));
        if (found.length >= n) return found[n - 1] ?? '';
        if (Date.now() > deadline) throw new Error(`no connector URL #${n}; log: ${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const first = await connectorLine(1);
    const host1 = readFakeState(stateFile)?.publicHost ?? '';
    assert.equal(first, `Connector URL: https://${host1}/mcp`);
    const prm1 = (await (await edge(`https://${host1}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      resource: string;
    };
    assert.equal(prm1.resource, `https://${host1}/mcp`);
    const as1 = (await (await edge(`https://${host1}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
    };
    assert.equal(as1.issuer, `https://${host1}`);
    const unauth = await edge(`https://${host1}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
    });
    assert.equal(unauth.status, 401);
    assert.match(
      unauth.headers.get('www-authenticate') ?? '',
      new RegExp(
        `resource_metadata="https://${host1.replace(/\./g, '\\.')}/\\.well-known/oauth-protected-resource/mcp"`,
      ),
    );
    const firstPid = readFakeState(stateFile)?.pid ?? 0;

    // The fake crashes once; the manager restarts it and Cloudflare hands out a new URL.
    const second = await connectorLine(2);
    const host2 = readFakeState(stateFile)?.publicHost ?? '';
    assert.notEqual(host2, host1);
    assert.equal(second, `Connector URL: https://${host2}/mcp`);
    const prm2 = (await (await edge(`https://${host2}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      resource: string;
    };
    assert.equal(prm2.resource, `https://${host2}/mcp`);
    const status = await tg.services.control.getStatus();
    assert.equal(status.tunnel.phase, 'ready');
    assert.equal(status.gateway.connectorUrl, `https://${host2}/mcp`);
    assert.ok(
      status.urlChanged?.current.startsWith(`https://${host2}`),
      'the window is told the connector must be re-created',
    );
    assert.ok(status.urlChanged?.previous.startsWith(`https://${host1}`));

    // The old host is no longer in the Host allow-list.
    const { request } = await import('node:http');
    const oldHostStatus = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/.well-known/oauth-protected-resource/mcp',
          headers: { host: host1 },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(oldHostStatus, 403);

    const lastPid = readFakeState(stateFile)?.pid ?? 0;
    await tg.stop();
    tg = undefined;
    assert.deepEqual(await waitGone([firstPid, lastPid]), [], 'no cloudflared left after stop');
  },
);
