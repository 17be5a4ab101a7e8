// A transport's POSTs repeat the same headers, so the client keeps their list form (and remote-fetch
// the merged object) from one request to the next instead of building them anew (issue 16). What
// each request carries must still be its own: its body's length, the Authorization value of the
// moment, the session's headers, and the Host of the server it goes to.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { listenLocal } from './local-server.js';
import { createHttpClient } from '../../../main/gateway/upstream/http-client.js';
import { createRemoteFetch } from '../../../main/gateway/upstream/remote-fetch.js';
import type { UpstreamAuth } from '../../../main/gateway/upstream/upstream-auth.js';

/** A server that answers each request with the headers it got and the length of its body. */
async function echoServer() {
  const seen: { headers: IncomingHttpHeaders; bytes: number }[] = [];
  const srv = await listenLocal(
    createServer((req, res) => {
      let bytes = 0;
      req.on('data', (c: Buffer) => (bytes += c.length));
      req.on('end', () => {
        seen.push({ headers: req.headers, bytes });
        res.end('ok');
      });
    }),
  );
  return { ...srv, seen, host: new URL(srv.url).host };
}

test('reused request headers still carry each request its own length, Authorization, session and Host', async () => {
  const a = await echoServer();
  const b = await echoServer();
  let token = 'Bearer one';
  const auth: UpstreamAuth = {
    authorization: async () => token,
    authorizationNow: () => token,
    unauthorized: async () => 'needs-sign-in',
    signIn: async () => {},
    signOut: async () => {},
  };
  const client = createHttpClient();
  const remoteFetch = createRemoteFetch({
    name: 'up',
    headers: { 'X-Api-Key': 'k1' },
    auth,
    send: client.send,
  });
  const first = { accept: 'application/json, text/event-stream', 'mcp-session-id': 'S1' };
  const second = { accept: 'application/json, text/event-stream', 'mcp-session-id': 'S2' };
  const sent: { url: string; extra: Record<string, string>; body?: string; method: string }[] = [
    { url: a.url, extra: first, body: '{}', method: 'POST' },
    { url: a.url, extra: first, body: '{"longer":"body é"}', method: 'POST' },
    { url: a.url, extra: first, body: '{"id":1}', method: 'POST' },
    { url: a.url, extra: second, body: '[]', method: 'POST' },
    { url: a.url, extra: second, method: 'GET' },
    { url: b.url, extra: second, body: '{"to":"b"}', method: 'POST' },
  ];
  try {
    for (const [i, r] of sent.entries()) {
      if (i === 2) token = 'Bearer two'; // refreshed between two requests with the same headers object
      const res = await remoteFetch(r.url, { method: r.method, body: r.body }, r.extra);
      assert.equal(await res.text(), 'ok');
    }
  } finally {
    client.close();
    await a.close();
    await b.close();
  }
  // Each went to its own server (on one keep-alive socket per server).
  assert.equal(a.seen.length, sent.filter((r) => r.url === a.url).length);
  assert.equal(b.seen.length, 1);
  assert.deepEqual([a.connections(), b.connections()], [1, 1]);
  const got = [...a.seen, ...b.seen];
  for (const [i, r] of sent.entries()) {
    const { headers, bytes } = got[i]!;
    const what = `request ${i}`;
    assert.equal(bytes, Buffer.byteLength(r.body ?? ''), what);
    assert.equal(headers['content-length'], r.body === undefined ? undefined : String(bytes), what);
    assert.equal(headers.authorization, i < 2 ? 'Bearer one' : 'Bearer two', what);
    assert.equal(headers['mcp-session-id'], r.extra['mcp-session-id'], what);
    assert.equal(headers['x-api-key'], 'k1', what);
    assert.equal(headers.host, r.url === a.url ? a.host : b.host, what);
  }
});
