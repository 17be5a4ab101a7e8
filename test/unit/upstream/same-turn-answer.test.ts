// An upstream's answer usually arrives whole, in the same socket read as its headers. The gateway
// takes it from the response's buffer at once instead of waiting for 'data' and 'end' events on
// later ticks: then the call's answer travels to its client in the same turn's microtasks, ahead of
// the work Node does to end that response and hand its socket back to the agent (issue 16: at c=1
// everything between the upstream's answer and the client's is added to the call).
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { listenLocal } from './local-server.js';
import {
  createHttpClient,
  RequestHandle,
  type HttpResponse,
} from '../../../main/gateway/upstream/http-client.js';
import { readSseAnswer } from '../../../main/gateway/upstream/sse-answer.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';

const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  listenLocal(createServer(handler));

/**
 * A local server answering with `handler` and a client of it (`clientOptions`), both closed once
 * `run` is done, whatever happens in it.
 */
async function withLocal(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  run: (srv: Awaited<ReturnType<typeof serve>>, client: ReturnType<typeof createHttpClient>) => Promise<void>,
  clientOptions?: Parameters<typeof createHttpClient>[0],
): Promise<void> {
  const srv = await serve(handler);
  const client = createHttpClient(clientOptions);
  try {
    await run(srv, client);
  } finally {
    client.close();
    await srv.close();
  }
}

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

/** An upstream that answers every request with ANSWER as JSON. */
const answerJson = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(ANSWER));
};

test('text() of an answer that has fully arrived resolves before the response ends; the socket is reused', async () => {
  await withLocal(answerJson, async (srv, client) => {
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
  });
});

/** An upstream that answers every request with ANSWER as an SSE stream. */
const answerSse = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  // The 2025-11-25 priming event (an id, empty data), then the answer, in one write.
  res.end(`id: p1\ndata:\n\nevent: message\nid: e7\ndata: ${JSON.stringify(ANSWER)}\n\n`);
};

test('an SSE answer that has fully arrived is delivered before readSseAnswer returns', async () => {
  await withLocal(answerSse, async (srv, client) => {
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
  });
});

test('an SSE answer taken whole leaves no listener on its body, and its socket still goes back to the pool', async () => {
  await withLocal(answerSse, async (srv, client) => {
    for (let i = 0; i < 3; i++) {
      const res = await client.send(srv.url, { method: 'POST', headers: {}, body: '{}' });
      await whole(res);
      const before = { data: res.body.listenerCount('data'), end: res.body.listenerCount('end') };
      const answered = readSseAnswer(res.body, 7, { deliver: () => {}, onId: () => {}, onRetry: () => {} });
      assert.equal(await answered, true);
      // Nothing more can come: a 'data', 'end' or 'close' listener per call would be work for nothing.
      assert.deepEqual(
        { data: res.body.listenerCount('data'), end: res.body.listenerCount('end') },
        before,
        'no data or end listener added',
      );
      await until(() => res.body.readableEnded, 'the response ended');
    }
    assert.equal(srv.connections(), 1, 'each response still ended and handed its socket back');
  });
});

test('the response hook runs in the response event; when it reads the body itself, send() settles after this turn', async () => {
  await withLocal(answerJson, async (srv, client) => {
    for (const takes of [false, true]) {
      const order: string[] = [];
      class Hooked extends RequestHandle {
        override onResponse(r: HttpResponse): boolean {
          // In the event itself: the body that came with the headers is not parsed yet; in a microtask it is.
          order.push(`hook ${r.status} ${r.body.complete ? 'complete' : 'headers only'}`);
          queueMicrotask(() => order.push(`microtask ${r.body.complete ? 'complete' : 'headers only'}`));
          setImmediate(() => order.push('next phase'));
          return takes;
        }
      }
      const sent = client.send(srv.url, { method: 'POST', headers: {}, body: '{}', handle: new Hooked() });
      void sent.then(() => order.push('resolved'));
      const res = await sent;
      await until(() => order.length === 4, 'the next phase ran');
      const rest = takes ? ['next phase', 'resolved'] : ['resolved', 'next phase'];
      assert.deepEqual(
        order,
        ['hook 200 headers only', 'microtask complete', ...rest],
        `hook returned ${takes}`,
      );
      assert.deepEqual(JSON.parse(await res.text()), ANSWER);
    }
  });
});

test('an SSE answer that comes after its priming event is still read from the stream', async () => {
  let release: (() => void) | undefined;
  await withLocal(
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: p1\ndata:\n\n');
      release = () => res.end(`event: message\nid: e7\ndata: ${JSON.stringify(ANSWER)}\n\n`);
    },
    async (srv, client) => {
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
    },
  );
});

// On the old code the second request waits for a socket that never comes back: fail in 10 s, not 300.
test(
  'a discarded answer that has fully arrived (a 202, a 404) hands its socket back to the pool',
  { timeout: 10_000 },
  async () => {
    // One socket: a socket held by an unread body would leave the next request waiting for good.
    await withLocal(
      (req, res) => {
        if (req.headers['x-status'] === '404')
          res.writeHead(404, { 'content-type': 'text/plain' }).end('no such session');
        else res.writeHead(202).end();
      },
      async (srv, client) => {
        for (let i = 0; i < 10; i++) {
          const headers = { 'x-status': i % 2 === 0 ? '202' : '404' };
          const res = await client.send(srv.url, { method: 'POST', headers, body: '{}' });
          await whole(res);
          res.discard();
        }
        assert.equal(srv.connections(), 1, 'ten answered notifications on one connection');
      },
      { maxSockets: 1 },
    );
  },
);

test('aborting a call whose answer was taken is harmless: no uncaught error, the socket is reused', async () => {
  // An abort Node emits on the socket it took back is an uncaught error, which the runner fails.
  await withLocal(answerJson, async (srv, client) => {
    for (let i = 0; i < 4; i++) {
      // By handle (the per-call path) and by AbortSignal (everything else), each right after text().
      const handle = i % 2 === 0 ? new RequestHandle() : undefined;
      const ctl = i % 2 === 0 ? undefined : new AbortController();
      const res = await client.send(srv.url, {
        method: 'POST',
        headers: {},
        body: '{}',
        handle,
        signal: ctl?.signal,
      });
      await whole(res);
      assert.deepEqual(JSON.parse(await res.text()), ANSWER);
      handle?.abort();
      ctl?.abort();
      await until(() => res.body.destroyed, 'the response is done');
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(srv.connections(), 1, 'an abort after the answer does not cost the socket');
  });
});
