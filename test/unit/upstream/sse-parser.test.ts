import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSseEvents } from '../../../main/gateway/upstream/sse-parser.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

async function collect(chunks: string[]) {
  const ids: string[] = [];
  const events = [];
  for await (const e of readSseEvents(streamOf(chunks), (id) => ids.push(id))) events.push(e);
  return { events, ids };
}

test('parses events across chunk borders, CRLF/CR/LF, comments and multi-line data', async () => {
  const { events } = await collect([
    ': comment\r\nevent: endpoint\r',
    '\ndata: /messages?s',
    'essionId=1\r\n\r\n',
    'data: {"a":\ndata: 1}\n\n',
    'data:x\r\rdata: é',
  ]);
  assert.deepEqual(events, [
    { event: 'endpoint', data: '/messages?sessionId=1' },
    { event: 'message', data: '{"a":\n1}' },
    { event: 'message', data: 'x' },
  ]);
});

test('ids and retry are reported; a priming event with no data still sets the last id', async () => {
  const { events, ids } = await collect([
    'id: 7\nretry: 1500\ndata:\n\n',
    'id: 8\ndata: {"x":1}\n\n',
    'id: 9\n\n',
  ]);
  assert.deepEqual(events, [
    { event: 'message', data: '', id: '7', retry: 1500 },
    { event: 'message', data: '{"x":1}', id: '8' },
  ]);
  assert.deepEqual(ids, ['7', '8', '9']);
});

test('a field is known by its exact name (before the first colon); its value loses one leading space', async () => {
  const { events, ids } = await collect([
    // Not data: a longer name, a space before the colon, a shorter name, a comment.
    'datax: 1\ndata :2\ndat: 3\n:data: 4\n',
    // "data" alone is an empty line of data; two spaces keep one; a colon in the value stays.
    'data\ndata:  two\ndata: a:b\n\n',
    // A name cut by a chunk border, an empty event name, an id with NUL (ignored), retry not a number.
    'ev',
    'ent: custom\nid: 5\ndata: x\n\nevent\nid: 6\0\nretry: 12ms\nda',
    'ta: y\n\n',
    // "id" alone empties the last event id; "event:message" without a space.
    'id\nevent:message\ndata: z\n\n',
  ]);
  assert.deepEqual(events, [
    { event: 'message', data: '\n two\na:b' },
    { event: 'custom', data: 'x', id: '5' },
    { event: 'message', data: 'y', id: '5' },
    { event: 'message', data: 'z', id: '' },
  ]);
  assert.deepEqual(ids, ['5', '5', '']);
});
