// CallMap and CallSet keep Map and Set semantics for the per-call tables that use them (issue 16):
// lookups, replacement, insertion order, deletion during a loop, clear. What they are for (nothing of
// a call survives a scavenge through them) is measured by `profile.ts --upstream http . gc`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallMap, CallSet } from '../../../main/common/call-tables.js';

test('CallMap: get, has, set (replace keeps the place), delete, size', () => {
  const m = new CallMap<string | number, { n: number }>();
  const a = { n: 1 };
  const b = { n: 2 };
  assert.equal(m.set('a', a), m);
  m.set(2, b);
  assert.equal(m.size, 2);
  assert.equal(m.get('a'), a);
  assert.equal(m.get(2), b);
  assert.equal(m.get('2'), undefined, 'the number 2 and the string "2" are different keys, as in a Map');
  assert.equal(m.has('a'), true);
  const a2 = { n: 3 };
  m.set('a', a2);
  assert.deepEqual([...m.values()], [a2, b]);
  assert.equal(m.delete('a'), true);
  assert.equal(m.delete('a'), false);
  assert.equal(m.get('a'), undefined);
  assert.equal(m.has('a'), false);
  assert.equal(m.size, 1);
  m.clear();
  assert.equal(m.size, 0);
  assert.deepEqual([...m.values()], []);
});

test('CallMap: a loop over its values sees entries set meanwhile, as a Map does', () => {
  const m = new CallMap<number, string>();
  m.set(1, 'v1');
  const seen: string[] = [];
  for (const v of m.values()) {
    seen.push(v);
    if (v === 'v1') m.set(2, 'v2');
  }
  assert.deepEqual(seen, ['v1', 'v2']);
});

test('CallMap: deleting while iterating its values goes on with the rest', () => {
  const m = new CallMap<number, string>();
  for (let i = 1; i <= 5; i++) m.set(i, `v${i}`);
  const seen: string[] = [];
  for (const v of m.values()) {
    seen.push(v);
    m.delete(Number(v.slice(1)));
    if (v === 'v2') m.delete(3);
  }
  assert.deepEqual(seen, ['v1', 'v2', 'v4', 'v5']);
  assert.equal(m.size, 0);
});

test('CallSet: insertion order, first(), add of a member keeps its place, delete anywhere', () => {
  const s = new CallSet<{ id: string }, number>();
  // Distinct contents: deepEqual compares structure, so `{}`s would pass in any order.
  const [a, b, c, d] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }];
  s.add(a, 1).add(b, 2).add(c, 3);
  assert.equal(s.size, 3);
  assert.equal(s.first(), a);
  s.add(a, 10);
  assert.deepEqual(
    [...s],
    [
      [a, 10],
      [b, 2],
      [c, 3],
    ],
  );
  assert.equal(s.delete(b), true, 'from the middle');
  assert.equal(s.delete(b), false);
  assert.equal(s.has(b), false);
  assert.equal(s.get(b), undefined);
  assert.deepEqual(s.keys(), [a, c]);
  assert.equal(s.delete(a), true, 'the first');
  assert.equal(s.first(), c);
  s.add(d, 4);
  assert.equal(s.delete(d), true, 'the last');
  assert.deepEqual(s.keys(), [c]);
  s.add(a, 5);
  assert.deepEqual(s.keys(), [c, a], 'a deleted key comes back at the back');
  assert.equal(s.size, 2);
  s.clear();
  assert.equal(s.size, 0);
  assert.equal(s.first(), undefined);
  assert.equal(s.has(c), false);
  s.add(b);
  assert.deepEqual([...s], [[b, true]], 'usable after clear, a plain set by default');
});

test('CallSet: a loop over it sees the entries as they were; it may delete and add meanwhile', () => {
  const s = new CallSet<{ id: number }>();
  const items = [1, 2, 3, 4].map((id) => ({ id }));
  for (const i of items) s.add(i);
  const seen: number[] = [];
  for (const [item] of s) {
    seen.push(item.id);
    s.delete(item);
    if (item.id === 1) s.delete(items[2]!);
    s.add({ id: item.id * 10 });
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(
    s.keys().map((i) => i.id),
    [10, 20, 30, 40],
  );
});

test('CallSet: a queue drained from first() (the keep-alive and in-flight tickers)', () => {
  const s = new CallSet<{ at: number }, number>();
  const items = [5, 7, 9].map((at) => ({ at }));
  for (const i of items) s.add(i, i.at);
  const now = 8;
  const due: number[] = [];
  for (let k = s.first(); k !== undefined && s.get(k)! <= now; k = s.first()) {
    due.push(k.at);
    s.delete(k);
    s.add(k, k.at + 100); // due again later: to the back
  }
  assert.deepEqual(due, [5, 7]);
  assert.deepEqual(
    [...s].map(([k, v]) => [k.at, v]),
    [
      [9, 9],
      [5, 105],
      [7, 107],
    ],
  );
});
