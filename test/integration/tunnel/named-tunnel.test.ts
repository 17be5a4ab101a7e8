import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTunnelManager, type CloudflaredTunnelManager } from '../../../main/tunnel/index.js';
import {
  installFakeCloudflared,
  publicFetch,
  readFakeState,
} from '../../fixtures/fake-cloudflared/install.js';
import { startOrigin, tempDir } from './helpers.js';

// A token shaped like Cloudflare's: base64 of {"a": account, "t": tunnel id, "s": secret}.
const TOKEN = Buffer.from(
  JSON.stringify({
    a: 'f00dfeedf00dfeedf00dfeedf00dfeed',
    t: '8f2c1a0e-0b7e-4c43-9d1e-5f0a3b2c1d4e',
    s: 'c2VjcmV0LXZhbHVlLTEyMzQ1',
  }),
).toString('base64');

describe('named tunnel through the fake cloudflared', { timeout: 30_000 }, () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  const { dir, cleanup } = tempDir();
  const managers: CloudflaredTunnelManager[] = [];
  before(async () => {
    origin = await startOrigin();
  });
  after(async () => {
    for (const m of managers) await m.close();
    await origin.close();
    cleanup();
  });

  function named(token: () => Promise<string | undefined>, hostname: string | undefined = 'mcp.example.com') {
    const binary = installFakeCloudflared(dir);
    const stateFile = join(dir, `state-${managers.length}.json`);
    const manager = createTunnelManager({
      mode: 'named',
      localPort: origin.port,
      hostname,
      token,
      cloudflaredPath: binary,
      dataDir: dir,
      env: {
        PATH: process.env.PATH,
        FAKE_CLOUDFLARED_STATE: stateFile,
        FAKE_CLOUDFLARED_HOSTNAME: 'mcp.example.com',
        FAKE_CLOUDFLARED_ORIGIN: `http://127.0.0.1:${origin.port}`,
        TUNNEL_URL: 'http://127.0.0.1:1',
      },
      fetch: publicFetch(stateFile),
      timeouts: { pollMs: 100, readyMs: 8000 },
      reachabilityRetry: { attempts: 2, delayMs: 200 },
    });
    managers.push(manager);
    return { manager, stateFile };
  }

  it('passes the token in TUNNEL_TOKEN only, uses the configured hostname, and is reachable', async () => {
    const { manager, stateFile } = named(async () => TOKEN);
    const lines: string[] = [];
    manager.on('log', (l: string) => lines.push(l));
    await manager.start();
    const s = manager.state();
    assert.equal(s.phase, 'ready', JSON.stringify(s));
    assert.equal(s.url, 'https://mcp.example.com');
    const fake = readFakeState(stateFile);
    assert.equal(fake?.tokenSeen, true, 'cloudflared received the token');
    assert.equal(fake?.tokenInArgv, false, 'the token is not on the command line');
    if (s.pid && existsSync(`/proc/${s.pid}/cmdline`)) {
      assert.ok(!readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').includes(TOKEN), 'ps cannot show the token');
    }
    assert.ok(!lines.join('\n').includes(TOKEN), 'the token never appears in the log');
    await new Promise<void>((r) => {
      const check = (): void =>
        manager.state().reachable === 'yes' || manager.state().reachable === 'no'
          ? r()
          : void setTimeout(check, 50);
      check();
    });
    assert.equal(manager.state().reachable, 'yes', manager.state().reachableDetail);
    assert.ok(origin.seen.some((h) => h.host === 'mcp.example.com'));
    await manager.stop();
  });

  it('fails in words when no token is stored, without starting cloudflared', async () => {
    const { manager, stateFile } = named(async () => undefined);
    await manager.start();
    assert.equal(manager.state().phase, 'failed');
    assert.equal(manager.state().errorCode, 'no-token');
    assert.match(manager.state().error ?? '', /Settings > Tunnel/);
    assert.equal(readFakeState(stateFile), null, 'cloudflared never ran');
  });

  it('fails in words when the hostname is not configured', async () => {
    const { manager } = named(async () => TOKEN, '');
    await manager.start();
    assert.equal(manager.state().errorCode, 'no-hostname');
    assert.match(manager.state().error ?? '', /tunnel\.hostname/);
  });

  it('fails at once, without restarts, when Cloudflare rejects the token', { timeout: 20_000 }, async () => {
    const { manager } = named(async () => 'not-a-token');
    await manager.start();
    const s = manager.state();
    assert.equal(s.phase, 'failed');
    assert.equal(s.restarts, 0, 'a rejected token is not retried');
    assert.match(s.error ?? '', /exited with code 1/);
    assert.match(s.error ?? '', /rejected the named-tunnel token/);
  });
});
