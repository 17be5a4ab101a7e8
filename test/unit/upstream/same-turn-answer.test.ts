// An upstream's answer usually arrives whole, in the same socket read as its headers. The gateway
// takes it from the response's buffer at once instead of waiting for 'data' and 'end' events on
// later ticks: then the call's answer travels to its client in the same turn's microtasks, ahead of
// the work Node does to end that response and hand its socket back to the agent (issue 16: at c=1
// everything between the upstream's answer and the client's is added to the call).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { listenLocal } from './local-server.js';
import { createHttpClient, type HttpResponse } from '../../../main/gateway/upstream/http-client.js';
import { readSseAnswer } from '../../../main/gateway/upstream/sse-answer.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';

const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  listenLocal(createServer(handler));

/** Waits a loop turn at a time (reading nothing) until `cond` holds; fails after 5 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** Until the parser has seen the whole body. */
const whole = (res: HttpResponse): Promise<void> => until(() => res.body.complete, 'the body is complete');

// Characters of 2, 3 and 4 bytes: a body decoded in one piece must not cut any.
const ANSWER = { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'hé → 🙂' }] } };

test('text() of an answer that has fully arrived resolves before the response ends; the socket is reused', async () => {
  const srv = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ANSWER));
  });
  const client = createHttpClient();
  try {
    for (let i = 0; i < 3; i++) {
      const res = await client.send(srv.url, { method: 'POST', headers: {}, body: '{}' });
      await whole(res);
      const order: string[] = [];
      res.body.once('end', () => order.push('end'));
      const text = await res.text();
      order.push('text');
      assert.deepEqual(JSON.parse(text), ANSWER);
      await until(() => order.length === 2, 'the response ended');
      assert.deepEqual(order, ['text', 'end'], 'the answer is taken before the response ends');
    }
    assert.equal(srv.connections(), 1, 'the response still ends, so its socket goes back to the pool');
  } finally {
    client.close();
    await srv.close();
  }
});

test('an SSE answer that has fully arrived is delivered before readSseAnswer returns', async () => {
  const srv = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // The 2025-11-25 priming event (an id, empty data), then the answer, in one write.
    res.end(`id: p1\ndata:\n\nevent: message\nid: e7\ndata: ${JSON.stringify(ANSWER)}\n\n`);
  });
  const client = createHttpClient();
  try {
    const res = await client.send(srv.url, { method: 'POST', headers: {}, body: '{}' });
    await whole(res);
    const delivered: RawObject[] = [];
    const ids: string[] = [];
    const answered = readSseAnswer(res.body, 7, {
      deliver: (m) => delivered.push(m),
      onId: (id) => ids.push(id),
      onRetry: () => {},
    });
    assert.deepEqual(delivered, [ANSWER], 'delivered in this turn, not on a later data event');
    assert.deepEqual(ids, ['p1', 'e7']);
    assert.equal(await answered, true);
  } finally {
    client.close();
    await srv.close();
  }
});

test('an SSE answer that comes after its priming event is still read from the stream', async () => {
  let release: (() => void) | undefined;
  const srv = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('id: p1\ndata:\n\n');
    release = () => res.end(`event: message\nid: e7\ndata: ${JSON.stringify(ANSWER)}\n\n`);
  });
  const client = createHttpClient();
  try {
    const res = await client.send(srv.url, { method: 'POST', headers: {}, body: '{}' });
    await until(() => res.body.readableLength > 0, 'the priming event is buffered');
    const delivered: RawObject[] = [];
    const answered = readSseAnswer(res.body, 7, {
      deliver: (m) => delivered.push(m),
      onId: () => {},
      onRetry: () => {},
    });
    assert.deepEqual(delivered, [], 'only the priming event is there yet');
    release!();
    assert.equal(await answered, true);
    assert.deepEqual(delivered, [ANSWER]);
  } finally {
    client.close();
    await srv.close();
  }
});
