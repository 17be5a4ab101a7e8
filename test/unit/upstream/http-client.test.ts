import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { listenLocal } from './local-server.js';
import { createHttpClient, RequestHandle } from '../../../main/gateway/upstream/http-client.js';
import { createHttpTransport } from '../../../main/gateway/upstream/http-transport.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';

/** A real node:http server on 127.0.0.1 that counts the TCP connections it accepted. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => handler(req, res, body));
  });
  return {
    ...(await listenLocal(server)),
    /** Closes every idle keep-alive socket, as a server does when its keepAliveTimeout passes. */
    dropIdle: () => server.closeIdleConnections(),
  };
}

test('http client: sequential requests share one keep-alive connection; text() and headers', async () => {
  const srv = await serve((req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-echo': String(req.headers['x-test']) });
    res.end(JSON.stringify({ got: body }));
  });
  const client = createHttpClient();
  try {
    for (let i = 0; i < 20; i++) {
      const res = await client.send(srv.url, {
        method: 'POST',
        headers: { 'x-test': `n${i}`, 'content-type': 'application/json' },
        body: `{"i":${i}}`,
      });
      assert.equal(res.status, 200);
      assert.equal(res.ok, true);
      assert.equal(res.header('x-echo'), `n${i}`);
      assert.deepEqual(JSON.parse(await res.text()), { got: `{"i":${i}}` });
    }
    assert.equal(srv.connections(), 1, 'one TCP connection for 20 sequential calls');
  } finally {
    client.close();
    await srv.close();
  }
});

test('http client: a reused socket the server closed while idle is retried on a fresh one', async () => {
  const srv = await serve((_req, res) => res.end('ok'));
  const client = createHttpClient();
  try {
    assert.equal(await (await client.send(srv.url, { method: 'POST', headers: {}, body: 'a' })).text(), 'ok');
    srv.dropIdle();
    // The FIN may or may not have reached the agent yet; either way the call must succeed.
    assert.equal(await (await client.send(srv.url, { method: 'POST', headers: {}, body: 'b' })).text(), 'ok');
  } finally {
    client.close();
    await srv.close();
  }
});

test('http client: aborting a handle or a signal stops the request with an AbortError', async () => {
  const held: ServerResponse[] = [];
  const srv = await serve((_req, res) => held.push(res)); // never answers
  const client = createHttpClient();
  try {
    const handle = new RequestHandle();
    const pending = client.send(srv.url, { method: 'POST', headers: {}, body: 'x', handle });
    // Aborted once the server holds it: the request is then in flight.
    await waitFor(() => held.length === 1);
    handle.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    const ctl = new AbortController();
    const viaSignal = client.send(srv.url, { method: 'POST', headers: {}, body: 'y', signal: ctl.signal });
    await waitFor(() => held.length === 2);
    ctl.abort();
    await assert.rejects(viaSignal, { name: 'AbortError' });
    assert.equal(handle.signal.aborted, true, 'the on-demand signal of an aborted handle is aborted');
  } finally {
    client.close();
    await srv.close();
  }
});

test('http transport: SSE answers leave their socket reusable, and a server that keeps the stream open after the answer is still answered', async () => {
  let lingerOpen = false;
  let lingerClosed = false;
  const srv = await serve((req, res, body) => {
    const msg = body ? (JSON.parse(body) as RawObject) : {};
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    if (msg.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    const result =
      msg.method === 'initialize'
        ? { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } }
        : { n: msg.id };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'S1' });
    // A priming event with empty data, then the answer (spec 2025-11-25 "Resumability").
    res.write('id: p1\ndata:\n\n');
    res.write(
      `event: message\nid: e${String(msg.id)}\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result })}\n\n`,
    );
    if (!lingerOpen) res.end();
    else res.once('close', () => (lingerClosed = true));
  });
  const t = createHttpTransport({ name: 'x', url: srv.url, openGetStream: false });
  const answers: RawObject[] = [];
  t.onmessage = (m) => answers.push(m);
  try {
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    await t.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    for (let i = 2; i < 12; i++) {
      await t.send({ jsonrpc: '2.0', id: i, method: 'tools/call', params: {} });
      await waitFor(() => answers.some((a) => a.id === i));
    }
    // One connection for all: an answered stream is drained, not destroyed, and the notification's
    // 202 (discarded unread) hands its socket back too.
    assert.equal(
      srv.connections(),
      1,
      `ended SSE answers and a 202 hand their socket back to the pool (${srv.connections()} connections for 11 calls and a notification)`,
    );
    lingerOpen = true;
    await t.send({ jsonrpc: '2.0', id: 50, method: 'tools/call', params: {} });
    await waitFor(() => answers.some((a) => a.id === 50));
    assert.deepEqual(answers.find((a) => a.id === 50)?.result, { n: 50 });
    // The stream the server never ends is closed by the linger sweep (about a second later).
    await waitFor(() => lingerClosed, 5000);
  } finally {
    await t.close();
    await srv.close();
  }
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('http client: a URL with credentials or another scheme is refused, not sent', async () => {
  const client = createHttpClient();
  try {
    await assert.rejects(
      client.send('http://user:pw@127.0.0.1:9/mcp', { method: 'POST', headers: {} }),
      /user name or password/,
    );
    await assert.rejects(
      client.send('ftp://127.0.0.1/mcp', { method: 'POST', headers: {} }),
      /unsupported URL scheme/,
    );
  } finally {
    client.close();
  }
});

test("http transport: forget(id) closes that call's POST, and close() every call still in flight", async () => {
  const held = new Map<number, IncomingMessage>();
  const closedIds: number[] = [];
  const srv = await serve((req, res, body) => {
    if (req.method !== 'POST') return void res.writeHead(405).end(); // the DELETE of close()
    const msg = JSON.parse(body) as RawObject;
    if (msg.method === 'initialize') {
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'S1' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25' } }));
      return;
    }
    if (msg.id === undefined) return void res.writeHead(202).end();
    // A call is held until the client gives up on it.
    held.set(msg.id as number, req);
    res.once('close', () => closedIds.push(msg.id as number));
  });
  const t = createHttpTransport({ name: 'x', url: srv.url, openGetStream: false });
  try {
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    const calls = [2, 3, 4].map((id) => t.send({ jsonrpc: '2.0', id, method: 'tools/call', params: {} }));
    for (const c of calls) c.catch(() => {});
    await waitFor(() => held.size === 3);
    t.forget?.(3);
    await assert.rejects(soon(calls[1]!), { name: 'AbortError' });
    await waitFor(() => closedIds.includes(3));
    assert.deepEqual(closedIds, [3], 'only the forgotten call was closed');
    await t.close();
    await assert.rejects(soon(calls[0]!), { name: 'AbortError' });
    await assert.rejects(soon(calls[2]!), { name: 'AbortError' });
    await waitFor(() => closedIds.length === 3);
  } finally {
    await t.close();
    await srv.close();
  }
});

/** `p`, or a failure when it has not settled within 5 s (so that the test ends and cleans up). */
function soon<T>(p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still pending after 5 s')), 5000);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
