// A broken or hostile remote upstream must not take the gateway down with one huge answer (say to
// the server/discover probe every Streamable HTTP upstream is now sent first). Unbounded, a JSON
// answer past about 512 Mi characters threw ERR_STRING_TOO_LONG from the response's 'end' handler,
// which ended the process (reproduced with a 700 MiB discover answer through the upstream manager);
// an SSE event that never ends grew one string the same way. Limits are lowered here so the test
// moves kilobytes, not gigabytes: the code path is the production one.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { listenLocal } from './local-server.js';
import { createHttpClient, MAX_ANSWER_BYTES } from '../../../main/gateway/upstream/http-client.js';
import { readSseAnswer } from '../../../main/gateway/upstream/sse-answer.js';
import { MAX_EVENT_CHARS, SseDecoder } from '../../../main/gateway/upstream/sse-parser.js';

const serve = (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
  listenLocal(createServer(handler));

/** Writes `kib` KiB of 'a' (after `head`), 16 KiB a write, then `tail`. */
function pour(res: ServerResponse, head: string, kib: number, tail: string): void {
  const chunk = 'a'.repeat(16 * 1024);
  res.write(head);
  let left = kib / 16;
  const more = (): void => {
    while (left > 0) {
      left--;
      if (!res.write(chunk)) return void res.once('drain', more);
    }
    res.end(tail);
  };
  more();
}

test('the default limits stay below what Node can hold in one string (about 512 Mi characters)', () => {
  assert.ok(MAX_ANSWER_BYTES < 0x1fffffe8 / 2, String(MAX_ANSWER_BYTES));
  assert.ok(MAX_EVENT_CHARS < 0x1fffffe8 / 2, String(MAX_EVENT_CHARS));
});

test('text() of an answer over maxAnswerBytes rejects with what happened; the client keeps working', async () => {
  let huge = true;
  const srv = await serve((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    if (huge) pour(res, '{"jsonrpc":"2.0","id":1,"result":{"x":"', 512, '"}}');
    else res.end('{"jsonrpc":"2.0","id":2,"result":{}}');
  });
  const client = createHttpClient({ maxAnswerBytes: 64 * 1024 });
  try {
    const res = await client.send(srv.url, { method: 'POST', body: '{}', headers: {} });
    await assert.rejects(res.text(), /the answer is larger than 65536 bytes; the gateway stopped reading it/);
    huge = false;
    const ok = await client.send(srv.url, { method: 'POST', body: '{}', headers: {} });
    assert.equal(await ok.text(), '{"jsonrpc":"2.0","id":2,"result":{}}');
  } finally {
    client.close();
    await srv.close();
  }
});

test('an answer over maxAnswerBytes that arrived whole (one read) is refused the same way', async () => {
  let huge = true;
  const srv = await serve((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      huge ? `{"jsonrpc":"2.0","id":1,"result":{"x":"${'a'.repeat(2000)}"}}` : '{"jsonrpc":"2.0","id":2}',
    );
  });
  const client = createHttpClient({ maxAnswerBytes: 1000 });
  try {
    const res = await client.send(srv.url, { method: 'POST', body: '{}', headers: {} });
    while (!res.body.complete) await new Promise((r) => setImmediate(r));
    await assert.rejects(res.text(), /the answer is larger than 1000 bytes; the gateway stopped reading it/);
    huge = false;
    const ok = await client.send(srv.url, { method: 'POST', body: '{}', headers: {} });
    assert.equal(await ok.text(), '{"jsonrpc":"2.0","id":2}');
  } finally {
    client.close();
    await srv.close();
  }
});

test('an SSE event longer than the limit is refused: a line that never ends, or endless data lines', () => {
  const events: string[] = [];
  const d = new SseDecoder({ onEvent: (ev) => events.push(ev.data) }, 1000);
  d.push('data: small\n\n');
  assert.deepEqual(events, ['small']);
  assert.throws(() => {
    for (let i = 0; i < 10; i++) d.push('x'.repeat(200));
  }, /an event of the stream is longer than 1000 characters; the gateway stopped reading it/);
  const lines = new SseDecoder({ onEvent: () => {} }, 1000);
  assert.throws(() => {
    for (let i = 0; i < 100; i++) lines.push(`data: ${'y'.repeat(50)}\n`);
  }, /longer than 1000 characters/);
  // Many events that are each small are fine, however long the stream.
  const many = new SseDecoder({ onEvent: (ev) => events.push(ev.data) }, 1000);
  for (let i = 0; i < 100; i++) many.push(`data: ${'z'.repeat(50)}\n\n`);
  assert.equal(events.length, 101);
});

test('an SSE answer with an endless event ends its stream with the reason, and the process lives on', async () => {
  const srv = await serve((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    pour(res, 'data: ', 512, '\n\n');
  });
  const client = createHttpClient();
  try {
    const res = await client.send(srv.url, { method: 'POST', body: '{}', headers: {} });
    let reason: string | undefined;
    const delivered: unknown[] = [];
    const answered = await readSseAnswer(
      res.body,
      1,
      {
        deliver: (m) => delivered.push(m),
        onId: () => {},
        onRetry: () => {},
        tooLong: (r) => (reason = r),
      },
      64 * 1024,
    );
    assert.equal(answered, false);
    assert.deepEqual(delivered, []);
    assert.match(reason ?? '', /an event of the stream is longer than 65536 characters/);
  } finally {
    client.close();
    await srv.close();
  }
});
