// The gateway speaks 2026-07-28 to an upstream that offers it (server/discover), relays 2026 requests
// to it natively, and keeps the session era for session-era clients and for upstreams that only
// speak that era. Upstream: the SDK v2 server that speaks both eras (test/fixtures/upstream/
// conformance-server.ts); session-only upstream: server-everything over stdio.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { MODERN_ONLY_TOOL, startConformanceServer } from '../../fixtures/upstream/conformance-server.js';
import { rawInitialize, rawPost } from '../../helpers/mcp-gateway-fixture.js';
import { waitUntil } from '../../helpers/wait.js';

type Raw = Record<string, unknown>;
const everything = join(
  resolve(import.meta.dirname, '../../..'),
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

const MODERN = { 'mcp-protocol-version': '2026-07-28' };
function envelope(extra: Raw = {}): Raw {
  return {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'modern-client', version: '7' },
    'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
    ...extra,
  };
}
const modernPost = (url: string, id: number, method: string, params: Raw = {}, meta: Raw = {}) =>
  rawPost(url, { jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope(meta) } }, MODERN);
/** The JSON-RPC answer of a POST answered as JSON or as an SSE stream. */
const answerOf = (body: unknown): Raw =>
  (Array.isArray(body) ? (body as Raw[]).find((m) => 'id' in m && !('method' in m)) : body) as Raw;
const toolNames = (r: Raw): string[] =>
  ((r['result'] as Raw)['tools'] as Raw[]).map((t) => String(t['name'])).sort();

describe('a 2026-07-28 upstream through the gateway', { timeout: 120_000 }, () => {
  let upstream: Awaited<ReturnType<typeof startConformanceServer>>;
  let manager: ReturnType<typeof createUpstreamManager>;
  let gateway: ReturnType<typeof createGateway>;
  let url: string;

  before(async () => {
    upstream = await startConformanceServer();
    const servers: Record<string, ServerConfig> = {
      dual: { url: upstream.url, prefix: '' },
      everything: { command: process.execPath, args: [everything, 'stdio'] },
    };
    manager = createUpstreamManager({});
    gateway = createGateway({ upstreams: manager, servers, callTimeoutMs: 30_000 });
    await manager.apply(servers);
    url = `http://127.0.0.1:${(await gateway.listen(0)).port}/mcp`;
  });
  after(async () => {
    await gateway?.close();
    await manager?.close();
    await upstream?.close();
  });

  test('probes with server/discover first, once per address, and keeps a session for session-era clients', async () => {
    const first = upstream.received[0]!;
    assert.equal(first.method, 'server/discover');
    assert.equal(first.era, 'modern');
    assert.equal(first.headers['mcp-method'], 'server/discover');
    assert.equal(first.meta?.['io.modelcontextprotocol/protocolVersion'], '2026-07-28');
    const methods = upstream.received.map((r) => `${r.era} ${r.method}`);
    assert.ok(methods.includes('legacy initialize'), methods.join(', '));
    assert.ok(methods.includes('modern tools/list'), methods.join(', '));
    assert.equal(manager.get('dual')!.state().protocolVersion, '2026-07-28');
    // A restart asks no second time: the manager keeps the answer.
    await manager.restart('dual');
    assert.equal(manager.get('dual')!.state().status, 'ready');
    assert.equal(upstream.received.filter((r) => r.method === 'server/discover').length, 1);
  });

  test('a tool the upstream lists only to 2026 clients: a 2026 client sees it, a session client does not', async () => {
    const modern = toolNames(answerOf((await modernPost(url, 1, 'tools/list')).body));
    assert.ok(modern.includes(MODERN_ONLY_TOOL), modern.join(', '));
    assert.ok(modern.includes('everything__echo'), 'the session-only upstream is there too');
    const { sessionId } = await rawInitialize(url);
    const session = await rawPost(
      url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    );
    const legacy = toolNames(answerOf(session.body));
    assert.ok(!legacy.includes(MODERN_ONLY_TOOL), legacy.join(', '));
    assert.ok(legacy.includes('test_simple_text'));
  });

  test('input_required and its retry round-trip unchanged', async () => {
    const call = { name: MODERN_ONLY_TOOL, arguments: { action: 'deploy' } };
    const direct = answerOf((await modernPost(upstream.url, 1, 'tools/call', call)).body);
    const via = answerOf((await modernPost(url, 1, 'tools/call', call)).body);
    const result = via['result'] as Raw;
    assert.equal(result['resultType'], 'input_required');
    assert.equal(result['requestState'], 'state-for-deploy');
    assert.deepEqual(result, direct['result'], "the upstream's input_required, as the upstream sent it");
    const retry = {
      ...call,
      inputResponses: { confirm: { action: 'accept', content: { confirm: true } } },
      requestState: result['requestState'],
    };
    const done = answerOf((await modernPost(url, 2, 'tools/call', retry)).body);
    assert.deepEqual((done['result'] as Raw)['content'], [{ type: 'text', text: 'deploy: confirm=true' }]);
    const sent = upstream.received.filter((r) => r.method === 'tools/call').at(-1)!;
    assert.equal(sent.params?.['requestState'], 'state-for-deploy');
    assert.deepEqual(sent.params?.['inputResponses'], retry.inputResponses);
  });

  test("the per-request _meta reaches the upstream: the client's info, capabilities and log level", async () => {
    const r = await modernPost(
      url,
      3,
      'tools/call',
      { name: 'test_tool_with_logging', arguments: {} },
      {
        'io.modelcontextprotocol/logLevel': 'info',
      },
    );
    const sent = upstream.received.filter((p) => p.method === 'tools/call').at(-1)!;
    assert.equal(sent.era, 'modern');
    assert.equal(sent.headers['mcp-name'], 'test_tool_with_logging');
    assert.equal(sent.meta?.['io.modelcontextprotocol/logLevel'], 'info');
    assert.deepEqual(sent.meta?.['io.modelcontextprotocol/clientInfo'], {
      name: 'modern-client',
      version: '7',
    });
    assert.deepEqual(sent.meta?.['io.modelcontextprotocol/clientCapabilities'], {
      elicitation: { form: {} },
    });
    const logs = (r.body as unknown as Raw[]).filter((m) => m['method'] === 'notifications/message');
    assert.equal(logs.length, 3, r.text);
  });

  test('data.uri on resource-not-found passes through as the upstream says it', async () => {
    const params = { uri: 'test://no-such-resource' };
    const direct = answerOf((await modernPost(upstream.url, 4, 'resources/read', params)).body);
    const via = answerOf((await modernPost(url, 4, 'resources/read', params)).body);
    assert.deepEqual(via['error'], direct['error']);
    assert.deepEqual((via['error'] as Raw)['data'], { uri: 'test://no-such-resource' });
  });

  test('subscriptions/listen through the gateway: a tool added upstream is announced', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...MODERN,
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 9,
        method: 'subscriptions/listen',
        params: { notifications: { toolsListChanged: true }, _meta: envelope() },
      }),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let seen = '';
    const read = async (): Promise<void> => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += Buffer.from(value).toString('utf8');
      }
    };
    void read().catch(() => {});
    await waitUntil(() => seen.includes('notifications/subscriptions/acknowledged'), 'the acknowledgement');
    upstream.addModernTool('test_added_later');
    await waitUntil(() => seen.includes('notifications/tools/list_changed'), 'list_changed', {
      detail: () => seen,
    });
    await reader.cancel();
    const modern = toolNames(answerOf((await modernPost(url, 10, 'tools/list')).body));
    assert.ok(modern.includes('test_added_later'), modern.join(', '));
  });

  test('a session-only upstream (server-everything over stdio) still serves 2026 clients', async () => {
    const r = answerOf(
      (await modernPost(url, 11, 'tools/call', { name: 'everything__echo', arguments: { message: 'hi' } }))
        .body,
    );
    assert.match(JSON.stringify(r['result']), /Echo: hi/);
    assert.equal(manager.get('everything')!.state().protocolVersion, '2025-11-25');
  });
});

describe('a 2026-07-28-only upstream and a session-era client', { timeout: 60_000 }, () => {
  test('the gateway carries the call in 2026-07-28 and asks the client for the input itself', async (t) => {
    const upstream = await startConformanceServer(0, { modernOnly: true });
    const servers: Record<string, ServerConfig> = { only: { url: upstream.url, prefix: '' } };
    const manager = createUpstreamManager({});
    const gateway = createGateway({ upstreams: manager, servers, callTimeoutMs: 30_000 });
    const client = new Client(
      { name: 'session-client', version: '1' },
      { capabilities: { elicitation: {} } },
    );
    t.after(async () => {
      await client.close();
      await gateway.close();
      await manager.close();
      await upstream.close();
    });
    await manager.apply(servers);
    assert.equal(manager.get('only')!.state().status, 'ready');
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return { action: 'accept', content: { confirm: true } };
    });
    const port = (await gateway.listen(0)).port;
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
    const { tools } = await client.listTools();
    assert.ok(
      tools.some((tool) => tool.name === MODERN_ONLY_TOOL),
      'the only lists it has are its 2026-07-28 ones',
    );
    const result = await client.callTool({ name: MODERN_ONLY_TOOL, arguments: { action: 'ship' } });
    assert.deepEqual(result.content, [{ type: 'text', text: 'ship: confirm=true' }]);
    assert.deepEqual(asked, ['Really ship?']);
    const calls = upstream.received.filter((r) => r.method === 'tools/call');
    assert.deepEqual(
      calls.map((c) => [c.era, c.params?.['requestState'] ?? null]),
      [
        ['modern', null],
        ['modern', 'state-for-ship'],
      ],
    );
    assert.deepEqual(calls[1]!.params?.['inputResponses'], {
      confirm: { action: 'accept', content: { confirm: true } },
    });
  });
});
