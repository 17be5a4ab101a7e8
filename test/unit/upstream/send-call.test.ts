// A call's timeout and abort listener are armed after the turn that sends it, so that an HTTP
// upstream's request (written on a later tick of that turn) does not wait behind them (issue 16).
// What must not change: an abort that comes before they are armed still cancels the call, and a
// call answered before then arms nothing.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { PendingCalls } from '../../../main/gateway/upstream/pending-calls.js';
import { sendCall } from '../../../main/gateway/upstream/send-call.js';
import { UPSTREAM_ERROR, UpstreamError, type RawObject } from '../../../main/gateway/upstream/types.js';
import type { WireTransport } from '../../../main/gateway/upstream/wire-transport.js';

function fakeLink() {
  const sent: RawObject[] = [];
  const link: WireTransport = {
    start: async () => {},
    send: async (m) => void sent.push(m),
    close: async () => {},
  };
  return { link, sent };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A call of `link` that the caller may abort with `signal`, timing out after `timeoutMs`. */
function call(link: WireTransport, calls: PendingCalls, signal?: AbortSignal, timeoutMs = 60_000) {
  return sendCall({
    name: 'up',
    link,
    calls,
    method: 'tools/call',
    params: { name: 'echo' },
    opts: { signal },
    timeoutMs,
    stateless: false,
    onStartError: () => {},
  });
}

test('the abort listener is added after the sending turn, and removed when the call is answered', async () => {
  const { link, sent } = fakeLink();
  const calls = new PendingCalls('tg-');
  const ctrl = new AbortController();
  const answer = call(link, calls, ctrl.signal);
  assert.equal(sent.length, 1, 'the request is sent at once');
  assert.equal(getEventListeners(ctrl.signal, 'abort').length, 0, 'nothing armed before the send');
  await turn();
  assert.equal(getEventListeners(ctrl.signal, 'abort').length, 1);
  calls.take(sent[0]!.id as number)!.resolve({ ok: true });
  assert.deepEqual(await answer, { ok: true });
  assert.equal(getEventListeners(ctrl.signal, 'abort').length, 0);
});

test('an abort before the call is armed still cancels it, and the upstream is told', async () => {
  const { link, sent } = fakeLink();
  const calls = new PendingCalls('tg-');
  const ctrl = new AbortController();
  const answer = call(link, calls, ctrl.signal);
  ctrl.abort(new Error('client went away'));
  await assert.rejects(
    answer,
    (e: unknown) => e instanceof UpstreamError && e.code === UPSTREAM_ERROR.cancelled,
  );
  assert.equal(calls.size, 0);
  assert.deepEqual(sent[1], {
    jsonrpc: '2.0',
    method: 'notifications/cancelled',
    params: { requestId: sent[0]!.id, reason: 'Error: client went away' },
  });
});

test('a call answered in its own turn arms nothing', async () => {
  const { link, sent } = fakeLink();
  const calls = new PendingCalls('tg-');
  const ctrl = new AbortController();
  const answer = call(link, calls, ctrl.signal);
  calls.take(sent[0]!.id as number)!.resolve({});
  await answer;
  await turn();
  assert.equal(getEventListeners(ctrl.signal, 'abort').length, 0);
});

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

test('one timer times out every call at its own deadline, and none is left once no call waits', async () => {
  const { link, sent } = fakeLink();
  const calls = new PendingCalls('tg-');
  const before = timers();
  const timedOut = (e: unknown) => e instanceof UpstreamError && e.code === UPSTREAM_ERROR.timeout;
  // The earliest deadline is answered first: the later ones must still time out.
  const first = call(link, calls, undefined, 30);
  const second = call(link, calls, undefined, 60);
  const third = call(link, calls, undefined, 90);
  await turn();
  assert.equal(timers(), before + 1, 'one timer for three calls');
  calls.take(sent[0]!.id as number)!.resolve({});
  assert.deepEqual(await first, {});
  await assert.rejects(soon(second), timedOut);
  await assert.rejects(soon(third), timedOut);
  // Each timed-out call was cancelled upstream.
  assert.deepEqual(
    sent.filter((m) => m.method === 'notifications/cancelled').map((m) => (m.params as RawObject).requestId),
    [sent[1]!.id, sent[2]!.id],
  );
  assert.equal(timers(), before, 'no timer once no call waits');
});

/** `p`, or a failure when it has not settled within 5 s. */
function soon<T>(p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still pending after 5 s')), 5000);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
