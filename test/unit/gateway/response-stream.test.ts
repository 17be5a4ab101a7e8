import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shareJson } from '../../../main/common/json-text.js';
import { createResponseStream } from '../../../main/gateway/front/response-stream.js';
import { StreamLog } from '../../../main/gateway/front/stream-log.js';

// The final answer of a POST goes out as JSON or as the last SSE event; a big shared result (the
// merged tool list) is written from its cached bytes (issue 16). Over a real socket, byte for byte.

/** What a client reads from one response written by `answer`. */
async function exchange(
  answer: (res: ServerResponse) => void,
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const server = createServer((_req, res) => answer(res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  try {
    return await new Promise((ok, fail) => {
      const req = request(
        { host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/mcp' },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end('{}');
    });
  } finally {
    server.close();
  }
}

const bigList = () =>
  shareJson({
    tools: Array.from({ length: 100 }, (_, i) => ({
      name: `t_${i}`,
      description: `Tööl ${i}: ✓ ${'x'.repeat(50)}`,
    })),
  });
const progress = {
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 1, progress: 1 },
};

test('a JSON answer with a big shared result: exact bytes, Content-Length in bytes, session header kept', async () => {
  const result = bigList();
  for (const id of [1, 2]) {
    const reply = { jsonrpc: '2.0', id, result };
    let sent = 0;
    const r = await exchange((res) => {
      sent = createResponseStream(res, { sseAllowed: true, headers: { 'Mcp-Session-Id': 's1' } }).finish(
        reply,
      );
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['mcp-session-id'], 's1');
    assert.equal(r.body.toString('utf8'), JSON.stringify(reply));
    assert.equal(Number(r.headers['content-length']), r.body.length);
    assert.equal(sent, r.body.length, 'finish() returns the bytes sent (the activity log records them)');
  }
});

test('an SSE answer (progress first) ends with the result as its last event, big shared or not', async () => {
  for (const result of [bigList(), { content: [{ type: 'text', text: 'klein ✓' }] }]) {
    const reply = { jsonrpc: '2.0', id: 5, result };
    const r = await exchange((res) => {
      const stream = createResponseStream(res, { sseAllowed: true });
      assert.ok(stream.event(progress));
      stream.finish(reply);
    });
    assert.equal(r.headers['content-type'], 'text/event-stream');
    assert.equal(
      r.body.toString('utf8'),
      `event: message\ndata: ${JSON.stringify(progress)}\n\nevent: message\ndata: ${JSON.stringify(reply)}\n\n`,
    );
  }
});

test('a resumable SSE answer (session era log) keeps the result as an event with its id', async () => {
  const reply = { jsonrpc: '2.0', id: 6, result: bigList() };
  const log = new StreamLog('p1', { graceMs: 1000, onAbandoned: () => {} });
  const r = await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, log });
    stream.event(progress);
    stream.finish(reply);
  });
  assert.equal(
    r.body.toString('utf8'),
    `id: p1-1\nevent: message\ndata: ${JSON.stringify(progress)}\n\nid: p1-2\nevent: message\ndata: ${JSON.stringify(reply)}\n\n`,
  );
});

test('the keep-alive timer is armed after the turn: an answer given at once arms none, a slow one gets comments', async (t) => {
  const made = t.mock.method(globalThis, 'setInterval');
  const quick = await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, heartbeatMs: 20 });
    stream.finish({ jsonrpc: '2.0', id: 1, result: {} });
  });
  assert.equal(quick.headers['content-type'], 'application/json');
  assert.equal(made.mock.callCount(), 0, 'no timer for an answer given in the turn its request came');

  const slow = await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, heartbeatMs: 20 });
    // Answered once the client has had a comment: the stream switched to SSE for it.
    const poll = setInterval(() => {
      if (res.headersSent) {
        clearInterval(poll);
        stream.finish({ jsonrpc: '2.0', id: 2, result: {} });
      }
    }, 5);
  });
  assert.equal(slow.headers['content-type'], 'text/event-stream');
  assert.match(slow.body.toString(), /^: keep-alive\n\n/);
  assert.match(slow.body.toString(), /"id":2/);
});
