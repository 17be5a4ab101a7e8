import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ActivityEvent, ActivitySink } from '../../../main/activity/types.js';
import { observe } from '../../../main/gateway/front/observe.js';
import type { RouteContext } from '../../../main/gateway/router/types.js';

function context(): RouteContext {
  return {
    client: { protocolVersion: '2025-11-25', principal: { kind: 'local', scopes: [] }, capabilities: {} },
    signal: new AbortController().signal,
    notify: () => {},
    ask: () => Promise.reject(new Error('no')),
  };
}

/** A sink that logs, in order, what the gateway told it. */
function sink(log: string[]): ActivitySink & { events: Omit<ActivityEvent, 'id'>[] } {
  const events: Omit<ActivityEvent, 'id'>[] = [];
  return {
    events,
    record(e) {
      log.push(`record ${e.outcome}`);
      events.push(e);
    },
    begin() {
      log.push('begin');
      return { progress: () => {}, end: (e) => void log.push(`end ${e.outcome}`) };
    },
  };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * A call that first awaits `awaits` times (none: it queues at once), then queues its request's write
 * on a tick as node:http does: the write must come before the in-flight event, the end after both.
 */
async function assertWrittenBeforeBegin(awaits: number): Promise<void> {
  const log: string[] = [];
  let answer: (v: Record<string, unknown>) => void = () => {};
  const queue = (): Promise<Record<string, unknown>> => {
    process.nextTick(() => log.push('request written'));
    return new Promise((r) => (answer = r));
  };
  const call = async (): Promise<Record<string, unknown>> => {
    for (let i = 0; i < awaits; i++) await Promise.resolve();
    return queue();
  };
  const outcome = observe(sink(log), 'tools/call', { name: 'a__echo' }, context(), 10, () =>
    awaits === 0 ? queue() : call(),
  );
  await turn();
  assert.deepEqual(log, ['request written', 'begin']);
  answer({ content: [] });
  (await outcome).finish(20);
  assert.deepEqual(log, ['request written', 'begin', 'end ok']);
}

test('observe: the request a call queues goes out before the call is shown in flight', async () => {
  // node:http writes a request on the next tick; the activity log must not delay that write.
  await assertWrittenBeforeBegin(0);
});

test('observe: the in-flight event waits for a request the call queues only after awaiting (the upstream Authorization lookup)', async () => {
  // An HTTP upstream's call awaits its Authorization header (remote-fetch.ts) before node:http
  // queues the write on a tick: that tick comes after any tick queued when the call began.
  await assertWrittenBeforeBegin(2);
});

test('observe: a call answered before its in-flight event was due is recorded once, with no in-flight event', async () => {
  const log: string[] = [];
  const s = sink(log);
  // Inside a chain of promise reactions (as after reading a request body), an answer without I/O
  // (a builtin server) settles and is finished before any next tick runs.
  await Promise.resolve().then(async () => {
    const o = await observe(s, 'tools/call', { name: 'demo__echo' }, context(), 10, async () => ({
      content: [],
    }));
    o.finish(20);
  });
  await turn();
  assert.deepEqual(log, ['record ok']);
  assert.equal(s.events[0]?.method, 'tools/call');
});

test('observe: an error sent to the client has the secrets the sink knows masked, data included', async () => {
  const { UpstreamError } = await import('../../../main/gateway/upstream/types.js');
  const secret = 'sk-live-0123456789abcdef';
  const s = { ...sink([]), redactText: (t: string) => t.split(secret).join('[redacted]') };
  const thrown = new UpstreamError(-32603, `invalid key ${secret}`, {
    sent: { authorization: `Bearer ${secret}` },
    uri: 'file:///a',
  });
  const out = await observe(s, 'resources/read', { uri: 'file:///a' }, context(), 10, () =>
    Promise.reject(thrown),
  );
  assert.deepEqual(out.error, {
    code: -32603,
    message: 'invalid key [redacted]',
    data: { sent: { authorization: 'Bearer [redacted]' }, uri: 'file:///a' },
  });
  const clean = { uri: 'file:///b' };
  const plain = await observe(s, 'resources/read', clean, context(), 10, () =>
    Promise.reject(new UpstreamError(-32002, 'Resource not found', clean)),
  );
  assert.equal(plain.error?.data, clean, 'data without a secret passes as it came');
});
