import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type UpstreamConnection,
} from '../../../main/gateway/upstream/types.js';
import { createFakeServer, type FakeServerOptions } from '../../fixtures/upstream/fake-server.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

async function connect(opts: FakeServerOptions, deps: Parameters<typeof createUpstream>[1] = {}) {
  const server = createFakeServer(opts);
  const up = createUpstream(
    { name: 'fake', kind: 'builtin', config: { command: 'builtin' }, builtin: server.builtin },
    deps,
  );
  await up.start();
  return { server, up };
}

const weirdTool = {
  name: 'weird',
  title: 'Weird',
  description: 'd',
  inputSchema: { type: 'object', properties: {} },
  outputSchema: { type: 'object', properties: { x: { type: 'number' } } },
  annotations: { readOnlyHint: true, vendorHint: 'keep me' },
  _meta: { 'openai/outputTemplate': 'ui://w/x.html', ui: { resourceUri: 'ui://w/x.html' } },
  securitySchemes: [{ type: 'noauth' }],
  icons: [{ src: 'data:image/png;base64,AA==' }],
  someFutureField: { nested: [1, 'two', null] },
};

test('initialize sends our capabilities and keeps what the server said', async () => {
  const { server, up } = await connect({ instructions: 'be nice', capabilities: { tools: {}, logging: {} } });
  const init = server.calls('initialize')[0]!.params as Record<string, unknown>;
  assert.equal(init.protocolVersion, '2025-11-25');
  assert.deepEqual(init.clientInfo, { name: 'tunnelgate', version: '0.1.0' });
  assert.deepEqual(init.capabilities, {
    sampling: {},
    elicitation: { form: {}, url: {} },
    roots: { listChanged: true },
    extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
  });
  assert.equal(server.calls('notifications/initialized').length, 1);
  const s = up.state();
  assert.equal(s.status, 'ready');
  assert.equal(s.instructions, 'be nice');
  assert.deepEqual(s.capabilities, { tools: {}, logging: {} });
  assert.deepEqual(s.serverInfo, { name: 'fake', version: '1.0.0' });
  await up.close();
});

test('accepts older protocol answers and refuses unknown ones with a clear error', async () => {
  const { up } = await connect({ protocolVersion: '2025-03-26' });
  assert.equal(up.state().protocolVersion, '2025-03-26');
  await up.close();
  await assert.rejects(
    connect({ protocolVersion: '2099-01-01' }),
    /protocol version '2099-01-01'.*does not speak/,
  );
});

test('lists: all pages fetched, objects kept byte-for-byte, only lists the server has', async () => {
  const tools = [
    weirdTool,
    ...Array.from({ length: 6 }, (_, i) => ({ name: `t${i}`, inputSchema: { type: 'object' } })),
  ];
  const { server, up } = await connect({ tools, pageSize: 3, capabilities: { tools: {} } });
  assert.deepEqual(up.tools(), tools);
  assert.equal(server.calls('tools/list').length, 3);
  assert.deepEqual(
    server.calls('tools/list').map((m) => (m.params as { cursor?: string } | undefined)?.cursor),
    [undefined, '3', '6'],
  );
  assert.equal(server.calls('prompts/list').length, 0);
  assert.deepEqual(up.prompts(), []);
  await up.close();
});

test('list_changed refetches and emits list-changed', async () => {
  const opts: FakeServerOptions = { tools: [{ name: 'a', inputSchema: {} }] };
  const { server, up } = await connect(opts);
  const changed = new Promise((r) => up.once('list-changed', r));
  opts.tools = [
    { name: 'a', inputSchema: {} },
    { name: 'b', inputSchema: {} },
  ];
  server.notify('notifications/tools/list_changed');
  assert.equal(await changed, 'tools');
  assert.deepEqual(
    up.tools().map((t) => t.name),
    ['a', 'b'],
  );
  await up.close();
});

test('ids are rewritten; results come back raw, errors keep their code', async () => {
  const { server, up } = await connect({
    handlers: {
      'tools/call': async ({ params }) => {
        if ((params as { name: string }).name === 'bad') throw { code: -32602, message: 'bad args' };
        await tick(10);
        return {
          content: [{ type: 'text', text: String((params as { name: string }).name) }],
          structuredContent: { k: 1 },
          _meta: { m: true },
          isError: false,
        };
      },
    },
  });
  const [a, b] = await Promise.all([
    up.request('tools/call', { name: 'x', arguments: {} }),
    up.request('tools/call', { name: 'y', arguments: {} }),
  ]);
  assert.deepEqual(a, {
    content: [{ type: 'text', text: 'x' }],
    structuredContent: { k: 1 },
    _meta: { m: true },
    isError: false,
  });
  assert.equal((b.content as { text: string }[])[0]!.text, 'y');
  const ids = server.calls('tools/call').map((m) => m.id);
  assert.equal(new Set(ids).size, 2);
  await assert.rejects(
    up.request('tools/call', { name: 'bad' }),
    (e: unknown) => e instanceof UpstreamError && e.code === -32602 && e.message === 'bad args',
  );
  await up.close();
});

test('progress tokens are mapped per upstream and restored; other _meta survives', async () => {
  const { server, up } = await connect({
    handlers: {
      'tools/call': async (ctx) => {
        const token = (ctx.params._meta as { progressToken: unknown }).progressToken;
        ctx.notify('notifications/progress', {
          progressToken: token,
          progress: 1,
          total: 2,
          message: 'half',
        });
        await tick();
        return { content: [] };
      },
    },
  });
  const seen: unknown[] = [];
  const other: unknown[] = [];
  up.on('notification', (n) => other.push(n));
  await Promise.all(
    ['client-token', 'client-token'].map((tok) =>
      up.request(
        'tools/call',
        { name: 't', _meta: { progressToken: tok, 'openai/x': 1 } },
        { onProgress: (p) => seen.push(p) },
      ),
    ),
  );
  const sent = server.calls('tools/call').map((m) => (m.params as { _meta: Record<string, unknown> })._meta);
  assert.notEqual(
    sent[0]!.progressToken,
    sent[1]!.progressToken,
    'two callers with the same token get distinct upstream tokens',
  );
  assert.equal(sent[0]!['openai/x'], 1);
  assert.deepEqual(seen, [
    { progressToken: 'client-token', progress: 1, total: 2, message: 'half' },
    { progressToken: 'client-token', progress: 1, total: 2, message: 'half' },
  ]);
  assert.equal(other.length, 0);
  await up.close();
});

test('timeout cancels upstream; progress resets the timer', async () => {
  const { server, up } = await connect({
    handlers: {
      'tools/call': async (ctx) => {
        if ((ctx.params as { name: string }).name === 'slow') return new Promise(() => {});
        const token = (ctx.params._meta as { progressToken: unknown }).progressToken;
        for (let i = 0; i < 5; i++) {
          await tick(40);
          ctx.notify('notifications/progress', { progressToken: token, progress: i });
        }
        return { content: [] };
      },
    },
  });
  await assert.rejects(
    up.request('tools/call', { name: 'slow' }, { timeoutMs: 60 }),
    (e: unknown) =>
      e instanceof UpstreamError &&
      e.code === UPSTREAM_ERROR.timeout &&
      /did not answer tools\/call within 60 ms/.test(e.message),
  );
  await tick(10);
  const cancelled = server.calls('notifications/cancelled');
  assert.equal(cancelled.length, 1);
  assert.equal((cancelled[0]!.params as { requestId: unknown }).requestId, server.calls('tools/call')[0]!.id);
  // 5 x 40 ms = 200 ms total, but never 150 ms without progress.
  await up.request('tools/call', { name: 'steady', _meta: { progressToken: 1 } }, { timeoutMs: 150 });
  await up.close();
});

test('abort sends notifications/cancelled and rejects as cancelled', async () => {
  const { server, up } = await connect({ handlers: { 'tools/call': () => new Promise(() => {}) } });
  const ac = new AbortController();
  const p = up.request('tools/call', { name: 'x' }, { signal: ac.signal });
  await tick();
  ac.abort('user pressed stop');
  await assert.rejects(
    p,
    (e: unknown) =>
      e instanceof UpstreamError &&
      e.code === UPSTREAM_ERROR.cancelled &&
      /cancelled \(user pressed stop\)/.test(e.message),
  );
  await tick();
  assert.deepEqual(server.calls('notifications/cancelled')[0]!.params, {
    requestId: server.calls('tools/call')[0]!.id,
    reason: 'user pressed stop',
  });
  await assert.rejects(up.request('tools/call', { name: 'x' }, { signal: ac.signal }), /cancelled/);
  await up.close();
});

test('server requests reach the handler with the callKey of the only call in flight', async () => {
  let answer: Record<string, unknown> | undefined;
  const { server, up } = await connect({
    handlers: {
      'tools/call': async (ctx) => {
        answer = await ctx.request('sampling/createMessage', {
          messages: [],
          maxTokens: 5,
          _meta: { keep: 1 },
        });
        return { content: [] };
      },
    },
  });
  const seen: unknown[] = [];
  up.setServerRequestHandler(async (req, ctx) => {
    seen.push({ method: req.method, params: req.params, callKey: ctx.callKey, upstream: ctx.upstream });
    return { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' };
  });
  await up.request('tools/call', { name: 'x' }, { callKey: 'session-1:42' });
  assert.deepEqual(seen, [
    {
      method: 'sampling/createMessage',
      params: { messages: [], maxTokens: 5, _meta: { keep: 1 } },
      callKey: 'session-1:42',
      upstream: 'fake',
    },
  ]);
  assert.deepEqual(answer!.result, { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' });
  assert.equal(answer!.id, server.received.find((m) => m.result)?.id);
  await up.close();
});

test('without a handler a server request gets -32601; handler errors keep their code; ping is answered', async () => {
  const results: Record<string, unknown>[] = [];
  const { up } = await connect({
    handlers: {
      'tools/call': async (ctx) => {
        results.push(await ctx.request('elicitation/create', { message: 'hi' }));
        results.push(await ctx.request('ping'));
        return { content: [] };
      },
    },
  });
  await up.request('tools/call', { name: 'x' });
  assert.equal((results[0]!.error as { code: number }).code, -32601);
  assert.deepEqual(results[1]!.result, {});
  up.setServerRequestHandler(async () => {
    throw new UpstreamError(-32042, 'client refused');
  });
  results.length = 0;
  await up.request('tools/call', { name: 'x' });
  assert.deepEqual(results[0]!.error, { code: -32042, message: 'client refused' });
  await up.close();
});

test('other notifications are emitted raw', async () => {
  const { server, up } = await connect({});
  const got = new Promise((r) => up.once('notification', r));
  server.notify('notifications/message', { level: 'info', data: { x: 1 }, logger: 'l' });
  assert.deepEqual(await got, {
    jsonrpc: '2.0',
    method: 'notifications/message',
    params: { level: 'info', data: { x: 1 }, logger: 'l' },
  });
  await up.close();
});

test(
  'a call in flight when the upstream dies rejects at once; later calls fail naming the upstream',
  { timeout: 10_000 },
  async () => {
    const { server, up } = await connect({ handlers: { 'tools/call': () => new Promise(() => {}) } });
    const p = up.request('tools/call', { name: 'x' });
    await tick();
    server.crash();
    await assert.rejects(
      p,
      (e: unknown) =>
        e instanceof UpstreamError &&
        e.code === UPSTREAM_ERROR.connectionClosed &&
        /Upstream 'fake' closed its in-process connection while tools\/call was in flight/.test(e.message),
    );
    assert.equal(up.state().status, 'failed');
    await assert.rejects(
      up.request('tools/list', undefined),
      (e: unknown) =>
        e instanceof UpstreamError &&
        e.code === UPSTREAM_ERROR.unavailable &&
        /Upstream 'fake' is not available/.test(e.message),
    );
    await up.close();
  },
);

test('request before start fails at once', { timeout: 10_000 }, async () => {
  const server = createFakeServer();
  const up: UpstreamConnection = createUpstream({
    name: 'later',
    kind: 'builtin',
    config: { command: 'builtin' },
    builtin: server.builtin,
  });
  await assert.rejects(up.request('tools/list', undefined), /Upstream 'later' is not available/);
  await up.close();
});

test('with two calls in flight and no transport hint, a server request carries no callKey', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { up } = await connect({
    handlers: {
      'tools/call': async (ctx) => {
        if ((ctx.params as { name: string }).name === 'asker') await ctx.request('roots/list');
        else await gate;
        return { content: [] };
      },
    },
  });
  const keys: (string | undefined)[] = [];
  up.setServerRequestHandler(async (_req, ctx) => {
    keys.push(ctx.callKey);
    return { roots: [] };
  });
  const waiting = up.request('tools/call', { name: 'waiter' }, { callKey: 'one' });
  await up.request('tools/call', { name: 'asker' }, { callKey: 'two' });
  release();
  await waiting;
  assert.deepEqual(keys, [undefined]);
  await up.close();
});

test('the upstream cancelling its own request aborts the handler signal; no answer is sent', async () => {
  const { server, up } = await connect({
    handlers: {
      'tools/call': async (ctx) => {
        void ctx.request('elicitation/create', { message: 'q' });
        await tick(20);
        return { content: [] };
      },
    },
  });
  let aborted: unknown;
  up.setServerRequestHandler((_req, ctx) => {
    return new Promise((resolve) => {
      ctx.signal!.addEventListener('abort', () => {
        aborted = ctx.signal!.reason;
        resolve({ action: 'cancel' });
      });
    });
  });
  const call = up.request('tools/call', { name: 'x' });
  await tick(5);
  server.notify('notifications/cancelled', { requestId: 's1', reason: 'user went away' });
  await call;
  await tick(10);
  assert.match(String(aborted), /user went away/);
  assert.equal(server.received.filter((m) => m.id === 's1').length, 0, 'no answer to a cancelled request');
  await up.close();
});
