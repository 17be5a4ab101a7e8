import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createTunnelManager,
  type CloudflaredTunnelManager,
  type TunnelManagerDeps,
  type UrlChange,
} from '../../../main/tunnel/index.js';
import {
  installFakeCloudflared,
  publicFetch,
  readFakeState,
} from '../../fixtures/fake-cloudflared/install.js';
import { startOrigin, tempDir, waitForState, waitGone } from './helpers.js';

describe('quick tunnel through the fake cloudflared', { timeout: 60_000 }, () => {
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  const managers: CloudflaredTunnelManager[] = [];
  const cleanups: (() => void)[] = [];

  before(async () => {
    origin = await startOrigin();
  });
  after(async () => {
    for (const m of managers) await m.close();
    await origin.close();
    for (const c of cleanups) c();
  });

  function setup(extraEnv: Record<string, string> = {}, overrides: Partial<TunnelManagerDeps> = {}) {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const binary = installFakeCloudflared(dir);
    const stateFile = join(dir, 'fake-state.json');
    const manager = createTunnelManager({
      mode: 'quick',
      localPort: origin.port,
      cloudflaredPath: binary,
      dataDir: join(dir, 'data'),
      env: { PATH: process.env.PATH, FAKE_CLOUDFLARED_STATE: stateFile, ...extraEnv },
      fetch: publicFetch(stateFile),
      timeouts: { urlMs: 5000, readyMs: 8000, pollMs: 100, stopGraceMs: 3000 },
      restart: { initialDelayMs: 200, maxDelayMs: 1000, maxAttempts: 3 },
      reachabilityRetry: { attempts: 2, delayMs: 200 },
      ...overrides,
    });
    managers.push(manager);
    return { manager, stateFile, dir };
  }

  it('becomes ready with the URL from the banner, confirmed by /quicktunnel, and is reachable', async () => {
    const { manager, stateFile } = setup();
    const phases: string[] = [];
    manager.on('state', (s) => phases.push(s.phase));
    await manager.start();
    const ready = manager.state();
    const fake = readFakeState(stateFile);
    assert.equal(ready.phase, 'ready', JSON.stringify(ready));
    assert.ok(fake?.publicUrl);
    assert.equal(ready.url, fake.publicUrl);
    assert.match(ready.url ?? '', /^https:\/\/[a-z]+(-[a-z]+){3}\.trycloudflare\.com$/);
    assert.equal(ready.pid, fake.pid, 'the pid reported is cloudflared itself, not the watchdog');
    assert.deepEqual(phases.slice(0, 1), ['starting']);

    const reach = await waitForState(manager, (s) => s.reachable === 'yes' || s.reachable === 'no');
    assert.equal(reach.reachable, 'yes', reach.reachableDetail);
    const viaTunnel = origin.seen.find((h) => h.host === fake.publicHost);
    assert.ok(viaTunnel, 'the origin saw the public Host header');
    assert.equal(viaTunnel['x-forwarded-proto'], 'https');
    assert.ok(viaTunnel['cf-connecting-ip']);

    await manager.stop();
    assert.equal(manager.state().phase, 'stopped');
    assert.equal(manager.state().url, null);
    assert.deepEqual(await waitGone([fake.pid]), [], 'cloudflared is gone after stop');
  });

  it('restarts after a crash with backoff and reports the new URL as url-changed', async () => {
    const { manager, stateFile } = setup({
      FAKE_CLOUDFLARED_CRASH_AFTER_MS: '1500',
      FAKE_CLOUDFLARED_CRASH_TIMES: '1',
      FAKE_CLOUDFLARED_CRASH_CODE: '3',
    });
    const changes: UrlChange[] = [];
    manager.on('url-changed', (c: UrlChange) => changes.push(c));
    await manager.start();
    const first = manager.state();
    assert.equal(first.phase, 'ready');
    // (The fake crashes 1.5 s after connecting; a machine too loaded to see "ready" within that time
    // would only see the second run, and the event checks below would say so.)
    assert.equal(first.restarts, 0, 'the first run became ready before its crash');
    const firstPid = first.pid;
    const reconnecting = await waitForState(manager, (s) => s.phase === 'reconnecting');
    assert.match(reconnecting.error ?? '', /exited with code 3/);
    assert.match(reconnecting.error ?? '', /fake crash requested/, 'the last stderr lines are in the reason');
    assert.equal(reconnecting.url, null, 'a quick tunnel URL dies with its process');
    const second = await waitForState(manager, (s) => s.phase === 'ready');
    assert.equal(second.restarts, 1);
    assert.notEqual(second.url, first.url);
    assert.equal(second.url, readFakeState(stateFile)?.publicUrl);
    assert.notEqual(second.pid, firstPid);
    assert.deepEqual(changes, [{ previous: first.url, url: second.url }]);
    await manager.stop();
  });

  /** Starts a manager over a fake cloudflared that fails as `extraEnv` says; its state once start() gave up. */
  async function failedStart(
    extraEnv: Record<string, string>,
    overrides: Partial<TunnelManagerDeps>,
    errorCode: string,
  ) {
    const { manager, stateFile } = setup(extraEnv, overrides);
    await manager.start();
    const s = manager.state();
    assert.equal(s.phase, 'failed');
    assert.equal(s.errorCode, errorCode);
    return { s, stateFile };
  }

  /** Starts a manager with no fake cloudflared at all (`deps` for its folder); its failed state. */
  async function failedWithoutBinary(deps: (dir: string) => Partial<TunnelManagerDeps>) {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const manager = createTunnelManager({
      mode: 'quick',
      localPort: origin.port,
      dataDir: dir,
      ...deps(dir),
    });
    managers.push(manager);
    await manager.start();
    const s = manager.state();
    assert.equal(s.phase, 'failed');
    assert.equal(s.errorCode, 'binary-missing');
    return s;
  }

  // The ways a start fails mostly wait out a timeout or a grace period, each with its own manager and
  // fake cloudflared: they wait side by side. (The crash-and-restart test above runs alone: its first
  // run must become ready within the fake's 1.5 s before its crash.)
  describe('failures', { concurrency: true }, () => {
    it('gives up after the last restart and says why, with the exit code and what cloudflared printed', async () => {
      const { s } = await failedStart(
        { FAKE_CLOUDFLARED_API_FAIL: '1' },
        { restart: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 1 } },
        'exited',
      );
      assert.match(s.error ?? '', /exited with code 1/);
      assert.match(s.error ?? '', /could not get a quick tunnel from Cloudflare/);
      assert.match(s.error ?? '', /failed to request quick Tunnel/);
      assert.match(s.error ?? '', /Gave up after 1 restart/);
      assert.equal(s.restarts, 1);
    });

    it('fails with a reason when cloudflared hangs and /ready never answers 200', async () => {
      const { s, stateFile } = await failedStart(
        { FAKE_CLOUDFLARED_HANG: '1' },
        // Long enough for a loaded machine to start the fake and print a dial error or two: the
        // failure tests run side by side, each waiting out its own timeout.
        { timeouts: { urlMs: 5000, readyMs: 5000, pollMs: 100, stopGraceMs: 3000 } },
        'not-ready',
      );
      assert.match(s.error ?? '', /\/ready never answered 200 within 5 s/);
      assert.match(s.error ?? '', /QUIC/, 'explains the dial errors cloudflared printed');
      const pid = readFakeState(stateFile)?.pid;
      assert.ok(pid);
      assert.deepEqual(await waitGone([pid]), [], 'the hung cloudflared was ended');
    });

    it('fails with a reason when no URL is printed in time', async () => {
      const { s } = await failedStart(
        { FAKE_CLOUDFLARED_NO_URL: '1' },
        // Long enough for a loaded machine to start the fake and print its first line (it never prints
        // a URL), which the reason quotes.
        { timeouts: { urlMs: 5000, readyMs: 8000, pollMs: 100, stopGraceMs: 3000 } },
        'no-url',
      );
      assert.match(s.error ?? '', /printed no tunnel URL within 5 s/);
      assert.match(s.error ?? '', /Requesting new quick Tunnel/);
    });

    it('kills a cloudflared that ignores SIGTERM once the grace period is over', async () => {
      const { manager, stateFile } = setup(
        { FAKE_CLOUDFLARED_IGNORE_SIGTERM: '1' },
        { timeouts: { urlMs: 5000, readyMs: 8000, pollMs: 100, stopGraceMs: 800 } },
      );
      await manager.start();
      assert.equal(manager.state().phase, 'ready');
      const pid = readFakeState(stateFile)?.pid;
      assert.ok(pid);
      const t0 = Date.now();
      await manager.stop();
      assert.ok(Date.now() - t0 >= 700, 'the polite stop was tried first');
      assert.deepEqual(await waitGone([pid], 3000), [], 'then the process was killed');
    });

    it('reports a missing binary in words and keeps nothing running', async () => {
      const s = await failedWithoutBinary((dir) => ({
        dataDir: join(dir, 'data'),
        env: { PATH: join(dir, 'empty') },
      }));
      assert.match(s.error ?? '', /cloudflared was not found/);
      assert.match(s.error ?? '', /tunnel\.cloudflaredPath/);
      assert.match(s.error ?? '', /keeps working on this computer/);
    });

    it('names the field when tunnel.cloudflaredPath points at nothing', async () => {
      const s = await failedWithoutBinary((dir) => ({
        cloudflaredPath: join(dir, 'nope', 'cloudflared'),
        env: {},
      }));
      assert.match(s.error ?? '', /tunnel\.cloudflaredPath points at '.*nope\/cloudflared'/);
    });
  });
});
