import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSharedJson, jsonText, messageJson, shareJson } from '../../../main/common/json-text.js';

test('messageJson gives exactly what JSON.stringify gives, shared members spliced in', () => {
  const list = shareJson({ tools: [{ name: 'a__é', description: 'ünïcode ✓', n: 1.5, x: null }] });
  const plain = { nested: { b: [1, 'two', { three: true }] } };
  const messages: Record<string, unknown>[] = [
    { jsonrpc: '2.0', id: 7, result: list },
    { jsonrpc: '2.0', id: 'x"y', result: plain },
    { jsonrpc: '2.0', id: null, error: { code: -1, message: 'no' } },
    { jsonrpc: '2.0', id: 1, result: list, skipped: undefined, fn: () => 1 },
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
