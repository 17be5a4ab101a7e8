import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import { RELAY_CAPABILITIES } from '../../../main/gateway/upstream/connection.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type UpstreamConnection,
} from '../../../main/gateway/upstream/types.js';
import { capturingFetch, freePort, longCall, startEverything, until, type Raw } from './helpers.js';

let server: Awaited<ReturnType<typeof startEverything>>;
let up: UpstreamConnection;
const roots = async (req: { method: string }) =>
  req.method === 'roots/list' ? { roots: [] } : Promise.reject(new UpstreamError(-32601, 'no'));

before(async () => {
  server = await startEverything('streamableHttp', await freePort());
  up = createUpstream({ name: 'evh', kind: 'http', config: { url: server.url } });
  up.setServerRequestHandler(roots);
  await up.start();
});
after(async () => {
  await up?.close();
  await server?.stop();
});

test('http: raw tools/list and a call result equal a direct SDK client on the wire', async () => {
  const wire: Raw[] = [];
  const client = new Client({ name: 'direct', version: '1' }, { capabilities: RELAY_CAPABILITIES as never });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [] }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), { fetch: capturingFetch(wire) }),
  );
  try {
    await client.listTools();
    await until(
      () => wire.some((m) => Array.isArray((m.result as Raw | undefined)?.tools)),
      5000,
      'captured tools/list',
    );
    const direct = wire.find((m) => Array.isArray((m.result as Raw | undefined)?.tools))!;
    assert.deepEqual(up.tools(), (direct.result as Raw).tools);
    const params = { name: 'get-annotated-message', arguments: { messageType: 'error', includeImage: true } };
    const ours = await up.request('tools/call', params);
    const n = wire.length;
    await client.callTool(params);
    await until(() => wire.slice(n).some((m) => 'result' in m), 5000, 'captured call');
    assert.deepEqual(ours, wire.slice(n).find((m) => 'result' in m)!.result);
  } finally {
    await client.close();
  }
});

test('http: progress on the POST stream; abort cancels', async () => {
  const seen: Raw[] = [];
  await up.request(
    'tools/call',
    {
      name: 'trigger-long-running-operation',
      arguments: { duration: 0.4, steps: 2 },
      _meta: { progressToken: 99 },
    },
    { onProgress: (p) => seen.push(p) },
  );
  assert.deepEqual(
    seen.map((p) => [p.progressToken, p.progress]),
    [
      [99, 1],
      [99, 2],
    ],
  );
  const ac = new AbortController();
  const { call: p, running } = longCall(up, { signal: ac.signal });
  await running;
  ac.abort();
  await assert.rejects(p, (e: unknown) => e instanceof UpstreamError && e.code === UPSTREAM_ERROR.cancelled);
});

test('http: sampling and elicitation are tied to the call whose stream carried them, even with others in flight', async () => {
  const seen: { method: string; callKey?: string }[] = [];
  up.setServerRequestHandler(async (req, ctx) => {
    seen.push({ method: req.method, callKey: ctx.callKey });
    if (req.method === 'sampling/createMessage')
      return { role: 'assistant', content: { type: 'text', text: 'from-client' }, model: 'm' };
    if (req.method === 'elicitation/create') return { action: 'decline' };
    return { roots: [] };
  });
  try {
    const busy = up.request(
      'tools/call',
      { name: 'trigger-long-running-operation', arguments: { duration: 1, steps: 2 } },
      { callKey: 'other' },
    );
    const [s, e] = await Promise.all([
      up.request(
        'tools/call',
        { name: 'trigger-sampling-request', arguments: { prompt: 'p' } },
        { callKey: 'A' },
      ),
      up.request('tools/call', { name: 'trigger-elicitation-request', arguments: {} }, { callKey: 'B' }),
    ]);
    await busy;
    assert.match(JSON.stringify(s), /from-client/);
    assert.match(JSON.stringify(e), /decline/);
    assert.deepEqual(
      seen.filter((x) => x.method !== 'roots/list').sort((a, b) => a.method.localeCompare(b.method)),
      [
        { method: 'elicitation/create', callKey: 'B' },
        { method: 'sampling/createMessage', callKey: 'A' },
      ],
    );
  } finally {
    up.setServerRequestHandler(roots);
  }
});

// A start whose era probe found the server unreachable fails and is retried, even when the session
// after it gets through (the server came up in between). It once went on: the upstream showed
// 'ready' on a connection the dead probe had marked failed, and every call to it failed (a CI flake
// of the test below: "is not available (status: failed; ... ECONNREFUSED)" right after 'ready').
test('http: an era probe that cannot reach the server fails the start instead of leaving a ready upstream that fails every call', async () => {
  const target = new URL(server.url);
  let resets = 0;
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (resets === 0 && body.includes('server/discover')) {
        resets++;
        req.socket.destroy(); // the probe meets a reset connection: unreachable
        return;
      }
      const up = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode!, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy()); // the client went: so does the proxied request (GET stream)
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  const m = createUpstreamManager({ backoff: { baseMs: 50, maxMs: 100 }, random: () => 1 });
  try {
    await m.apply({ remote: { url: `http://127.0.0.1:${port}${target.pathname}` } });
    const r = m.get('remote')!;
    await until(() => r.state().status === 'ready', 15_000, 'ready');
    assert.equal(resets, 1);
    assert.ok(r.state().restarts >= 1, 'the start that met the reset was retried');
    assert.deepEqual(await r.request('tools/call', { name: 'echo', arguments: { message: 'hi' } }), {
      content: [{ type: 'text', text: 'Echo: hi' }],
    });
  } finally {
    await m.close();
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

// The file's server goes away and comes back on its port (one server-everything start less than a
// server of its own; the tests above are done with it, and the one below does not use it).
test('http: a server that goes away is reconnected with backoff when it comes back', async () => {
  const port = Number(new URL(server.url).port);
  let srv = server;
  const m = createUpstreamManager({ backoff: { baseMs: 100, maxMs: 400 }, random: () => 1 });
  try {
    await m.apply({ remote: { url: srv.url } });
    const r = m.get('remote')!;
    assert.equal(r.state().status, 'ready');
    const { call, running } = longCall(r);
    // Settled handler attached now: the rejection may come before the assertion below runs.
    const inflight = call.then(
      () => Promise.reject(new Error('the call should have failed')),
      (e: unknown) => Promise.reject(e),
    );
    inflight.catch(() => {});
    await running;
    await srv.stop();
    await assert.rejects(
      inflight,
      (e: unknown) => e instanceof UpstreamError && /Upstream 'remote'/.test(e.message),
    );
    await until(() => r.state().status === 'restarting', 10_000, 'restarting');
    assert.match(
      r.state().error!,
      /Upstream 'remote' is unreachable at http:\/\/127\.0\.0\.1:\d+\/mcp \([A-Z_]+: [a-z :]+\)/,
    );
    assert.deepEqual(r.tools(), []);
    await assert.rejects(r.request('tools/list', undefined), /Upstream 'remote' is not available/);
    server = srv = await startEverything('streamableHttp', port);
    await until(() => r.state().status === 'ready', 15_000, 'reconnected');
    assert.ok(r.state().restarts >= 1);
    assert.ok(r.tools().length > 0);
    assert.deepEqual(await r.request('tools/call', { name: 'echo', arguments: { message: 'back' } }), {
      content: [{ type: 'text', text: 'Echo: back' }],
    });
  } finally {
    await m.close();
  }
});

test('http: a keychain value in the URL path never shows in the error text (window, callers, server log)', async () => {
  const port = await freePort();
  const key = 'PATHKEY_0123456789abcdef';
  // The secrets module resolves ${secret:…} and hands the values to the masker (as bootstrap does).
  const mask = (t: string) => t.split(key).join('***');
  const m = createUpstreamManager({
    backoff: { baseMs: 100, maxMs: 400 },
    random: () => 1,
    resolve: async (_name, config) => ({
      config: { ...(config as { url: string }), url: `http://127.0.0.1:${port}/${key}/mcp` },
    }),
    maskSecrets: mask,
  });
  try {
    await m.apply({ remote: { url: `http://127.0.0.1:${port}/\${secret:k}/mcp` } });
    const r = m.get('remote')!;
    await until(() => r.state().error !== undefined, 10_000, 'the connection error');
    assert.match(r.state().error!, /unreachable at http:\/\/127\.0\.0\.1:\d+\/\*\*\*\/mcp/);
    await assert.rejects(r.request('tools/list', undefined), (e: Error) => !e.message.includes(key));
    assert.doesNotMatch(JSON.stringify(m.logs.view('remote')), new RegExp(key));
  } finally {
    await m.close();
  }
});
