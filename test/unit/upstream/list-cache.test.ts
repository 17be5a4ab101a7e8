import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fetchAllPages, ListCache } from '../../../main/gateway/upstream/list-cache.js';
import { UpstreamError } from '../../../main/gateway/upstream/types.js';

type Raw = Record<string, unknown>;

test('follows nextCursor until absent and keeps items as sent', async () => {
  const pages: Record<string, Raw> = {
    '': { tools: [{ name: 'a', extra: { x: 1 } }], nextCursor: 'p2' },
    p2: { tools: [{ name: 'b' }], nextCursor: 'p3' },
    p3: { tools: [{ name: 'c' }] },
  };
  const asked: unknown[] = [];
  const items = await fetchAllPages(async (method, params) => {
    asked.push([method, params]);
    return pages[(params?.cursor as string | undefined) ?? '']!;
  }, 'tools');
  assert.deepEqual(items, [{ name: 'a', extra: { x: 1 } }, { name: 'b' }, { name: 'c' }]);
  assert.deepEqual(asked, [
    ['tools/list', undefined],
    ['tools/list', { cursor: 'p2' }],
    ['tools/list', { cursor: 'p3' }],
  ]);
});

test('a repeated cursor ends the walk instead of looping', async () => {
  let n = 0;
  const items = await fetchAllPages(
    async () => ({ prompts: [{ name: `p${n++}` }], nextCursor: 'same' }),
    'prompts',
  );
  assert.deepEqual(
    items.map((i) => i.name),
    ['p0', 'p1'],
  );
});

test('method not found means an empty list; other errors propagate', async () => {
  assert.deepEqual(
    await fetchAllPages(async () => Promise.reject(new UpstreamError(-32601, 'nope')), 'resourceTemplates'),
    [],
  );
  await assert.rejects(
    fetchAllPages(async () => Promise.reject(new UpstreamError(-32603, 'boom')), 'resources'),
    /boom/,
  );
});

test('refreshes asked for during a fetch coalesce into one more fetch', async () => {
  let calls = 0;
  const gates: (() => void)[] = [];
  const cache = new ListCache(async () => {
    calls++;
    const mine = calls;
    await new Promise<void>((r) => gates.push(r));
    return { tools: [{ name: `v${mine}` }] };
  });
  const first = cache.refresh('tools');
  const second = cache.refresh('tools');
  const third = cache.refresh('tools');
  await new Promise((r) => setImmediate(r));
  gates.shift()!();
  await new Promise((r) => setImmediate(r));
  gates.shift()!();
  await Promise.all([first, second, third]);
  assert.equal(calls, 2);
  assert.deepEqual(cache.get('tools'), [{ name: 'v2' }]);
});
