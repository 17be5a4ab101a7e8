import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { installFakeCloudflared, readFakeState } from '../../fixtures/fake-cloudflared/install.js';
import { isAlive } from '../../helpers/cli-harness.js';
import { waitUntil } from '../../helpers/wait.js';

/**
 * Headless (`tunnelgate serve`), nobody watches the window: a tunnel that fails or drops after
 * start-up must show in the log lines and in the activity log, once per occurrence.
 */
// Each test has a Tunnelgate and a fake cloudflared of its own, kept until the end either way, and
// mostly waits (a crash, a restart, the config watcher): they run side by side.
describe('bootstrap: tunnel trouble reaches the log and the activity', { concurrency: true }, () => {
  const dirs: string[] = [];
  const running = new Set<Tunnelgate>();
  const pids: number[] = [];
  after(async () => {
    for (const tg of running) await tg.stop();
    for (const p of pids) if (isAlive(p)) process.kill(p, 'SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function serve(fakeEnv: Record<string, string>, publicUrl?: string) {
    const dir = await mkdtemp(join(tmpdir(), 'tg-tev-'));
    dirs.push(dir);
    const stateFile = join(dir, 'fake-state.json');
    const lines: string[] = [];
    const tg = await createTunnelgate({
      configPath: join(dir, 'config.json'),
      dataDir: join(dir, 'data'),
      port: 0,
      ...(publicUrl ? { publicUrl } : { tunnel: true }),
      auth: 'oauth',
      secretStore: createMemorySecretStore(),
      platform: { platform: 'linux', env: {}, home: dir },
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) },
      tunnelDeps: {
        env: {
          PATH: process.env.PATH,
          CLOUDFLARED_BIN: installFakeCloudflared(dir),
          FAKE_CLOUDFLARED_STATE: stateFile,
          TUNNELGATE_REACHABILITY_CHECK: '0',
          ...fakeEnv,
        },
      },
    });
    running.add(tg);
    await tg.start();
    const until = async (check: () => boolean, what: string) => {
      await waitUntil(check, what, { timeoutMs: 30_000, detail: () => `log:\n${lines.join('\n')}` });
      const pid = readFakeState(stateFile)?.pid;
      if (pid && !pids.includes(pid)) pids.push(pid);
    };
    const systemEvents = () =>
      tg.services.activity
        .recent({ limit: 100 })
        .filter((e) => e.kind === 'system')
        .map((e) => e.method);
    return { tg, lines, until, systemEvents };
  }

  it('a tunnel that cannot start is reported once, with a system event', { timeout: 60_000 }, async () => {
    // No cloudflared anywhere: the start fails at once (binary-missing).
    const s = await serve({ CLOUDFLARED_BIN: '', PATH: join(tmpdir(), 'tg-no-such-dir') });
    await s.until(() => s.tg.services.tunnel.manager?.state().phase === 'failed', 'the tunnel to fail');
    await s.until(() => s.systemEvents().includes('tunnel/failed'), 'the tunnel/failed event');
    await new Promise((r) => setTimeout(r, 300));
    const tunnelLines = s.lines.filter((l) => /^warn: Tunnel/.test(l));
    assert.equal(tunnelLines.length, 1, tunnelLines.join('\n'));
    assert.match(tunnelLines[0]!, /^warn: Tunnel failed: .*cloudflared/);
    assert.equal(s.tg.services.tunnel.manager?.state().errorCode, 'binary-missing');
  });

  it(
    'a tunnel that drops and comes back says so, and the new URL is announced',
    { timeout: 60_000 },
    async () => {
      const s = await serve({ FAKE_CLOUDFLARED_CRASH_AFTER_MS: '800', FAKE_CLOUDFLARED_CRASH_TIMES: '1' });
      await s.until(
        () => s.lines.filter((l) => l.startsWith('Connector URL: https://')).length >= 2,
        'a second URL',
      );
      assert.ok(
        s.lines.some((l) => /^warn: Tunnel lost \(.+\); reconnecting\.\.\.$/.test(l)),
        s.lines.join('\n'),
      );
      const events = s.systemEvents();
      assert.ok(events.includes('tunnel/reconnecting'), events.join(','));
      assert.ok(events.includes('tunnel/url-changed'), events.join(','));
      assert.equal(s.tg.services.tunnel.manager?.state().phase, 'ready');
    },
  );

  it(
    'a tunnel mode changed in Settings applies at the next start (quick -> named)',
    { timeout: 60_000 },
    async () => {
      const s = await serve({});
      const control = s.tg.services.control;
      await s.until(() => s.tg.services.tunnel.manager?.state().phase === 'ready', 'the quick tunnel');
      assert.equal((await control.getStatus()).tunnel.mode, 'quick');
      await control.stopTunnel();
      await control.updateSettings({ tunnelMode: 'named', tunnelHostname: 'mcp.example.com' });
      // The file is applied by the config watcher; the window shows the saved settings right away.
      const deadline = Date.now() + 10_000;
      while (s.tg.services.config().tunnel?.mode !== 'named') {
        assert.ok(Date.now() < deadline, 'the config watcher did not apply the new tunnel mode');
        await new Promise((r) => setTimeout(r, 50));
      }
      // No token stored yet: the named tunnel says so instead of starting another quick one.
      await assert.rejects(control.startTunnel(), /token/i);
      const status = await control.getStatus();
      assert.equal(status.tunnel.mode, 'named');
      assert.equal(status.tunnel.errorCode, 'no-token');
    },
  );

  it('with --public-url (own proxy) no quick tunnel starts by itself; the connector is that URL', async () => {
    const s = await serve({}, 'https://mcp.example.org');
    assert.equal(s.tg.services.tunnel.manager, undefined, 'a quick tunnel was started beside --public-url');
    assert.ok(
      s.lines.some((l) => l.startsWith('No quick tunnel: ')),
      s.lines.join('\n'),
    );
    assert.ok(s.lines.includes('Connector URL: https://mcp.example.org/mcp'), s.lines.join('\n'));
    const status = await s.tg.services.control.getStatus();
    assert.equal(status.gateway.connectorUrl, 'https://mcp.example.org/mcp');
  });
});
