import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
} from '@modelcontextprotocol/client';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager, RELAY_CAPABILITIES } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { directStdio } from '../../helpers/mcp-direct.js';
import { rawInitialize, rawPost } from '../../helpers/mcp-gateway-fixture.js';
import { waitForValue } from '../../helpers/wait.js';

const root = resolve(import.meta.dirname, '../../..');
const pkg = (name: string, file = 'dist/index.js'): string =>
  join(root, 'node_modules/@modelcontextprotocol', name, file);
const node = process.execPath;
type Raw = Record<string, unknown>;

async function until<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  ms: number,
  what: string,
): Promise<T> {
  return waitForValue(fn, what, { timeoutMs: ms });
}

describe('gateway over real upstream servers (stdio + Streamable HTTP)', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-gw-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello from disk');
  const servers: Record<string, ServerConfig> = {
    everything: { command: node, args: [pkg('server-everything'), 'stdio'] },
    memory: {
      command: node,
      args: [pkg('server-memory')],
      env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
    },
    fs: { command: node, args: [pkg('server-filesystem'), dir] },
    apps: { command: node, args: [pkg('server-basic-react'), '--stdio'], prefix: '' },
  };
  const manager = createUpstreamManager({});
  const gateway = createGateway({ upstreams: manager, servers, callTimeoutMs: 30_000 });
  let url: URL;
  let client: Client;

  before(async () => {
    await manager.apply(servers);
    const { port } = await gateway.listen(0);
    url = new URL(`http://127.0.0.1:${port}/mcp`);
    client = new Client({ name: 'it', version: '1' }, { capabilities: { sampling: {}, elicitation: {} } });
    await client.connect(new StreamableHTTPClientTransport(url));
  });
  after(async () => {
    await client?.close();
    await gateway.close();
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every upstream is ready and merged under its prefix', async () => {
    for (const s of manager.states()) assert.equal(s.status, 'ready', `${s.name}: ${s.error ?? ''}`);
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const n of ['everything__echo', 'memory__read_graph', 'fs__list_directory'])
      assert.ok(names.includes(n), n);
    assert.ok(names.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n)));
  });

  test('raw tools/list equals a direct connection apart from names (everything, MCP Apps server)', async () => {
    const { sessionId } = await rawInitialize(url);
    const list = async (): Promise<Raw[]> =>
      (
        (await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': sessionId }))
          .body['result'] as { tools: Raw[] }
      ).tools;
    for (const [name, prefix, args] of [
      ['everything', 'everything__', [pkg('server-everything'), 'stdio']],
      ['apps', '', [pkg('server-basic-react'), '--stdio']],
    ] as const) {
      const direct = await directStdio(node, [...args], RELAY_CAPABILITIES);
      try {
        // Conditional tools arrive after initialized (list_changed): wait until both sides agree on the count.
        const directTools = await until(
          async () => {
            // A tool that can only run as a task is hidden by the gateway, which refuses tasks.
            const d = ((await direct.request('tools/list')) as { tools: Raw[] }).tools.filter(
              (t) => (t['execution'] as Raw | undefined)?.['taskSupport'] !== 'required',
            );
            const g = (await list()).filter(
              (t) =>
                String(t['name']).startsWith(prefix) && (prefix !== '' || !String(t['name']).includes('__')),
            );
            return d.length === g.length ? d : undefined;
          },
          15_000,
          `${name} tool lists to settle`,
        );
        const viaGateway = await list();
        for (const t of directTools) {
          const exposed = `${prefix}${String(t['name'])}`;
          // Same bytes, key order included: only the name differs.
          assert.equal(
            JSON.stringify(viaGateway.find((x) => x['name'] === exposed)),
            JSON.stringify({ ...t, name: exposed }),
            exposed,
          );
        }
        if (name === 'apps') {
          const tool = directTools[0]!;
          assert.ok(tool['_meta'] !== undefined, 'MCP Apps tool carries _meta');
          const uri = JSON.stringify(tool['_meta']).match(/ui:\/\/[^"]+/)?.[0];
          assert.ok(uri, 'tool _meta names a ui:// resource');
          const d = await direct.request('resources/read', { uri });
          const g = await rawPost(
            url,
            { jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri } },
            { 'mcp-session-id': sessionId },
          );
          assert.equal(JSON.stringify(g.body['result']), JSON.stringify(d), 'ui:// resource byte-for-byte');
        }
      } finally {
        await direct.close();
      }
    }
  });

  test('a call of each kind: echo, memory graph, filesystem read, prompt, resource', async () => {
    const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'hi there' } });
    assert.match(JSON.stringify(echo.content), /hi there/);
    await client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'Tunnelgate', entityType: 'app', observations: ['merges servers'] }] },
    });
    const graph = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    assert.match(JSON.stringify(graph), /merges servers/);
    const file = await client.callTool({
      name: 'fs__read_text_file',
      arguments: { path: join(dir, 'hello.txt') },
    });
    assert.match(JSON.stringify(file.content), /hello from disk/);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    assert.ok(prompts.some((p) => p.startsWith('everything__')));
    const resources = (await client.listResources()).resources;
    const first = resources.find((r) => r.uri.startsWith('demo://'));
    assert.ok(first);
    const read = await client.readResource({ uri: first.uri });
    assert.equal(read.contents[0]?.uri, first.uri);
  });

  test('progress, sampling and elicitation relay through the gateway', async () => {
    const seen: number[] = [];
    const r = await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
      undefined,
      { onprogress: (p) => seen.push(p.progress) },
    );
    assert.deepEqual(seen, [1, 2, 3]);
    assert.match(JSON.stringify(r.content), /completed/);
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'stub',
      content: { type: 'text', text: 'sampled-answer' },
    }));
    const s = await client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'hello', maxTokens: 10 },
    });
    assert.match(JSON.stringify(s.content), /sampled-answer/);
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
    const e = await client.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
    assert.match(JSON.stringify(e.content), /decline/i);
  });

  test('v2 client in the stateless era calls a real upstream', async () => {
    const v2 = new V2Client({ name: 'v2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
    await v2.connect(new V2Transport(url));
    try {
      const tools = await v2.listTools();
      assert.ok(tools.tools.some((t) => t.name === 'everything__get-sum'));
      const sum = await v2.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } });
      assert.match(JSON.stringify(sum.content), /5/);
    } finally {
      await v2.close();
    }
  });

  test('resource subscription: updates from server-everything reach the subscribed session', async () => {
    const got: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void got.push(n.params.uri));
    const uri = (await client.listResources()).resources.find((r) => r.uri.startsWith('demo://'))!.uri;
    await client.subscribeResource({ uri });
    await client.callTool({ name: 'everything__toggle-subscriber-updates', arguments: {} });
    await until(() => (got.includes(uri) ? true : undefined), 15_000, 'resources/updated');
    await client.unsubscribeResource({ uri });
  });

  test('killing an upstream mid-call: the call fails with an error naming it, others keep serving', async () => {
    const pid = manager.get('everything')!.pid!;
    // The first progress notification proves the call is running upstream when the kill lands.
    let progressed!: () => void;
    const inFlight = new Promise<void>((r) => (progressed = r));
    const call = client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 20, steps: 200 } },
      undefined,
      { onprogress: () => progressed() },
    );
    // (If the call ends first, the assertions below say so instead of this wait hanging.)
    await Promise.race([
      inFlight,
      call.then(
        () => {},
        () => {},
      ),
    ]);
    process.kill(pid, 'SIGKILL');
    const err = await call.then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err instanceof Error, 'the call failed instead of hanging');
    assert.match(err.message, /everything/);
    const other = await client.callTool({ name: 'memory__read_graph', arguments: {} });
    assert.match(JSON.stringify(other), /Tunnelgate/);
    await until(
      () => (manager.get('everything')!.state().status === 'ready' ? true : undefined),
      30_000,
      'everything to restart',
    );
    const back = await until(
      async () => {
        const r = await client
          .callTool({ name: 'everything__echo', arguments: { message: 'back' } })
          .catch(() => undefined);
        return r;
      },
      10_000,
      'everything to answer again',
    );
    assert.match(JSON.stringify(back.content), /back/);
  });
});
