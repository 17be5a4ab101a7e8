import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { rawInitialize, rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';

async function sdkClient(url: URL, capabilities: Record<string, unknown> = {}) {
  const client = new Client({ name: 'v1-test', version: '1' }, { capabilities });
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  return { client, transport };
}

test('v1 SDK client (session era): raw tools/list equals the upstream apart from names; calls of each kind', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { sessionId, result } = await rawInitialize(fx.url, '2025-06-18');
  assert.match(sessionId, /^[0-9a-f]{32}$/);
  assert.equal(result['protocolVersion'], '2025-06-18', 'client version echoed when supported');
  const listed = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
  );
  const tools = (listed.body['result'] as { tools: Record<string, unknown>[] }).tools;
  // The in-memory upstream keeps undefined-valued keys that JSON drops; compare as JSON.
  const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
  for (const up of fx.a.tools())
    assert.deepEqual(
      tools.find((x) => x['name'] === `a__${String(up['name'])}`),
      wire({ ...up, name: `a__${String(up['name'])}` }),
    );

  const { client } = await sdkClient(fx.url);
  t.after(() => client.close());
  assert.equal(client.getServerVersion()?.name, 'tunnelgate');
  const echo = await client.callTool({
    name: 'b__echo',
    arguments: { text: 'hello' },
    _meta: { 'openai/locale': 'en' },
  });
  assert.deepEqual(echo.content, [{ type: 'text', text: 'hello' }]);
  assert.deepEqual(echo.structuredContent, { echoed: 'hello' });
  assert.deepEqual((echo._meta as Record<string, unknown>)['requestMeta'], { 'openai/locale': 'en' });
  const prompt = await client.getPrompt({ name: 'a__greet', arguments: { name: 'Bo' } });
  assert.equal(prompt.messages[0]?.content.type === 'text' && prompt.messages[0].content.text, 'Hello Bo');
  const res = await client.readResource({ uri: 'ui://widget/echo.html' });
  assert.equal(res.contents[0]?.mimeType, 'text/html;profile=mcp-app');
  assert.deepEqual(await client.ping(), {});
  const done = fx.events.filter((e) => e.kind === 'request' && e.method === 'tools/call');
  assert.ok(
    done.some(
      (e) =>
        e.target === 'b__echo' &&
        e.upstream === 'b' &&
        e.outcome === 'ok' &&
        (e.responseBytes ?? 0) > 0 &&
        (e.requestBytes ?? 0) > 0,
    ),
  );
});

test('progress streams over SSE; cancellation aborts the upstream call', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { client } = await sdkClient(fx.url);
  t.after(() => client.close());
  const seen: number[] = [];
  const r = await client.callTool({ name: 'a__slow', arguments: { steps: 3, delayMs: 5 } }, undefined, {
    onprogress: (p) => seen.push(p.progress),
  });
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(r.content, [{ type: 'text', text: 'done after 3 steps' }]);

  const ac = new AbortController();
  const since = fx.a.sent.length;
  const call = client.callTool({ name: 'a__slow', arguments: { steps: 200, delayMs: 10 } }, undefined, {
    signal: ac.signal,
    onprogress: () => {},
  });
  await fx.a.requested('tools/call', since);
  ac.abort();
  await assert.rejects(call);
  for (let i = 0; i < 50 && !fx.a.sent.some((m) => m['method'] === 'notifications/cancelled'); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    fx.a.sent.some((m) => m['method'] === 'notifications/cancelled'),
    'upstream got notifications/cancelled',
  );
  assert.ok(fx.events.some((e) => e.method === 'tools/call' && e.outcome === 'cancelled'));
});

test('sampling and elicitation round trips reach the calling client', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { client } = await sdkClient(fx.url, { sampling: {}, elicitation: {} });
  t.after(() => client.close());
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
    role: 'assistant',
    model: 'test-model',
    content: {
      type: 'text',
      text: `echo:${JSON.stringify(req.params.messages[0]?.content).match(/"text":"([^"]*)"/)?.[1] ?? ''}`,
    },
  }));
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Zoe' } }));
  const s = await client.callTool({ name: 'a__sample', arguments: { question: 'why' } });
  assert.deepEqual(s.content, [{ type: 'text', text: 'model said: echo:why' }]);
  const e = await client.callTool({ name: 'b__elicit', arguments: {} });
  assert.deepEqual(e.content, [{ type: 'text', text: 'accept: {"name":"Zoe"}' }]);

  const { client: plain } = await sdkClient(fx.url);
  t.after(() => plain.close());
  const refused = await plain
    .callTool({ name: 'a__sample', arguments: { question: 'q' } })
    .catch((err: Error) => err);
  assert.match(
    String(refused instanceof Error ? refused.message : JSON.stringify(refused)),
    /did not declare the 'sampling' capability/,
  );
});

test('resource updates and list_changed reach the session; a log message rides its own call', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { client } = await sdkClient(fx.url);
  t.after(() => client.close());
  const got: string[] = [];
  client.setNotificationHandler(
    ResourceUpdatedNotificationSchema,
    (n) => void got.push(`updated ${n.params.uri}`),
  );
  client.setNotificationHandler(
    LoggingMessageNotificationSchema,
    (n) => void got.push(`log ${String(n.params.data)}`),
  );
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void got.push('tools changed'));
  await client.subscribeResource({ uri: 'test://doc' });
  await client.setLoggingLevel('info');
  await client.callTool({ name: 'a__touch', arguments: {} });
  for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(got.includes('updated test://doc'), got.join());
  assert.ok(got.includes('log touched'), got.join());
  fx.b.crash();
  for (let i = 0; i < 100 && !got.includes('tools changed'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(got.includes('tools changed'));
  const tools = await client.listTools();
  assert.ok(tools.tools.every((x) => !x.name.startsWith('b__')));
  const down = await client
    .callTool({ name: 'b__echo', arguments: { text: 'x' } })
    .catch((err: Error) => err);
  assert.match(String(down instanceof Error ? down.message : ''), /Upstream 'b' is restarting/);
});

test('notifications/cancelled alone (connection kept open) aborts the upstream call and answers the request', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url);
  const h = { 'mcp-session-id': sessionId };
  const since = fx.a.sent.length;
  const call = rawPost(
    fx.url,
    {
      jsonrpc: '2.0',
      id: 'slow-1',
      method: 'tools/call',
      params: { name: 'a__slow', arguments: { steps: 500, delayMs: 10 } },
    },
    h,
  );
  await fx.a.requested('tools/call', since);
  const note = await rawPost(
    fx.url,
    { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow-1', reason: 'user' } },
    h,
  );
  assert.equal(note.status, 202);
  const answered = await call;
  assert.equal(answered.status, 200);
  assert.ok(
    (answered.body['error'] as Record<string, unknown> | undefined) !== undefined,
    'the cancelled request gets an error answer, not a hang',
  );
  assert.ok(fx.a.sent.some((m) => m['method'] === 'notifications/cancelled'));
});
