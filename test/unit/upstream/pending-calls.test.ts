import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PendingCalls, type PendingCall } from '../../../main/gateway/upstream/pending-calls.js';
import type { UpstreamError } from '../../../main/gateway/upstream/types.js';

function call(calls: PendingCalls, internal = false, callKey?: string, params?: Record<string, unknown>) {
  const mapped = calls.mapProgressToken(params);
  const errors: UpstreamError[] = [];
  let disposed = 0;
  const c: PendingCall = {
    id: calls.allocateId(),
    method: 'tools/call',
    callKey,
    internal,
    resolve: () => {},
    reject: (e) => errors.push(e),
    originalToken: mapped.original,
    mappedToken: mapped.mapped,
    deadline: Infinity,
    touch: () => {},
    expire: () => {},
    dispose: () => disposed++,
  };
  calls.add(c);
  return { c, mapped, errors, disposed: () => disposed };
}

test('ids are unique and found by number or numeric string', () => {
  const calls = new PendingCalls('tg-');
  const a = call(calls).c;
  const b = call(calls).c;
  assert.notEqual(a.id, b.id);
  assert.equal(calls.get(String(b.id)), b);
  assert.equal(calls.take(a.id), a);
  assert.equal(calls.get(a.id), undefined);
});

test('progress tokens: replaced, original kept, params otherwise untouched', () => {
  const calls = new PendingCalls('tg-');
  const params = {
    name: 'x',
    arguments: { a: 1 },
    _meta: { progressToken: 5, 'openai/userLocation': { city: 'x' } },
  };
  const { mapped, c } = call(calls, false, 'k', params);
  assert.equal(mapped.original, 5);
  assert.match(String(mapped.mapped), /^tg-\d+$/);
  assert.deepEqual(mapped.params, {
    name: 'x',
    arguments: { a: 1 },
    _meta: { progressToken: mapped.mapped, 'openai/userLocation': { city: 'x' } },
  });
  assert.equal(params._meta.progressToken, 5, 'the caller object is not mutated');
  assert.equal(calls.byProgressToken(mapped.mapped), c);
  assert.equal(calls.byProgressToken(5), undefined);
  assert.deepEqual(calls.mapProgressToken({ name: 'y' }), { params: { name: 'y' } });
});

test('soleExternal: only when exactly one caller call is in flight', () => {
  const calls = new PendingCalls('tg-');
  call(calls, true);
  const one = call(calls, false, 'k1').c;
  assert.equal(calls.soleExternal(), one);
  call(calls, false, 'k2');
  assert.equal(calls.soleExternal(), undefined);
});

test('rejectAll rejects and disposes every call', () => {
  const calls = new PendingCalls('tg-');
  const a = call(calls);
  const b = call(calls);
  calls.rejectAll((c) => ({ code: -32000, message: `gone ${c.id}` }) as UpstreamError);
  assert.equal(a.errors.length + b.errors.length, 2);
  assert.equal(a.disposed() + b.disposed(), 2);
  assert.equal(calls.size, 0);
});

test('a deadline past setTimeout range (a timeoutMs of weeks) waits, instead of a timer every millisecond', async () => {
  // Node sets a delay over 2^31-1 ms to 1 ms (TimeoutOverflowWarning): the one timer would fire
  // every millisecond, find the call not due yet and set itself again, a busy loop for the call's life.
  const overflow: Error[] = [];
  const onWarning = (w: Error): void => void (w.name === 'TimeoutOverflowWarning' && overflow.push(w));
  process.on('warning', onWarning);
  const calls = new PendingCalls('tg-');
  const { c } = call(calls);
  try {
    let expired = 0;
    Object.assign(c, { deadline: performance.now() + 40 * 86_400_000, expire: () => expired++ });
    calls.due(c.deadline);
    // The warning is emitted on a later tick than setTimeout's.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      overflow.map((w) => w.message),
      [],
    );
    assert.equal(expired, 0);
  } finally {
    // Taken: no timer left behind, whichever way the test went.
    calls.take(c.id);
    process.off('warning', onWarning);
  }
});
