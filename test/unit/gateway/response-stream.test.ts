import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { shareJson } from '../../../main/common/json-text.js';
import { createResponseStream } from '../../../main/gateway/front/response-stream.js';
import { Heartbeats } from '../../../main/gateway/front/heartbeats.js';
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
      sent = createResponseStream(res, { sseAllowed: true, headers: ['Mcp-Session-Id', 's1'] }).finish(reply);
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
    const stream = createResponseStream(res, { sseAllowed: true, openLog: () => log });
    stream.event(progress);
    stream.finish(reply);
  });
  assert.equal(
    r.body.toString('utf8'),
    `id: p1-1\nevent: message\ndata: ${JSON.stringify(progress)}\n\nid: p1-2\nevent: message\ndata: ${JSON.stringify(reply)}\n\n`,
  );
});

test('a JSON answer makes no log; one that turns into SSE makes its log then, once', async () => {
  let made = 0;
  const openLog = () => (made++, new StreamLog('p1', { graceMs: 1000, onAbandoned: () => {} }));
  const quick = await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, openLog });
    stream.finish({ jsonrpc: '2.0', id: 1, result: {} });
    assert.equal(stream.log, undefined);
  });
  assert.equal(quick.headers['content-type'], 'application/json');
  assert.equal(made, 0, 'a plain JSON answer has nothing to resume');
  await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, openLog, primeRetryMs: 1000 });
    stream.event(progress);
    stream.event(progress);
    stream.finish({ jsonrpc: '2.0', id: 2, result: {} });
    assert.ok(stream.log?.started);
  });
  assert.equal(made, 1);
});

test('keep-alive comments: one timer for all answers, none per answer; a slow answer gets comments', async (t) => {
  // A period no answer here lasts: the first add arms the one timer, which never fires meanwhile.
  const quickBeats = new Heartbeats(60_000);
  const timeouts = t.mock.method(globalThis, 'setTimeout');
  const intervals = t.mock.method(globalThis, 'setInterval');
  for (const id of [1, 2, 3]) {
    const quick = await exchange((res) => {
      const stream = createResponseStream(res, { sseAllowed: true, heartbeats: quickBeats });
      stream.finish({ jsonrpc: '2.0', id, result: {} });
    });
    assert.equal(quick.headers['content-type'], 'application/json');
  }
  const armed = timeouts.mock.calls.filter((c) => c.arguments[1] === 60_000);
  assert.equal(armed.length, 1, 'one keep-alive timer for three answers');
  quickBeats.stop();

  const heartbeats = new Heartbeats(20);
  assert.equal(intervals.mock.callCount(), 0, 'no interval per answer');

  const slow = await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, heartbeats });
    // Answered once the client has had a comment: the stream switched to SSE for it.
    const poll = setInterval(() => {
      if (res.headersSent) {
        clearInterval(poll);
        stream.finish({ jsonrpc: '2.0', id: 4, result: {} });
      }
    }, 5);
  });
  assert.equal(slow.headers['content-type'], 'text/event-stream');
  assert.match(slow.body.toString(), /^: keep-alive\n\n/);
  assert.match(slow.body.toString(), /"id":4/);
  heartbeats.stop();
});

test('keep-alive comments keep coming while an answer is due', async () => {
  const heartbeats = new Heartbeats(15);
  const r = await exchange((res) => {
    const stream = createResponseStream(res, { sseAllowed: true, heartbeats });
    let beats = 0;
    const beat = stream.beat.bind(stream);
    stream.beat = () => {
      beat();
      if (++beats === 3) stream.finish({ jsonrpc: '2.0', id: 9, result: {} });
    };
  });
  assert.equal(r.body.toString().match(/: keep-alive\n\n/g)?.length, 3);
  assert.match(r.body.toString(), /"id":9/);
  heartbeats.stop();
});

test('heartbeats: each waiting answer beats, a removed one never', async () => {
  const heartbeats = new Heartbeats(10);
  const counts = { a: 0, b: 0, c: 0 };
  let done: () => void = () => {};
  const finished = new Promise<void>((ok) => (done = ok));
  const a = {
    beat: () => {
      if (++counts.a === 3) {
        heartbeats.remove(a);
        heartbeats.remove(c);
        done();
      }
    },
  };
  const b = { beat: () => counts.b++ };
  const c = { beat: () => counts.c++ };
  heartbeats.add(a);
  heartbeats.add(b);
  heartbeats.add(c);
  heartbeats.remove(b);
  // The heartbeat timer does not hold the process open (unref), so this test does.
  const alive = setInterval(() => {}, 1000);
  await finished;
  clearInterval(alive);
  assert.equal(counts.b, 0, 'removed before it was due');
  assert.ok(counts.c >= 2, `the other waiting answer beat too (${counts.c})`);
  heartbeats.stop();
});
