import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelgate, type Tunnelgate, type TunnelgateOptions } from '../../../main/bootstrap.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { serverMemoryEntry } from '../../helpers/cli-harness.js';

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

  it(
    'the Servers page shows the names the router exposes, also for a name collision',
    { timeout: 60_000 },
    async () => {
      const dir = await sandbox();
      const server = (file: string) => ({
        command: process.execPath,
        args: [serverMemoryEntry()],
        env: { MEMORY_FILE_PATH: join(dir, file) },
        prefix: 'm',
      });
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ mcpServers: { first: server('1.jsonl'), second: server('2.jsonl') } }),
      );
      const tg = await start(dir, { auth: 'none' });
      const control = tg.services.control;
      const deadline = Date.now() + 30_000;
      let views = await control.listServers();
      while (!views.every((v) => v.status === 'ready' && v.tools.length > 0)) {
        assert.ok(Date.now() < deadline, `servers not ready: ${JSON.stringify(views.map((v) => v.status))}`);
        await new Promise((r) => setTimeout(r, 100));
        views = await control.listServers();
      }
      const client = new Client({ name: 'wiring-test', version: '1.0.0' });
      const port = tg.services.gateway() ? (await control.getStatus()).gateway.port : null;
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
      try {
        const exposed = (await client.listTools()).tools.map((t) => t.name);
        const name = (server: string) =>
          views.find((v) => v.name === server)?.tools.find((t) => t.name === 'read_graph')?.exposedName;
        assert.equal(name('first'), 'm__read_graph');
        // The second server's name collides: the router gives it a suffix, and the window shows that one.
        assert.notEqual(name('second'), 'm__read_graph');
        assert.ok(exposed.includes(name('first')!), exposed.join(','));
        assert.ok(exposed.includes(name('second')!), `${name('second')} not in ${exposed.join(',')}`);
      } finally {
        await client.close();
      }
      await stop(tg);
    },
  );
});
