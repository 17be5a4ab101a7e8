import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isSharedJson,
  jsonText,
  messageChunks,
  messageJson,
  shareJson,
} from '../../../main/common/json-text.js';

test('messageJson gives exactly what JSON.stringify gives, shared members spliced in', () => {
  const list = shareJson({ tools: [{ name: 'a__é', description: 'ünïcode ✓', n: 1.5, x: null }] });
  const plain = { nested: { b: [1, 'two', { three: true }] } };
  const messages: Record<string, unknown>[] = [
    { jsonrpc: '2.0', id: 7, result: list },
    { jsonrpc: '2.0', id: 'x"y', result: plain },
    { jsonrpc: '2.0', id: null, error: { code: -1, message: 'no' } },
    { jsonrpc: '2.0', id: 1, result: list, skipped: undefined, fn: () => 1 },
    // An activity event's shape: small members around a shared one, in insertion order.
    { id: 3, time: 5, client: { name: 'é' }, gone: undefined, response: list, truncated: { response: 9 } },
    { skipped: undefined, response: list, after: 'ü', also: list, ['__proto__']: 'own', 7: 'int key' },
    { only: undefined },
    {},
  ];
  for (const m of messages) {
    const { text, bytes } = messageJson(m);
    assert.equal(text, JSON.stringify(m));
    assert.equal(bytes, Buffer.byteLength(JSON.stringify(m)), 'bytes are UTF-8 bytes, not characters');
  }
});

test('a shared value is frozen, serialised once, and a seeded text is used as given', () => {
  const tools = [{ name: 'one' }];
  const shared = shareJson({ tools });
  assert.ok(isSharedJson(shared));
  assert.ok(Object.isFrozen(shared));
  assert.throws(() => {
    (shared as Record<string, unknown>)['tools'] = [];
  }, TypeError);
  const first = jsonText(shared)!;
  assert.equal(first.text, '{"tools":[{"name":"one"}]}');
  // The text is kept: a later change deep inside (which sharing forbids) does not show.
  tools[0]!.name = 'changed';
  assert.equal(jsonText(shared)!.text, first.text);
  assert.equal(messageJson({ id: 1, result: shared }).text, `{"id":1,"result":${first.text}}`);

  const seeded = shareJson({ k: 1 }, '{"k":1}');
  assert.deepEqual(jsonText(seeded), { text: '{"k":1}', bytes: 7 });
  assert.ok(!isSharedJson({ k: 1 }), 'only marked values are shared');
  assert.equal(jsonText(undefined), undefined);
});

test('messageChunks: the same bytes as JSON.stringify; a big shared member is one Buffer, made once per value', () => {
  const tool = (i: number) => ({ name: `t_${i}`, description: `Tööl ${i} ✓ ${'x'.repeat(40)}` });
  const big = shareJson({ tools: Array.from({ length: 200 }, (_, i) => tool(i)) });
  const small = shareJson({ tools: [tool(0)] });
  const bytesOf = (chunks: (string | Buffer)[]) =>
    Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  const messages: Record<string, unknown>[] = [
    { jsonrpc: '2.0', id: 7, result: big },
    { jsonrpc: '2.0', id: 'é"', result: big, after: { n: 1 } },
    { jsonrpc: '2.0', id: 1, result: small },
    { jsonrpc: '2.0', id: 2, result: { plain: true } },
    { jsonrpc: '2.0', id: 3, result: big, skipped: undefined },
    {},
  ];
  for (const m of messages) {
    const { chunks, bytes } = messageChunks(m);
    const out = bytesOf(chunks);
    assert.equal(out.toString('utf8'), JSON.stringify(m));
    assert.equal(bytes, out.length, 'bytes: the exact UTF-8 length (the Content-Length)');
  }
  const first = messageChunks({ jsonrpc: '2.0', id: 1, result: big }).chunks;
  const again = messageChunks({ jsonrpc: '2.0', id: 2, result: big }).chunks;
  assert.equal(first.length, 3);
  assert.ok(Buffer.isBuffer(first[1]));
  assert.equal(again[1], first[1], 'the big list is encoded once, not per answer');
  assert.deepEqual(
    messageChunks({ jsonrpc: '2.0', id: 1, result: small }).chunks,
    [JSON.stringify({ jsonrpc: '2.0', id: 1, result: small })],
    'a small shared value is spliced as text (no Buffer keeping a pool slab)',
  );
  // A shared whole message (big) is its cached bytes too.
  const whole = shareJson({ jsonrpc: '2.0', id: 9, result: big });
  const w1 = messageChunks(whole).chunks;
  assert.equal(w1.length, 1);
  assert.equal(messageChunks(whole).chunks[0], w1[0]);
  assert.equal(bytesOf(w1).toString('utf8'), JSON.stringify(whole));

  // A rebuilt list is a new shared value: its own bytes, never the old list's.
  const rebuilt = shareJson({ tools: [...big.tools.slice(1), tool(999)] });
  const next = messageChunks({ jsonrpc: '2.0', id: 3, result: rebuilt }).chunks;
  assert.notEqual(next[1], first[1]);
  assert.equal(bytesOf(next).toString('utf8'), JSON.stringify({ jsonrpc: '2.0', id: 3, result: rebuilt }));
});
