import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Principal } from '../../../main/auth/types.js';
import { createMcpEndpoint } from '../../../main/gateway/front/mcp-endpoint.js';
import { createSessionStore } from '../../../main/gateway/front/sessions.js';
import type { FrontRouter } from '../../../main/gateway/router-tap.js';

// The endpoint answers a failure inside itself (a bug) on the one request it hit: the promise of
// handle() never rejects, so a listener needs no async frame per request to catch it (issue 16).

const principal = { kind: 'local', scopes: ['mcp:full'] } as unknown as Principal;
const router: FrontRouter = {
  request: () => Promise.resolve({ content: [{ type: 'text', text: 'ok' }] }),
  discoverResult: () => ({}),
  initializeResult: () => ({ protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 't' } }),
  addListener: () => () => {},
  broadcastNotification: () => {},
};

async function serve(
  endpoint: ReturnType<typeof createMcpEndpoint>,
): Promise<{ url: string; close(): void }> {
  // Deliberately without a catch: a rejected promise would be an unhandled rejection (a failed test).
  const server = createServer((req, res) => void endpoint.handle(req, res, principal));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: () => {
      server.closeAllConnections();
      server.close();
      endpoint.close();
    },
  };
}

const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const call = (id: number) =>
  JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'x', arguments: {} } });

/** Initializes a session; the headers of its later requests. */
async function openSession(url: string): Promise<Record<string, string>> {
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  await init.text();
  return {
    ...headers,
    'mcp-session-id': init.headers.get('mcp-session-id')!,
    'mcp-protocol-version': '2025-11-25',
  };
}

test('a failure before the answer: 500 with the reason and Connection: close; the next request is served', async (t) => {
  const sessions = createSessionStore();
  t.after(() => sessions.close());
  let broken = true;
  const get = sessions.get.bind(sessions);
  sessions.get = (id, p) => {
    if (broken) throw new Error('session table unreadable');
    return get(id, p);
  };
  const s = await serve(createMcpEndpoint({ router, sessions, holdGetStreams: true, maxBodyBytes: 1 << 20 }));
  t.after(() => s.close());
  const session = await openSession(s.url);

  const failed = await fetch(s.url, { method: 'POST', headers: session, body: call(1) });
  assert.equal(failed.status, 500);
  assert.equal(failed.headers.get('connection'), 'close');
  const error = ((await failed.json()) as { error: { code: number; message: string } }).error;
  assert.equal(error.code, -32603);
  assert.match(error.message, /Internal error in the gateway: session table unreadable/);

  broken = false;
  const ok = await fetch(s.url, { method: 'POST', headers: session, body: call(2) });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /"text":"ok"/);
});

test('a failure after the answer went out (the activity sink throws): the client has its answer, nothing rejects', async (t) => {
  const sessions = createSessionStore();
  t.after(() => sessions.close());
  let throws = 0;
  const activity = {
    record: (e: { method?: string }) => {
      if (e.method !== 'tools/call') return;
      throws++;
      throw new Error('sink broken');
    },
  };
  const s = await serve(
    createMcpEndpoint({ router, sessions, activity, holdGetStreams: true, maxBodyBytes: 1 << 20 }),
  );
  t.after(() => s.close());
  const session = await openSession(s.url);
  for (const id of [1, 2]) {
    const r = await fetch(s.url, { method: 'POST', headers: session, body: call(id) });
    assert.equal(r.status, 200);
    assert.match(await r.text(), new RegExp(`"id":${id}`));
  }
  assert.ok(throws >= 2, 'the sink was called for each call');
});
