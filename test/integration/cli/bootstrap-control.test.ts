import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createTunnelgate, type Tunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { descendants, isAlive, serverMemoryEntry } from '../../helpers/cli-harness.js';
import { waitUntil } from '../../helpers/wait.js';

async function until(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  await waitUntil(check, what, { timeoutMs: ms });
}

describe('bootstrap: control-service edits reach the file, the upstreams and the clients', () => {
  let dir: string | undefined;
  let tg: Tunnelgate | undefined;
  let client: Client | undefined;
  after(async () => {
    await client?.close().catch(() => undefined);
    await tg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saveServer, setToolEnabled, setServerEnabled and removeServer; stop leaves no child', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-boot-'));
    const configPath = join(dir, 'config.json');
    const lines: string[] = [];
    tg = await createTunnelgate({
      configPath,
      dataDir: join(dir, 'data'),
      port: 0,
      tunnel: false,
      auth: 'none',
      secretStore: createMemorySecretStore(),
      platform: { platform: 'linux', env: {}, home: dir },
      log: { info: (l) => lines.push(l), warn: (l) => lines.push(`warn: ${l}`) },
    });
    const info = await tg.start();
    assert.equal(info.demo, true);
    assert.match(info.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    client = new Client({ name: 'boot-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(info.endpoint)));
    const tools = async (): Promise<string[]> => (await client!.listTools()).tools.map((t) => t.name);
    assert.ok((await tools()).includes('demo__echo'));

    const control = tg.services.control;
    await control.saveServer('mem', {
      command: process.execPath,
      args: [serverMemoryEntry()],
      env: { MEMORY_FILE_PATH: join(dir, 'm.jsonl') },
    });
    assert.equal((await stat(configPath)).mode & 0o777, 0o600);
    // The file now exists, so the demo server gives way to the configured one.
    await until(async () => (await tools()).includes('mem__read_graph'), 'mem tools');
    await until(async () => !(await tools()).includes('demo__echo'), 'the demo server to go');
    const view = (await control.listServers()).find((s) => s.name === 'mem');
    assert.equal(view?.status, 'ready');
    assert.ok((view?.toolCount ?? 0) > 0);
    assert.equal(view?.tools.find((t) => t.name === 'read_graph')?.exposedName, 'mem__read_graph');

    await control.setToolEnabled('mem', 'read_graph', false);
    assert.deepEqual(JSON.parse(await readFile(configPath, 'utf8')).mcpServers.mem.tools, {
      deny: ['read_graph'],
    });
    await until(async () => !(await tools()).includes('mem__read_graph'), 'read_graph hidden');
    await until(
      async () => (await tools()).includes('mem__create_entities'),
      'the other mem tools (a filter change may restart the server)',
    );

    const pids = descendants(process.pid).filter((p) => p === tg!.services.upstreams.get('mem')?.pid);
    assert.equal(pids.length, 1, 'the stdio upstream runs as our child');
    await control.setServerEnabled('mem', false);
    await until(async () => (await tools()).every((n) => !n.startsWith('mem__')), 'mem disabled');
    await until(async () => !isAlive(pids[0]!), 'the disabled server process to exit');

    await control.setServerEnabled('mem', true);
    await until(async () => (await tools()).includes('mem__create_entities'), 'mem enabled again');
    const pid = tg.services.upstreams.get('mem')?.pid;
    await control.removeServer('mem');
    await until(async () => (await tools()).length === 0, 'mem removed');
    assert.deepEqual(JSON.parse(await readFile(configPath, 'utf8')).mcpServers, {});

    await control.saveServer('again', {
      command: process.execPath,
      args: [serverMemoryEntry()],
      env: { MEMORY_FILE_PATH: join(dir, 'n.jsonl') },
    });
    await until(async () => (await tools()).includes('again__read_graph'), 'second server');
    const lastPid = tg.services.upstreams.get('again')?.pid;
    await client.close();
    client = undefined;
    const t0 = Date.now();
    await tg.stop();
    assert.ok(Date.now() - t0 < 5000);
    tg = undefined;
    for (const p of [pid, lastPid]) if (p) assert.equal(isAlive(p), false, `upstream ${p} outlived stop()`);
    assert.ok(
      lines.some((l) => l.startsWith('Config reloaded from')),
      lines.join('\n'),
    );
  });
});
