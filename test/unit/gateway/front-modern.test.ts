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
  const meta = result['_meta'] as Record<string, Record<string, unknown>>;
  assert.equal(meta['io.modelcontextprotocol/serverInfo']?.['name'], 'tunnelgate');
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

test('modern-era refusals follow 2026-07-28: -32022, -32602, -32020 (HeaderMismatch) before the version, 404 for removed methods', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  type Err = { code: number; message: string; data?: unknown };
  const post = async (body: Record<string, unknown>, headers: Record<string, string> = MODERN_HEADERS) => {
    const r = await rawPost(fx.url, body, headers);
    return { status: r.status, error: r.body['error'] as Err | undefined, id: r.body['id'] };
  };
  const list = (id: number, meta: Record<string, unknown> = ENVELOPE) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/list',
    params: { _meta: meta },
  });
  const call = (id: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'a__echo', arguments: { text: 'x' }, _meta: ENVELOPE },
  });

  const future = { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' };
  const bad = await post(list(1, future), { 'mcp-protocol-version': '2099-01-01' });
  assert.deepEqual([bad.status, bad.error?.code, bad.id], [400, -32022, 1]);
  assert.deepEqual((bad.error?.data as { supported: string[] }).supported, ['2026-07-28']);

  const noCaps = await post(list(2, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }));
  assert.deepEqual([noCaps.status, noCaps.error?.code], [400, -32602]);
  assert.match(String(noCaps.error?.message), /clientCapabilities/);

  // HeaderMismatch (-32020, 400): a missing or disagreeing mirrored header, judged before the version.
  const refusals: [string, Record<string, unknown>, Record<string, string>, RegExp][] = [
    ['no version header', list(3), {}, /MCP-Protocol-Version header is required/],
    ['version header disagrees', list(4), { 'mcp-protocol-version': '2025-11-25' }, /disagrees/],
    ['future version, header disagrees', list(5, future), MODERN_HEADERS, /disagrees/],
    ['no Mcp-Method', list(6), { ...MODERN_HEADERS, 'mcp-method': '' }, /Mcp-Method header is required/],
    ['Mcp-Method disagrees', list(7), { ...MODERN_HEADERS, 'mcp-method': 'prompts/list' }, /Mcp-Method/],
    ['Mcp-Method in other case', list(8), { ...MODERN_HEADERS, 'mcp-method': 'TOOLS/LIST' }, /Mcp-Method/],
    ['no Mcp-Name', call(9), { ...MODERN_HEADERS, 'mcp-name': '' }, /Mcp-Name header is required/],
    ['Mcp-Name disagrees', call(10), { ...MODERN_HEADERS, 'mcp-name': 'a__other' }, /Mcp-Name/],
  ];
  for (const [what, body, headers, message] of refusals) {
    const r = await post(body, headers);
    assert.deepEqual([r.status, r.error?.code, r.id], [400, -32020, body['id']], what);
    assert.match(String(r.error?.message), message, what);
  }
  // Whitespace around a header value is not part of it (RFC 9110 section 5.5).
  const padded = await post(call(11), { ...MODERN_HEADERS, 'mcp-name': '  a__echo  ' });
  assert.equal(padded.status, 200);
  assert.equal(padded.error, undefined);

  const badLevel = await post({
    jsonrpc: '2.0',
    id: 12,
    method: 'tools/list',
    params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/logLevel': 'loud' } },
  });
  assert.deepEqual([badLevel.status, badLevel.error?.code], [400, -32602]);

  // Removed in 2026-07-28, or never known: 404 with -32601 and the request's id.
  for (const [id, method] of [
    [20, 'initialize'],
    [21, 'ping'],
    [22, 'logging/setLevel'],
    [23, 'resources/subscribe'],
    [24, 'no/such'],
  ] as const) {
    const r = await post({ jsonrpc: '2.0', id, method, params: { _meta: ENVELOPE } });
    assert.deepEqual([r.status, r.error?.code, r.id], [404, -32601, id], method);
  }
  // The same initialize without the envelope and 2026 headers still starts a session (ChatGPT's fallback).
  const legacy = await rawPost(fx.url, {
    jsonrpc: '2.0',
    id: 30,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'old', version: '1' } },
  });
  assert.equal(legacy.status, 200);
  assert.ok(legacy.headers.get('mcp-session-id'));
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
      'mcp-method': 'subscriptions/listen',
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
    // An unlisted URI is offered to each server with subscriptions (as reads are); the test server takes any.
    resourceSubscriptions: ['test://doc', 'nope://x'],
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
