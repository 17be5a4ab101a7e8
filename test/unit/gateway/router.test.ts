import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActivityEvent } from '../../../main/activity/types.js';
import type { Principal } from '../../../main/auth/types.js';
import { createRouter } from '../../../main/gateway/router/router.js';
import type { NotificationListener, RouteContext } from '../../../main/gateway/router/types.js';
import { UpstreamError } from '../../../main/gateway/upstream/types.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';
import { FakeUpstream, FakeUpstreamSource } from '../../helpers/mcp-fake-upstream.js';
import { waitUntil } from '../../helpers/wait.js';
import { buildTestServer } from '../../helpers/mcp-test-server.js';

const local: Principal = { kind: 'local', scopes: ['mcp:full'] };
const readOnly: Principal = { kind: 'oauth', clientId: 'c1', scopes: ['mcp:read'] };

function ctx(principal: Principal = local, extra: Partial<RouteContext> = {}): RouteContext {
  return {
    client: { protocolVersion: '2025-11-25', principal, capabilities: {}, sessionId: 's1' },
    signal: new AbortController().signal,
    notify: () => {},
    ask: () => Promise.reject(new Error('no ask')),
    ...extra,
  };
}

async function setup(servers: Record<string, RawObject> = {}) {
  const source = new FakeUpstreamSource();
  const a = await new FakeUpstream('a', () => buildTestServer('a')).start();
  const b = await new FakeUpstream('b', () => buildTestServer('b')).start();
  source.add(a);
  source.add(b);
  const events: Omit<ActivityEvent, 'id'>[] = [];
  const router = createRouter({
    upstreams: source,
    servers: servers as never,
    activity: { record: (e) => events.push(e) },
  });
  return { source, a, b, router, events };
}

test('merged tools are prefixed, raw objects keep every field except name', async () => {
  const { a, router } = await setup();
  const { tools } = (await router.request('tools/list', {}, ctx())) as { tools: RawObject[] };
  const names = tools.map((t) => t['name']);
  assert.ok(names.includes('a__echo') && names.includes('b__echo') && names.includes('a__slow'));
  const exposed = tools.find((t) => t['name'] === 'a__echo')!;
  const original = a.tools().find((t) => t['name'] === 'echo')!;
  assert.deepEqual({ ...exposed, name: 'echo' }, original);
  assert.deepEqual(exposed['_meta'], {
    'openai/outputTemplate': 'ui://widget/echo.html',
    'openai/widgetAccessible': true,
    custom: { nested: [1, 2] },
  });
  router.close();
});

test('tools/call goes to the owner with the upstream name; arguments, _meta and result pass unchanged', async () => {
  const { b, router } = await setup();
  const r = await router.request(
    'tools/call',
    { name: 'b__echo', arguments: { text: 'hi' }, _meta: { 'openai/subject': 'x' } },
    ctx(),
  );
  assert.deepEqual(r['content'], [{ type: 'text', text: 'hi' }]);
  assert.deepEqual(r['structuredContent'], { echoed: 'hi' });
  assert.deepEqual((r['_meta'] as RawObject)['openai/widgetState'], { seen: 'hi' });
  assert.deepEqual((r['_meta'] as RawObject)['requestMeta'], { 'openai/subject': 'x' });
  const call = b.sent.find((m) => m['method'] === 'tools/call')!;
  assert.deepEqual(call['params'], {
    name: 'echo',
    arguments: { text: 'hi' },
    _meta: { 'openai/subject': 'x' },
  });
  router.close();
});

test('prefix "" exposes bare names; a collision keeps the first server and renames the later one', async () => {
  const { router, events } = await setup({
    a: { command: 'x', prefix: '' },
    b: { command: 'x', prefix: '' },
  });
  const { tools } = (await router.request('tools/list', {}, ctx())) as { tools: RawObject[] };
  const names = tools.map((t) => String(t['name']));
  assert.ok(names.includes('echo'));
  const renamed = names.filter((n) => /^echo_[0-9a-f]{8}$/.test(n));
  assert.equal(renamed.length, 1);
  assert.equal(new Set(names).size, names.length, 'names are unique');
  const r = await router.request('tools/call', { name: 'echo', arguments: { text: 'first' } }, ctx());
  assert.deepEqual(r['content'], [{ type: 'text', text: 'first' }]);
  assert.match(router.warnings().get('b')!.join('\n'), /already used by server 'a'/);
  assert.equal(router.exposedToolName('a', 'echo'), 'echo');
  assert.match(router.exposedToolName('b', 'echo') ?? '', /^echo_[0-9a-f]{8}$/);
  assert.equal(router.exposedToolName('b', 'nope'), undefined);
  await new Promise((r) => setImmediate(r));
  assert.ok(
    events.some(
      (e) =>
        e.kind === 'system' &&
        e.upstream === 'b' &&
        e.outcome === 'note' &&
        /already used/.test(e.error?.message ?? ''),
    ),
    'the renaming is logged as a note, not an error: every client still gets its list',
  );
  router.close();
});

test('a server request outside any client call is refused to the upstream and logged as a note', async () => {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  let server: InstanceType<typeof McpServer> | undefined;
  const source = new FakeUpstreamSource();
  const r = await new FakeUpstream('r', () => {
    server = new McpServer({ name: 'r', version: '1' }, { capabilities: { tools: {} } });
    return server;
  }).start();
  source.add(r);
  const events: Omit<ActivityEvent, 'id'>[] = [];
  const router = createRouter({ upstreams: source, activity: { record: (e) => events.push(e) } });
  // server-everything asks roots/list on its own once initialized, with no client call in flight.
  const err = await server!.server.listRoots().catch((e: Error) => e);
  assert.ok(err instanceof Error);
  assert.match(err.message, /outside any client call/);
  const logged = events.find((e) => e.kind === 'server-request' && e.method === 'roots/list');
  assert.equal(logged?.outcome, 'note');
  assert.equal(logged?.upstream, 'r');
  assert.match(logged?.error?.message ?? '', /no client to answer it; the gateway answered it with an error/);
  router.close();
});

test('allow/deny filter and read-only scope', async () => {
  const { router } = await setup({
    a: { command: 'x', tools: { allow: ['echo', 'write', 'slow'], deny: ['slow'], readOnly: ['write'] } },
    b: { command: 'x', tools: { allow: ['nothing'] } },
  });
  const full = ((await router.request('tools/list', {}, ctx())) as { tools: RawObject[] }).tools.map(
    (t) => t['name'],
  );
  assert.deepEqual(full.sort(), ['a__echo', 'a__write']);
  const { router: r2 } = await setup();
  const ro = ((await r2.request('tools/list', {}, ctx(readOnly))) as { tools: RawObject[] }).tools.map(
    (t) => t['name'],
  );
  assert.deepEqual(ro.sort(), ['a__echo', 'b__echo'], 'only readOnlyHint tools for mcp:read');
  const c = ctx(readOnly);
  await assert.rejects(
    r2.request('tools/call', { name: 'a__write', arguments: { value: 'v' } }, c),
    (e: UpstreamError) => e.code === -32005 && /read-only/.test(e.message),
  );
  assert.equal(c.denied, true);
  const owner = ((await router.request('tools/list', {}, ctx(readOnly))) as { tools: RawObject[] }).tools.map(
    (t) => t['name'],
  );
  assert.deepEqual(owner.sort(), ['a__echo', 'a__write'], "owner's readOnly list counts as read-only");
  router.close();
  r2.close();
});

test(
  'a crashed upstream: tools vanish with list_changed, calls fail at once naming it, others keep serving',
  { timeout: 10_000 },
  async () => {
    const { a, router } = await setup();
    const got: string[] = [];
    const listener: NotificationListener = { id: 's1', send: (m) => got.push(m) };
    router.addListener(listener);
    await router.request('tools/list', {}, ctx());
    await new Promise((r) => setImmediate(r));
    got.length = 0;
    const since = a.sent.length;
    const inflight = router.request(
      'tools/call',
      { name: 'a__slow', arguments: { steps: 50, delayMs: 50 } },
      ctx(),
    );
    await a.requested('tools/call', since);
    a.crash();
    await assert.rejects(inflight, /exited while the call was in flight/);
    await new Promise((r) => setImmediate(r));
    assert.ok(got.includes('notifications/tools/list_changed'));
    const { tools } = (await router.request('tools/list', {}, ctx())) as { tools: RawObject[] };
    assert.ok(!tools.some((t) => String(t['name']).startsWith('a__')));
    await assert.rejects(
      router.request('tools/call', { name: 'a__echo', arguments: { text: 'x' } }, ctx()),
      (e: UpstreamError) => /Upstream 'a' is restarting \(next attempt in \d s\)/.test(e.message),
    );
    const ok = await router.request('tools/call', { name: 'b__echo', arguments: { text: 'still' } }, ctx());
    assert.deepEqual(ok['content'], [{ type: 'text', text: 'still' }]);
    await assert.rejects(
      router.request('tools/call', { name: 'nope', arguments: {} }, ctx()),
      /Unknown tool 'nope'/,
    );
    router.close();
  },
);

test('prompts, resources (listed and by template), completion routing, ping, unknown method', async () => {
  const { router } = await setup();
  const prompts = (await router.request('prompts/list', {}, ctx()))['prompts'] as RawObject[];
  assert.ok(prompts.some((p) => p['name'] === 'b__greet' && p['title'] === 'Greeting'));
  const got = await router.request('prompts/get', { name: 'b__greet', arguments: { name: 'Ann' } }, ctx());
  assert.deepEqual((got['messages'] as RawObject[])[0], {
    role: 'user',
    content: { type: 'text', text: 'Hello Ann' },
  });
  const resources = (await router.request('resources/list', {}, ctx()))['resources'] as RawObject[];
  assert.equal(
    resources.filter((r) => r['uri'] === 'test://doc').length,
    1,
    'duplicate URI listed once (first server)',
  );
  const doc = await router.request('resources/read', { uri: 'test://doc' }, ctx());
  assert.equal((doc['contents'] as RawObject[])[0]!['text'], 'doc of a');
  const c = ctx();
  const widget = await router.request('resources/read', { uri: 'ui://widget/x.html' }, c);
  assert.equal((widget['contents'] as RawObject[])[0]!['mimeType'], 'text/html;profile=mcp-app');
  assert.equal(c.upstream, 'a');
  const done = await router.request(
    'completion/complete',
    { ref: { type: 'ref/prompt', name: 'b__greet' }, argument: { name: 'name', value: 'b' } },
    ctx(),
  );
  assert.deepEqual(
    (done['completion'] as RawObject)['values'],
    ['b-user'],
    'completion reached server b with its own prompt name',
  );
  assert.deepEqual(await router.request('ping', {}, ctx()), {});
  await assert.rejects(router.request('server/unknown', {}, ctx()), (e: UpstreamError) => e.code === -32601);
  router.close();
});

test('progress is relayed with the client token; abort cancels the upstream call', async () => {
  const { a, router } = await setup();
  const progress: RawObject[] = [];
  const ac = new AbortController();
  const p = router.request(
    'tools/call',
    { name: 'a__slow', arguments: { steps: 100, delayMs: 20 }, _meta: { progressToken: 'tok-1' } },
    ctx(local, { signal: ac.signal, notify: (_m, params) => progress.push(params) }),
  );
  while (progress.length < 2) await new Promise((r) => setTimeout(r, 10));
  assert.equal(progress[0]!['progressToken'], 'tok-1');
  ac.abort();
  await assert.rejects(p, /cancelled/i);
  assert.ok(
    a.sent.some((m) => m['method'] === 'notifications/cancelled'),
    'upstream told to cancel',
  );
  router.close();
});

test('sampling and elicitation go back to the calling client, or fail clearly without the capability', async () => {
  const { router, events } = await setup();
  const asked: string[] = [];
  const withCaps = ctx(local, {
    ask: async (method) => {
      asked.push(method);
      return method === 'sampling/createMessage'
        ? { role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'm' }
        : { action: 'accept', content: { name: 'Ann' } };
    },
  });
  withCaps.client.capabilities = { sampling: {}, elicitation: {} };
  const s = await router.request('tools/call', { name: 'a__sample', arguments: { question: 'q' } }, withCaps);
  assert.deepEqual(s['content'], [{ type: 'text', text: 'model said: forty-two' }]);
  const e = await router.request('tools/call', { name: 'b__elicit', arguments: {} }, withCaps);
  assert.deepEqual(e['content'], [{ type: 'text', text: 'accept: {"name":"Ann"}' }]);
  assert.deepEqual(asked, ['sampling/createMessage', 'elicitation/create']);
  const none = await router
    .request('tools/call', { name: 'a__sample', arguments: { question: 'q' } }, ctx())
    .catch((err: Error) => ({ error: err.message }));
  assert.match(JSON.stringify(none), /did not declare the 'sampling' capability/);
  assert.ok(events.some((ev) => ev.kind === 'server-request' && ev.outcome === 'ok'));
  router.close();
});

test('resource subscriptions are ref-counted and updates reach subscribers only; logging follows setLevel', async () => {
  const { a, router } = await setup();
  const s1: string[] = [];
  const s2: string[] = [];
  router.addListener({ id: 's1', send: (m) => s1.push(m) });
  const detach2 = router.addListener({ id: 's2', send: (m) => s2.push(m) });
  const s3: string[] = [];
  router.addListener({ id: 's3', send: (m) => s3.push(m) });
  await router.request('resources/subscribe', { uri: 'test://doc' }, ctx());
  const c3 = ctx();
  c3.client.sessionId = 's3';
  await router.request('resources/subscribe', { uri: 'test://doc' }, c3);
  await router.request('logging/setLevel', { level: 'warning' }, ctx());
  const onCall: string[] = [];
  await router.request(
    'tools/call',
    { name: 'a__touch', arguments: {} },
    ctx(local, { notify: (m) => void onCall.push(m) }),
  );
  // The update reaches the subscribers in one dispatch (s2, unsubscribed, would get it in the same one).
  await waitUntil(
    () => s1.includes('notifications/resources/updated') && s3.includes('notifications/resources/updated'),
    'the resource update at s1 and s3',
  );
  assert.ok(s1.includes('notifications/resources/updated'));
  // The log message belongs to the call that caused it: it rides that call's stream, no session's.
  assert.deepEqual(onCall, ['notifications/message']);
  assert.ok(!s1.includes('notifications/message'));
  assert.ok(s3.includes('notifications/resources/updated'));
  assert.ok(!s2.includes('notifications/resources/updated'));
  assert.ok(!s2.includes('notifications/message') && !s3.includes('notifications/message'));
  // s3 never set a level: its own call gets no log messages either.
  const s3Call: string[] = [];
  await router.request(
    'tools/call',
    { name: 'a__touch', arguments: {} },
    { ...c3, notify: (m) => void s3Call.push(m) },
  );
  assert.deepEqual(s3Call, []);
  detach2();
  const subs = a.sent.filter((m) => m['method'] === 'resources/subscribe');
  assert.equal(subs.length, 1);
  router.close();
});

test('initialize result: identity, capabilities, merged instructions', async () => {
  const { router } = await setup();
  const r = router.initializeResult('2025-06-18');
  assert.equal(r['protocolVersion'], '2025-06-18');
  assert.equal((r['serverInfo'] as RawObject)['name'], 'tunnelgate');
  assert.deepEqual((r['capabilities'] as RawObject)['resources'], { subscribe: true, listChanged: true });
  assert.match(String(r['instructions']), /Instructions of a\.[\s\S]*Instructions of b\./);
  router.close();
});

test('after an upstream comes back, its resource subscriptions are made again (once) and its tools return', async () => {
  const { a, router } = await setup();
  const got: string[] = [];
  router.addListener({ id: 's1', send: (m) => got.push(m) });
  await router.request('resources/subscribe', { uri: 'test://doc' }, ctx());
  a.crash();
  await a.start();
  for (let i = 0; i < 50 && a.sent.filter((m) => m['method'] === 'resources/subscribe').length < 2; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(a.sent.filter((m) => m['method'] === 'resources/subscribe').length, 2);
  const { tools } = (await router.request('tools/list', {}, ctx())) as { tools: RawObject[] };
  assert.ok(tools.some((t) => t['name'] === 'a__echo'));
  await router.request('tools/call', { name: 'a__touch', arguments: {} }, ctx());
  for (let i = 0; i < 50 && !got.includes('notifications/resources/updated'); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(got.includes('notifications/resources/updated'), 'updates flow again after the reconnect');
  router.close();
});

test('resources/read of a URI no list or template names: each server with resources is asked in order', async () => {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const source = new FakeUpstreamSource();
  const plain = await new FakeUpstream('plain', () => {
    const s = new McpServer({ name: 'plain', version: '1' });
    s.registerResource('only', 'plain://only', {}, async (uri) => ({
      contents: [{ uri: uri.href, text: 'only' }],
    }));
    return s;
  }).start();
  // An upstream that serves ui:// widgets without advertising a template for them.
  class Hidden extends FakeUpstream {
    override resourceTemplates(): readonly RawObject[] {
      return [];
    }
  }
  const apps = await new Hidden('apps', () => buildTestServer('apps')).start();
  source.add(plain);
  source.add(apps);
  const router = createRouter({ upstreams: source });
  const c = ctx();
  const r = await router.request('resources/read', { uri: 'ui://widget/clock.html' }, c);
  assert.equal(c.upstream, 'apps');
  assert.equal((r['contents'] as RawObject[])[0]!['mimeType'], 'text/html;profile=mcp-app');
  assert.ok(
    plain.sent.some((m) => m['method'] === 'resources/read'),
    'the first server was asked first',
  );
  await assert.rejects(router.request('resources/read', { uri: 'nothing://here' }, ctx()));
  router.close();
});

test('a server key with a dot gives a clean default prefix', async () => {
  const source = new FakeUpstreamSource();
  source.add(await new FakeUpstream('github.com', () => buildTestServer('gh')).start());
  const router = createRouter({ upstreams: source });
  const names = ((await router.request('tools/list', {}, ctx())) as { tools: RawObject[] }).tools.map(
    (t) => t['name'],
  );
  assert.ok(names.includes('github_com__echo'), names.join());
  assert.equal(router.warnings().size, 0);
  router.close();
});

test('upstreams log at the most verbose level any session asked for, again after a reconnect', async () => {
  const { a, router } = await setup();
  router.addListener({ id: 's1', send: () => {} });
  router.addListener({ id: 's2', send: () => {} });
  const levelsSent = () =>
    a.sent.filter((m) => m['method'] === 'logging/setLevel').map((m) => (m['params'] as RawObject)['level']);
  await router.request('logging/setLevel', { level: 'debug' }, ctx());
  const c2 = ctx();
  c2.client.sessionId = 's2';
  await router.request('logging/setLevel', { level: 'error' }, c2);
  // s2 asking for errors only must not silence s1's debug messages at the shared upstream.
  assert.deepEqual(levelsSent(), ['debug', 'debug']);
  a.crash();
  await a.start();
  for (let i = 0; i < 50 && levelsSent().length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    levelsSent(),
    ['debug', 'debug', 'debug'],
    'the level is set again on the restarted upstream',
  );
  router.close();
});

test('config annotations override the three hints on top of the upstream, and only them', async () => {
  const { a, router } = await setup({
    a: {
      command: 'x',
      annotations: {
        echo: { destructiveHint: false, openWorldHint: false },
        'touc*': { readOnlyHint: true },
      },
    },
  });
  const { tools } = (await router.request('tools/list', {}, ctx())) as { tools: RawObject[] };
  const exposed = tools.find((t) => t['name'] === 'a__echo')!;
  const original = a.tools().find((t) => t['name'] === 'echo')!;
  assert.deepEqual(
    { ...exposed, name: 'echo', annotations: undefined },
    { ...original, annotations: undefined },
    'everything but name and annotations is the raw upstream object',
  );
  assert.deepEqual(exposed['annotations'], {
    ...(original['annotations'] as RawObject),
    destructiveHint: false,
    openWorldHint: false,
  });
  // A readOnlyHint set by the owner counts for read-only clients, like tools.readOnly does.
  const ro = (await router.request('tools/list', {}, ctx(readOnly))) as { tools: RawObject[] };
  assert.ok(ro.tools.some((t) => t['name'] === 'a__touch'));
  router.close();
});

test('tasks are not relayed: a task-augmented call is refused clearly, task-only tools are hidden', async () => {
  const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
  const { ListToolsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const source = new FakeUpstreamSource();
  const t = await new FakeUpstream('t', () => {
    const s = new McpServer({ name: 't', version: '1' }, { capabilities: { tools: {} } });
    s.server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: [
        { name: 'plain', inputSchema: { type: 'object' } },
        { name: 'task_only', inputSchema: { type: 'object' }, execution: { taskSupport: 'required' } },
      ],
    }));
    return s;
  }).start();
  source.add(t);
  const router = createRouter({ upstreams: source });
  const { tools } = (await router.request('tools/list', {}, ctx())) as { tools: RawObject[] };
  assert.deepEqual(
    tools.map((x) => x['name']),
    ['t__plain'],
  );
  assert.match([...router.warnings().get('t')!].join(), /task_only.*hidden/);
  const err = await router
    .request('tools/call', { name: 't__plain', arguments: {}, task: { ttl: 1000 } }, ctx())
    .catch((e: UpstreamError) => e);
  assert.ok(err instanceof UpstreamError);
  assert.equal(err.code, -32602);
  assert.match(err.message, /does not relay tasks/);
  assert.ok(!t.sent.some((m) => m['method'] === 'tools/call'), 'never reached the upstream');
  router.close();
});

test('resources/subscribe for a URI no list names goes to a server that offers subscriptions, like a read', async () => {
  const { a, router } = await setup();
  await router.request('resources/subscribe', { uri: 'unlisted://nowhere/doc' }, ctx());
  const sent = a.sent.filter((m) => m['method'] === 'resources/subscribe');
  assert.deepEqual(
    sent.map((m) => (m['params'] as RawObject)['uri']),
    ['unlisted://nowhere/doc'],
  );
  await router.request('resources/unsubscribe', { uri: 'unlisted://nowhere/doc' }, ctx());
  assert.ok(a.sent.some((m) => m['method'] === 'resources/unsubscribe'));
  router.close();
});

// A newcomer saw a call to 'eh__echo' while 'evhttp' was restarting logged with Server "—", though
// the error named the upstream: the entry names the upstream the call was meant for.
test('a call to a tool or prompt of a restarting upstream is logged with that upstream', async () => {
  const { observe } = await import('../../../main/gateway/front/observe.js');
  const { a, router } = await setup();
  await router.request('tools/list', {}, ctx());
  a.crash();
  const logged: Omit<ActivityEvent, 'id'>[] = [];
  const sink = { record: (e: Omit<ActivityEvent, 'id'>) => void logged.push(e) };
  const calls: [string, RawObject][] = [
    ['tools/call', { name: 'a__echo', arguments: { text: 'x' } }],
    ['prompts/get', { name: 'a__greet', arguments: { name: 'Ann' } }],
  ];
  for (const [method, params] of calls) {
    const c = ctx();
    const outcome = await observe(sink, method, params, c, undefined, () =>
      router.request(method, params, c),
    );
    assert.match(outcome.error?.message ?? '', /Upstream 'a' is restarting/);
    outcome.finish(undefined);
    assert.equal(logged.at(-1)?.upstream, 'a', `${method} names the upstream it was meant for`);
    assert.equal(logged.at(-1)?.outcome, 'error');
  }
  // A name no server ever offered stays without one.
  const c = ctx();
  await assert.rejects(router.request('tools/call', { name: 'nope', arguments: {} }, c), /Unknown tool/);
  assert.equal(c.upstream, undefined);
  router.close();
});

// A newcomer counted 30 'gateway/naming' notes in 2 minutes while an upstream flapped: each
// reconnect rebuilt the catalog, and every note was recorded again.
test('naming notes are recorded once while they hold, not again on every reconnect', async () => {
  const sameNames = { a: { command: 'x', prefix: '' }, b: { command: 'x', prefix: '' } };
  const { a, b, router, events } = await setup(sameNames);
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  const notes = (): string[] =>
    events.filter((e) => e.method === 'gateway/naming').map((e) => `${e.upstream}: ${e.error?.message}`);
  await router.request('tools/list', {}, ctx());
  await waitUntil(() => notes().length > 0, 'the first naming notes');
  const first = notes();
  assert.ok(first.some((n) => n.startsWith("b: resource 'test://doc' is also offered by server 'a'")));
  assert.ok(first.some((n) => n.startsWith("b: tool name 'echo' is already used by server 'a'")));
  assert.equal(new Set(first).size, first.length, 'each note once');
  // Each reconnect rebuilds the catalog: b's notes go with b, and with a (nothing collides then).
  for (let i = 0; i < 3; i++)
    for (const up of [b, a]) {
      up.crash();
      await turn();
      await up.start();
      await turn();
    }
  assert.deepEqual(notes(), first, 'no note again after six reconnects');
  assert.equal(router.warnings().get('b')?.length, first.length, 'the notes still hold');
  // A note that stopped being true (a prefix ends the collisions) and comes back is recorded again;
  // the one that held all along (the resource) is not.
  router.setServers({ ...sameNames, b: { command: 'x', prefix: 'b' } } as never);
  await turn();
  router.setServers(sameNames as never);
  await turn();
  const again = notes().slice(first.length);
  assert.ok(again.some((n) => n.startsWith("b: tool name 'echo' is already used by server 'a'")));
  assert.ok(!again.some((n) => n.includes("resource 'test://doc'")));
  assert.equal(again.length, first.length - 1);
  router.close();
});
