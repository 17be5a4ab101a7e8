import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const MODERN_HEADERS = { 'mcp-protocol-version': '2026-07-28' };

async function v2Client(
  url: URL,
  mode: 'auto' | { pin: string },
  capabilities: Record<string, unknown> = {},
) {
  const client = new Client(
    { name: 'v2-test', version: '1' },
    { capabilities, versionNegotiation: { mode } },
  );
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

test('server/discover answers with the stateless revision, with or without a session', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const r = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: ENVELOPE } },
    MODERN_HEADERS,
  );
  assert.equal(r.status, 200);
  const result = r.body['result'] as Record<string, unknown>;
  assert.deepEqual(result['supportedVersions'], ['2026-07-28']);
  assert.equal(result['resultType'], 'complete');
  assert.equal((result['serverInfo'] as Record<string, unknown>)['name'], 'tunnelgate');
  assert.ok(r.headers.get('mcp-session-id') === null, 'no session in the stateless era');
  const bare = await rawPost(fx.url, { jsonrpc: '2.0', id: 2, method: 'server/discover' });
  assert.equal(bare.status, 200);
});

test('stateless requests: per-request _meta, envelope stripped upstream, resultType and cache hints added', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const list = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } },
    MODERN_HEADERS,
  );
  const result = list.body['result'] as Record<string, unknown>;
  assert.equal(result['resultType'], 'complete');
  assert.equal(result['ttlMs'], 0);
  assert.equal(result['cacheScope'], 'private');
  assert.ok((result['tools'] as unknown[]).length > 5);
  const call = await rawPost(
    fx.url,
    {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'a__echo', arguments: { text: 'm' }, _meta: { ...ENVELOPE, 'openai/x': 1 } },
    },
    MODERN_HEADERS,
  );
  assert.deepEqual((call.body['result'] as Record<string, unknown>)['structuredContent'], { echoed: 'm' });
  const sent = fx.a.sent.find((m) => m['method'] === 'tools/call')!;
  assert.deepEqual(
    (sent['params'] as Record<string, unknown>)['_meta'],
    { 'openai/x': 1 },
    'only the envelope keys are removed',
  );
  const ev = fx.events.find((e) => e.method === 'tools/call')!;
  assert.equal(ev.protocolVersion, '2026-07-28');
  assert.equal(ev.sessionId, undefined);
});

test('v2 client, auto negotiation: picks 2026-07-28; lists, calls, progress, resources', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const client = await v2Client(fx.url, 'auto');
  t.after(() => client.close());
  assert.equal(client.getNegotiatedProtocolVersion?.() ?? '2026-07-28', '2026-07-28');
  const tools = await client.listTools();
  assert.ok(tools.tools.some((x) => x.name === 'b__echo'));
  const r = await client.callTool({ name: 'b__echo', arguments: { text: 'v2' } });
  assert.deepEqual(r.content, [{ type: 'text', text: 'v2' }]);
  const seen: number[] = [];
  const slow = await client.callTool(
    { name: 'a__slow', arguments: { steps: 2, delayMs: 5 } },
    { onprogress: (p: { progress: number }) => seen.push(p.progress) },
  );
  assert.deepEqual(slow.content, [{ type: 'text', text: 'done after 2 steps' }]);
  assert.deepEqual(seen, [1, 2]);
  const res = await client.readResource({ uri: 'test://doc' });
  assert.equal((res.contents[0] as { text: string }).text, 'doc of a');
  assert.equal(fx.gateway.sessionCount, 0, 'no session was created');
  assert.ok(fx.events.some((e) => e.method === 'tools/call' && e.protocolVersion === '2026-07-28'));
});

test('v2 client: sampling and elicitation through input_required round trips', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const client = await v2Client(fx.url, { pin: '2026-07-28' }, { sampling: {}, elicitation: {} });
  t.after(() => client.close());
  client.setRequestHandler('sampling/createMessage', async () => ({
    role: 'assistant',
    model: 'm',
    content: { type: 'text', text: 'v2-model' },
  }));
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { name: 'Vee' },
  }));
  const s = await client.callTool({ name: 'a__sample', arguments: { question: 'q' } });
  assert.deepEqual(s.content, [{ type: 'text', text: 'model said: v2-model' }]);
  const e = await client.callTool({ name: 'b__elicit', arguments: {} });
  assert.deepEqual(e.content, [{ type: 'text', text: 'accept: {"name":"Vee"}' }]);
});

test('modern-era refusals: unsupported version, missing capabilities, header mismatch, initialize', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const bad = await rawPost(fx.url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/list',
    params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } },
  });
  assert.equal(bad.status, 400);
  assert.equal((bad.body['error'] as Record<string, unknown>)['code'], -32022);
  const noCaps = await rawPost(fx.url, {
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/list',
    params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
  });
  assert.equal(noCaps.status, 400);
  assert.match(String((noCaps.body['error'] as Record<string, unknown>)['message']), /clientCapabilities/);
  const mismatch = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: ENVELOPE } },
    { 'mcp-protocol-version': '2025-11-25' },
  );
  assert.equal(mismatch.status, 400);
  const headerOnly = await rawPost(fx.url, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, MODERN_HEADERS);
  assert.equal(headerOnly.status, 400);
  const init = await rawPost(fx.url, {
    jsonrpc: '2.0',
    id: 5,
    method: 'initialize',
    params: { _meta: ENVELOPE },
  });
  assert.equal((init.body['error'] as Record<string, unknown>)['code'], -32601);
  const unknown = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 6, method: 'no/such', params: { _meta: ENVELOPE } },
    MODERN_HEADERS,
  );
  assert.equal((unknown.body['error'] as Record<string, unknown>)['code'], -32601);
});

test('subscriptions/listen: acknowledged filter, then list_changed and resource updates tagged with the subscription id', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const ac = new AbortController();
  t.after(() => ac.abort());
  const res = await fetch(fx.url, {
    method: 'POST',
    signal: ac.signal,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...MODERN_HEADERS,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 'L1',
      method: 'subscriptions/listen',
      params: {
        _meta: ENVELOPE,
        notifications: { toolsListChanged: true, resourceSubscriptions: ['test://doc', 'nope://x'] },
      },
    }),
  });
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  const messages: Record<string, unknown>[] = [];
  let buf = '';
  const next = async (method: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = messages.find((m) => m['method'] === method);
      if (found) return found;
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${method}`);
      buf += new TextDecoder().decode(value);
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const data = buf
          .slice(0, i)
          .split('\n')
          .find((l) => l.startsWith('data: '));
        buf = buf.slice(i + 2);
        if (data) messages.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
      }
    }
  };
  const ack = await next('notifications/subscriptions/acknowledged');
  assert.deepEqual((ack['params'] as Record<string, unknown>)['notifications'], {
    toolsListChanged: true,
    resourceSubscriptions: ['test://doc'],
  });
  await rawPost(
    fx.url,
    {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'a__touch', arguments: {}, _meta: ENVELOPE },
    },
    MODERN_HEADERS,
  );
  const updated = await next('notifications/resources/updated');
  const params = updated['params'] as Record<string, unknown>;
  assert.equal(params['uri'], 'test://doc');
  assert.equal((params['_meta'] as Record<string, unknown>)['io.modelcontextprotocol/subscriptionId'], 'L1');
  fx.b.crash();
  await next('notifications/tools/list_changed');
  assert.ok(
    !messages.some((m) => m['method'] === 'notifications/prompts/list_changed'),
    'prompts were not asked for',
  );
});
