import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelgate, type Tunnelgate, type TunnelgateOptions } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';

/** The seams between bootstrap and the control service, driven in-process with the real services. */
describe('bootstrap wiring: what the control service sees', () => {
  const dirs: string[] = [];
  const running = new Set<Tunnelgate>();
  after(async () => {
    for (const tg of running) await tg.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function sandbox(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'tg-wiring-'));
    dirs.push(dir);
    return dir;
  }

  async function start(dir: string, extra: TunnelgateOptions): Promise<Tunnelgate> {
    const tg = await createTunnelgate({
      configPath: join(dir, 'config.json'),
      dataDir: join(dir, 'data'),
      port: 0,
      tunnel: false,
      secretStore: createMemorySecretStore(),
      platform: { platform: 'linux', env: {}, home: dir },
      log: { info: () => undefined, warn: () => undefined },
      ...extra,
    });
    running.add(tg);
    await tg.start();
    return tg;
  }

  async function stop(tg: Tunnelgate): Promise<void> {
    await tg.stop();
    running.delete(tg);
  }

  it('a --public-url given on the command line is the connector URL', async () => {
    const dir = await sandbox();
    const tg = await start(dir, { auth: 'oauth', publicUrl: 'https://gw.example.net' });
    const status = await tg.services.control.getStatus();
    assert.equal(status.gateway.connectorUrl, 'https://gw.example.net/mcp');
    assert.equal(status.tunnel.phase, 'stopped', 'no tunnel involved');
    await stop(tg);
  });

  it('a public URL different from the last run shows the "URL changed" notice until acknowledged', async () => {
    const dir = await sandbox();
    const first = await start(dir, { auth: 'oauth', publicUrl: 'https://old-words.trycloudflare.com' });
    assert.equal((await first.services.control.getStatus()).urlChanged, undefined);
    await stop(first);

    const second = await start(dir, { auth: 'oauth', publicUrl: 'https://new-words.trycloudflare.com' });
    const control = second.services.control;
    assert.deepEqual((await control.getStatus()).urlChanged, {
      previous: 'https://old-words.trycloudflare.com/mcp',
      current: 'https://new-words.trycloudflare.com/mcp',
    });
    await control.acknowledgeUrlChange();
    assert.equal((await control.getStatus()).urlChanged, undefined);
    await stop(second);
  });

  it('the app’s controlPlatform reaches the control service (Launch at login from Settings)', async () => {
    const dir = await sandbox();
    let atLogin = false;
    const calls: boolean[] = [];
    const tg = await start(dir, {
      auth: 'none',
      controlPlatform: {
        getLaunchAtLogin: () => atLogin,
        setLaunchAtLogin: (enabled) => {
          calls.push(enabled);
          atLogin = enabled;
        },
      },
    });
    const control = tg.services.control;
    assert.equal((await control.getSettings()).launchAtLoginAvailable, true);
    const after = await control.updateSettings({ launchAtLogin: true });
    assert.deepEqual(calls, [true]);
    assert.equal(after.launchAtLogin, true);
    await stop(tg);
  });

  it('without controlPlatform (headless), Launch at login is refused in words', async () => {
    const dir = await sandbox();
    const tg = await start(dir, { auth: 'none' });
    const control = tg.services.control;
    assert.equal((await control.getSettings()).launchAtLoginAvailable, false);
    await assert.rejects(control.updateSettings({ launchAtLogin: true }), /desktop app only/);
    await stop(tg);
  });
});
