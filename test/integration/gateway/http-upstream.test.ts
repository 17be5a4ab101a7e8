import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway } from '../../../main/gateway/index.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';

const everything = join(
  resolve(import.meta.dirname, '../../..'),
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

async function startHttpEverything(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [everything, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((ok, fail) => {
    const t = setTimeout(
      () => fail(new Error('server-everything (streamableHttp) did not start within 20 s')),
      20_000,
    );
    child.stderr!.on('data', (d: Buffer) => {
      if (/listening|running/i.test(String(d))) {
        clearTimeout(t);
        ok();
      }
    });
    child.once('exit', (code) => fail(new Error(`server-everything exited with ${code}`)));
  });
  child.stderr!.resume();
  return child;
}

describe('gateway over server-everything on Streamable HTTP; hot reload', { timeout: 90_000 }, () => {
  let child: ChildProcess;
  let servers: Record<string, ServerConfig>;
  const manager = createUpstreamManager({});
  let gateway: ReturnType<typeof createGateway>;
  let client: Client;

  before(async () => {
    const port = await freePort();
    child = await startHttpEverything(port);
    servers = { remote: { type: 'http', url: `http://127.0.0.1:${port}/mcp` } };
    await manager.apply(servers);
    gateway = createGateway({ upstreams: manager, servers });
    const { port: gwPort } = await gateway.listen(0);
    client = new Client({ name: 'it-http', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gwPort}/mcp`)));
  });
  after(async () => {
    await client?.close();
    await gateway?.close();
    await manager.close();
    child?.kill('SIGKILL');
  });

  test('calls and progress through a remote upstream', async () => {
    assert.equal(manager.get('remote')?.state().status, 'ready', manager.get('remote')?.state().error);
    const sum = await client.callTool({ name: 'remote__get-sum', arguments: { a: 40, b: 2 } });
    assert.match(JSON.stringify(sum.content), /42/);
    const seen: number[] = [];
    await client.callTool(
      { name: 'remote__trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } },
      undefined,
      { onprogress: (p) => seen.push(p.progress) },
    );
    assert.deepEqual(seen, [1, 2]);
  });

  test('hot reload: a new prefix and a tool filter reach connected clients with list_changed', async () => {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    const next: Record<string, ServerConfig> = {
      remote: { ...servers['remote']!, prefix: 'ev', tools: { allow: ['get-*', 'echo'] } },
    };
    gateway.setServers(next);
    const end = Date.now() + 5000;
    while (changed === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(changed > 0, 'tools/list_changed arrived');
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.ok(names.includes('ev__echo') && names.includes('ev__get-sum'));
    assert.ok(
      names.every((n) => n === 'ev__echo' || n.startsWith('ev__get-')),
      names.join(),
    );
  });
});
