import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublicAuthHook } from '../../../main/auth/types.js';
import {
  acceptAllHook,
  rawHttp,
  rawInitialize,
  rawPost,
  startFakeGateway,
} from '../../helpers/mcp-gateway-fixture.js';

const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function errorOf(text: string): { code: number; message: string } {
  return (JSON.parse(text) as { error: { code: number; message: string } }).error;
}

test('malformed JSON, wrong shapes, batches and oversized bodies get clear errors; the gateway stays up', async (t) => {
  const fx = await startFakeGateway({ maxBodyBytes: 1024 });
  t.after(() => fx.gateway.close());
  const host = `127.0.0.1:${fx.port}`;
  const broken = await rawHttp(fx.port, { headers: { ...json, host }, body: '{"jsonrpc":"2.0",' });
  assert.equal(broken.status, 400);
  assert.equal(errorOf(broken.text).code, -32700);
  assert.match(errorOf(broken.text).message, /not valid JSON/);
  const shape = await rawHttp(fx.port, {
    headers: { ...json, host },
    body: '{"jsonrpc":"1.0","id":1,"method":"x"}',
  });
  assert.equal(shape.status, 400);
  assert.match(errorOf(shape.text).message, /"jsonrpc" must be "2.0"/);
  const batch = await rawHttp(fx.port, {
    headers: { ...json, host },
    body: '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
  });
  assert.equal(batch.status, 400, 'a batch needs a session too');
  const big = await rawHttp(fx.port, {
    headers: { ...json, host },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5000) } }),
  });
  assert.equal(big.status, 413);
  assert.match(errorOf(big.text).message, /limit is 1024 bytes/);
  const type = await rawHttp(fx.port, { headers: { 'content-type': 'text/plain', host }, body: 'hi' });
  assert.equal(type.status, 415);
  const ok = await rawInitialize(fx.url);
  assert.equal(ok.status, 200, 'still serving');
});

test('sessions: missing id 400, unknown id 404, bad version header 400, DELETE ends it, notifications 202', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const missing = await rawPost(fx.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
  assert.equal(missing.status, 400);
  assert.match(
    String((missing.body['error'] as Record<string, unknown>)['message']),
    /Mcp-Session-Id header is required/,
  );
  const unknown = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { 'mcp-session-id': 'deadbeef' },
  );
  assert.equal(unknown.status, 404);
  const { sessionId, result } = await rawInitialize(fx.url, '1999-01-01');
  assert.equal(result['protocolVersion'], '2025-11-25', 'unsupported client version: our latest');
  const badHeader = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { 'mcp-session-id': sessionId, 'mcp-protocol-version': '1999-01-01' },
  );
  assert.equal(badHeader.status, 400);
  const note = await rawPost(
    fx.url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { 'mcp-session-id': sessionId },
  );
  assert.equal(note.status, 202);
  assert.equal(note.text, '');
  const unknownMethod = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 9, method: 'nope/nothing' },
    { 'mcp-session-id': sessionId },
  );
  assert.equal((unknownMethod.body['error'] as Record<string, unknown>)['code'], -32601);
  assert.equal(fx.gateway.sessionCount, 1);
  const del = await rawHttp(fx.port, {
    method: 'DELETE',
    headers: { host: `127.0.0.1:${fx.port}`, 'mcp-session-id': sessionId },
  });
  assert.equal(del.status, 200);
  assert.equal(fx.gateway.sessionCount, 0);
  const after = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { 'mcp-session-id': sessionId },
  );
  assert.equal(after.status, 404);
});

test('Host and Origin allow-lists (DNS rebinding): the local endpoint never takes the tunnel host; the public listener adds it', async (t) => {
  const fx = await startFakeGateway({ auth: acceptAllHook });
  t.after(() => fx.gateway.close());
  const body = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'server/discover' });
  const at = (headers: Record<string, string>, port = fx.port) =>
    rawHttp(port, { headers: { ...json, ...headers }, body });
  assert.equal((await at({ host: `127.0.0.1:${fx.port}` })).status, 200);
  assert.equal((await at({ host: `localhost:${fx.port}` })).status, 200);
  assert.equal((await at({ host: `[::1]:${fx.port}` })).status, 200);
  assert.equal((await at({ host: 'evil.example:80' })).status, 403);
  assert.equal((await at({ host: `127.0.0.1:${fx.port + 1}` })).status, 403);
  assert.equal((await at({ host: 'abc.trycloudflare.com' })).status, 403);
  fx.gateway.setPublicOrigin('https://abc.trycloudflare.com');
  const tunnelHostLocally = await at({ host: 'abc.trycloudflare.com' });
  assert.equal(tunnelHostLocally.status, 403, 'the local endpoint refuses the tunnel host');
  assert.match(errorOf(tunnelHostLocally.text).message, /public listener/);
  assert.equal((await at({ host: 'abc.trycloudflare.com' }, fx.publicPort)).status, 200);
  assert.equal((await at({ host: `127.0.0.1:${fx.publicPort}` }, fx.publicPort)).status, 200);
  // A public origin adds its own host, nothing else: a foreign or look-alike Host stays refused.
  assert.equal((await at({ host: 'evil.example' }, fx.publicPort)).status, 403);
  assert.equal((await at({ host: 'abc.trycloudflare.com.evil.example' }, fx.publicPort)).status, 403);
  assert.equal((await at({ host: `127.0.0.1:${fx.port}`, origin: 'http://localhost:5173' })).status, 200);
  // Loopback Origins match whole names: a host that merely starts with one is someone else's page.
  for (const origin of [
    'http://localhost.evil.example',
    'http://127.0.0.1.nip.io',
    'http://[::1].evil.example',
  ]) {
    assert.equal((await at({ host: `127.0.0.1:${fx.port}`, origin })).status, 403, origin);
    assert.equal(
      (await at({ host: `127.0.0.1:${fx.publicPort}`, origin }, fx.publicPort)).status,
      403,
      origin,
    );
  }
  assert.equal(
    (await at({ host: `127.0.0.1:${fx.port}` }, fx.publicPort)).status,
    403,
    "the other port's name",
  );
  assert.equal(
    (await at({ host: `127.0.0.1:${fx.publicPort}`, origin: 'https://chatgpt.com' }, fx.publicPort)).status,
    200,
  );
  assert.equal(
    (await at({ host: 'abc.trycloudflare.com', origin: 'https://abc.trycloudflare.com' }, fx.publicPort))
      .status,
    200,
  );
  // A web page elsewhere cannot drive local tools, not even chatgpt.com's.
  assert.equal((await at({ host: `127.0.0.1:${fx.port}`, origin: 'https://chatgpt.com' })).status, 403);
  assert.equal((await at({ host: `127.0.0.1:${fx.port}`, origin: 'http://localhost:6274' })).status, 200);
  const evil = await at(
    { host: `127.0.0.1:${fx.publicPort}`, origin: 'https://evil.example' },
    fx.publicPort,
  );
  assert.equal(evil.status, 403);
  assert.match(errorOf(evil.text).message, /Origin 'https:\/\/evil.example'/);
  // A proxy pointed at the local endpoint by mistake is refused, not served without auth.
  const proxied = await at({ host: `127.0.0.1:${fx.port}`, 'x-forwarded-for': '203.0.113.5' });
  assert.equal(proxied.status, 403);
  assert.match(errorOf(proxied.text).message, /x-forwarded-for/);
  // Proxies that add only one of the other forwarding headers are refused too.
  for (const name of [
    'x-forwarded-host',
    'x-forwarded-proto',
    'x-original-forwarded-for',
    'true-client-ip',
  ]) {
    const res = await at({ host: `127.0.0.1:${fx.port}`, [name]: 'x' });
    assert.equal(res.status, 403, name);
  }
  fx.gateway.setPublicOrigin(null);
  assert.equal((await at({ host: 'abc.trycloudflare.com' }, fx.publicPort)).status, 403);
  const other = await rawHttp(fx.port, {
    method: 'GET',
    path: '/',
    headers: { host: `127.0.0.1:${fx.port}` },
  });
  assert.equal(other.status, 404);
  const put = await rawHttp(fx.port, { method: 'PUT', headers: { host: `127.0.0.1:${fx.port}` } });
  assert.equal(put.status, 405);
});

test('GET stream: priming event then close on the public listener (whatever the Host), held open locally; never 405', async (t) => {
  const fx = await startFakeGateway({ auth: acceptAllHook });
  t.after(() => fx.gateway.close());
  fx.gateway.setPublicOrigin('https://abc.trycloudflare.com');
  const { sessionId } = await rawInitialize(fx.publicUrl);
  // Something for the session to pick up: the merged tool list changes.
  fx.a.crash();
  await new Promise((r) => setTimeout(r, 20));
  const viaTunnel = await rawHttp(fx.publicPort, {
    method: 'GET',
    headers: { host: 'abc.trycloudflare.com', accept: 'text/event-stream', 'mcp-session-id': sessionId },
  });
  assert.equal(viaTunnel.status, 200);
  assert.equal(viaTunnel.headers['content-type'], 'text/event-stream');
  assert.equal(viaTunnel.headers['cache-control'], 'no-cache');
  assert.equal(viaTunnel.headers['x-accel-buffering'], 'no');
  assert.match(viaTunnel.text, /^id: \d+\nretry: \d+\ndata: \n\n/);
  assert.match(viaTunnel.text, /notifications\/tools\/list_changed/);
  const lastId = /id: (\d+)\nevent: message/.exec(viaTunnel.text)?.[1];
  assert.ok(lastId !== undefined);
  const replay = await rawHttp(fx.publicPort, {
    method: 'GET',
    headers: {
      host: 'abc.trycloudflare.com',
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'last-event-id': String(Number(lastId) - 1),
    },
  });
  assert.match(replay.text, /notifications\/tools\/list_changed/, 'Last-Event-ID replays what came after it');
  const rewritten = await rawHttp(fx.publicPort, {
    method: 'GET',
    headers: { host: `127.0.0.1:${fx.publicPort}`, accept: 'text/event-stream', 'mcp-session-id': sessionId },
  });
  assert.equal(
    rewritten.status,
    200,
    'a proxy that rewrites Host to loopback gets a closed stream, not a held one',
  );
  const elsewhere = await rawHttp(fx.port, {
    method: 'GET',
    headers: { host: `127.0.0.1:${fx.port}`, accept: 'text/event-stream', 'mcp-session-id': sessionId },
  });
  assert.equal(elsewhere.status, 404, 'a public session is unknown on the local endpoint');
  const noSession = await rawHttp(fx.port, {
    method: 'GET',
    headers: { host: `127.0.0.1:${fx.port}`, accept: 'text/event-stream' },
  });
  assert.equal(noSession.status, 400);

  const local = await rawInitialize(fx.url);
  const ac = new AbortController();
  const held = await fetch(fx.url, {
    headers: { accept: 'text/event-stream', 'mcp-session-id': local.sessionId },
    signal: ac.signal,
  });
  assert.equal(held.status, 200);
  const reader = held.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /^id: \d+\nretry: 1000/);
  const racing = await Promise.race([
    reader.read().then(() => 'more'),
    new Promise((r) => setTimeout(() => r('still open'), 100)),
  ]);
  assert.equal(racing, 'still open');
  ac.abort();
});

test('auth hook: its routes first, its MCP paths, its refusals, the principal it returns', async (t) => {
  const seen: string[] = [];
  const auth: PublicAuthHook = {
    mcpPaths: () => ['/s/secret/mcp'],
    async handle(_req: IncomingMessage, res: ServerResponse, url: URL) {
      if (url.pathname !== '/.well-known/oauth-protected-resource') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"resource":"x"}');
      return true;
    },
    async authenticate(req) {
      if (req.headers.authorization === 'Bearer other')
        return { ok: true, principal: { kind: 'oauth', clientId: 'someone-else', scopes: ['mcp:full'] } };
      if (req.headers.authorization !== 'Bearer good')
        return {
          ok: false,
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer resource_metadata="x"' },
          body: { error: 'invalid_token' },
        };
      seen.push('ok');
      return { ok: true, principal: { kind: 'oauth', clientId: 'chatgpt', scopes: ['mcp:read'] } };
    },
  };
  const fx = await startFakeGateway({ auth });
  t.after(() => fx.gateway.close());
  const host = `127.0.0.1:${fx.publicPort}`;
  assert.equal(
    (
      await rawHttp(fx.publicPort, {
        method: 'GET',
        path: '/.well-known/oauth-protected-resource',
        headers: { host },
      })
    ).status,
    200,
  );
  const plain = await rawHttp(fx.publicPort, { path: '/mcp', headers: { ...json, host }, body: '{}' });
  assert.equal(plain.status, 404);
  assert.doesNotMatch(plain.text, /secret/);
  const denied = await rawHttp(fx.publicPort, {
    path: '/s/secret/mcp',
    headers: { ...json, host },
    body: '{}',
  });
  assert.equal(denied.status, 401);
  assert.equal(denied.headers['www-authenticate'], 'Bearer resource_metadata="x"');
  const url = new URL(`http://${host}/s/secret/mcp`);
  const init = await rawPost(
    url,
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
    },
    { authorization: 'Bearer good' },
  );
  const sid = init.headers.get('mcp-session-id')!;
  const list = await rawPost(
    url,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { authorization: 'Bearer good', 'mcp-session-id': sid },
  );
  const names = (list.body['result'] as { tools: { name: string }[] }).tools.map((x) => x.name).sort();
  assert.deepEqual(names, ['a__echo', 'b__echo'], 'mcp:read sees read-only tools only');
  const ev = fx.events.find((e) => e.method === 'tools/list');
  assert.equal(ev?.client?.id, 'chatgpt');
  const hijack = await rawPost(
    url,
    { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    { authorization: 'Bearer other', 'mcp-session-id': sid },
  );
  assert.equal(hijack.status, 404, "another client cannot use this client's session id");
});

test('a slow call sends keep-alive comments (SSE) before its result, so proxies see a first byte', async (t) => {
  const fx = await startFakeGateway({ heartbeatMs: 40 });
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url);
  const r = await rawHttp(fx.port, {
    headers: { ...json, host: `127.0.0.1:${fx.port}`, 'mcp-session-id': sessionId },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'a__slow', arguments: { steps: 3, delayMs: 50 } },
    }),
  });
  assert.equal(r.headers['content-type'], 'text/event-stream');
  // The priming event (2025-11-25) is the first byte, then comments until the result.
  assert.match(r.text, /^id: p\d+-0\nretry: \d+\ndata: \n\n: keep-alive\n\n/);
  assert.match(r.text, /done after 3 steps/);
  const quick = await rawPost(
    fx.url,
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'a__echo', arguments: { text: 'q' } } },
    { 'mcp-session-id': sessionId },
  );
  assert.match(quick.headers.get('content-type') ?? '', /application\/json/, 'fast calls stay plain JSON');
});

test('a chunked body without Content-Length is cut off at the limit', async (t) => {
  const fx = await startFakeGateway({ maxBodyBytes: 2048 });
  t.after(() => fx.gateway.close());
  const { request } = await import('node:http');
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: fx.port,
        method: 'POST',
        path: '/mcp',
        headers: { ...json, host: `127.0.0.1:${fx.port}`, 'transfer-encoding': 'chunked' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"');
    for (let i = 0; i < 10; i++) req.write('x'.repeat(500));
    req.end('"}}');
  });
  assert.equal(answer.status, 413);
  assert.equal(errorOf(answer.text).code, -32000);
});

test('stateless era: closing the connection cancels the upstream call', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const ac = new AbortController();
  const since = fx.a.sent.length;
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const pending = fetch(fx.url, {
    method: 'POST',
    signal: ac.signal,
    headers: {
      ...json,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'a__slow',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name: 'a__slow', arguments: { steps: 500, delayMs: 10 }, _meta: envelope },
    }),
  }).catch((e: Error) => e);
  await fx.a.requested('tools/call', since);
  ac.abort();
  await pending;
  for (let i = 0; i < 100 && !fx.a.sent.some((m) => m['method'] === 'notifications/cancelled'); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    fx.a.sent.some((m) => m['method'] === 'notifications/cancelled'),
    'upstream told to cancel',
  );
});

test('session era: closing the connection of a call that has sent nothing yet cancels the upstream call', async (t) => {
  // The call's answer would be plain JSON (no progress asked for), so no stream log was made for it:
  // the connection's close alone must still abort it, with either Accept.
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url);
  for (const [id, accept] of [
    [8, 'application/json, text/event-stream'],
    [9, 'application/json'],
  ] as const) {
    const ac = new AbortController();
    const since = fx.a.sent.length;
    const pending = fetch(fx.url, {
      method: 'POST',
      signal: ac.signal,
      headers: { ...json, accept, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'a__slow', arguments: { steps: 500, delayMs: 10 } },
      }),
    }).catch((e: Error) => e);
    await fx.a.requested('tools/call', since);
    ac.abort();
    await pending;
    const cancelled = () => fx.a.sent.slice(since).some((m) => m['method'] === 'notifications/cancelled');
    for (let i = 0; i < 100 && !cancelled(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(cancelled(), `upstream told to cancel (Accept: ${accept})`);
  }
  for (let i = 0; i < 100 && fx.events.filter((e) => e.outcome === 'cancelled').length < 2; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.equal(fx.events.filter((e) => e.method === 'tools/call' && e.outcome === 'cancelled').length, 2);
});

test('JSON-RPC batches: answered on 2025-03-26 sessions, refused clearly on later revisions', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const old = await rawInitialize(fx.url, '2025-03-26');
  const answer = await rawPost(
    fx.url,
    [
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'a__echo', arguments: { text: 'batched' } },
      },
      { jsonrpc: '2.0', id: 3, method: 'no/such' },
    ],
    { 'mcp-session-id': old.sessionId },
  );
  assert.equal(answer.status, 200);
  const replies = answer.body as unknown as {
    id: number;
    result?: Record<string, unknown>;
    error?: { code: number };
  }[];
  assert.deepEqual(replies.map((r) => r.id).sort(), [1, 2, 3]);
  assert.deepEqual(replies.find((r) => r.id === 2)!.result!['structuredContent'], { echoed: 'batched' });
  assert.equal(replies.find((r) => r.id === 3)!.error!.code, -32601);
  const notesOnly = await rawPost(fx.url, [{ jsonrpc: '2.0', method: 'notifications/initialized' }], {
    'mcp-session-id': old.sessionId,
  });
  assert.equal(notesOnly.status, 202);
  const current = await rawInitialize(fx.url, '2025-11-25');
  const refused = await rawPost(fx.url, [{ jsonrpc: '2.0', id: 1, method: 'ping' }], {
    'mcp-session-id': current.sessionId,
  });
  assert.equal(refused.status, 400);
  assert.match(
    String((refused.body['error'] as Record<string, unknown>)['message']),
    /removed in MCP 2025-06-18/,
  );
  const withInit = await rawPost(fx.url, [{ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }], {
    'mcp-session-id': old.sessionId,
  });
  assert.equal(withInit.status, 400);
});
