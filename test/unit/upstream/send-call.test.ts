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

function call(link: WireTransport, calls: PendingCalls, signal: AbortSignal) {
  return sendCall({
    name: 'up',
    link,
    calls,
    method: 'tools/call',
    params: { name: 'echo' },
    opts: { signal },
    timeoutMs: 60_000,
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
