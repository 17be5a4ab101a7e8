import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { freePort, startEverything } from '../upstream/helpers.js';

describe('gateway over server-everything on Streamable HTTP; hot reload', { timeout: 90_000 }, () => {
  let everything: Awaited<ReturnType<typeof startEverything>> | undefined;
  let servers: Record<string, ServerConfig>;
  const manager = createUpstreamManager({});
  let gateway: ReturnType<typeof createGateway>;
  let client: Client;

  before(async () => {
    const port = await freePort();
    everything = await startEverything('streamableHttp', port);
    servers = { remote: { type: 'http', url: everything.url } };
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
    await everything?.stop();
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
