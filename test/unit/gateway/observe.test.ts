import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createActivityLog } from '../../../main/activity/activity-log.js';
import type { ActivityEvent, ActivitySink } from '../../../main/activity/types.js';
import { observe } from '../../../main/gateway/front/observe.js';
import type { RouteContext } from '../../../main/gateway/router/types.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

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

test('observe: begin() is told of a call at once, with the target and upstream the router named before its first await', async () => {
  // begin() only notes the call (the log shows it later, by its one ticker): observe schedules no
  // tick or immediate of its own per call, and a call answered at once is still ended, not recorded.
  const log: string[] = [];
  const begun: Omit<ActivityEvent, 'id' | 'outcome'>[] = [];
  const s: ActivitySink = {
    record: (e) => void log.push(`record ${e.outcome}`),
    begin(e) {
      log.push('begin');
      begun.push(e);
      return { progress: () => {}, end: (e) => void log.push(`end ${e.outcome} ${e.target}`) };
    },
  };
  const ctx = context();
  const params = { name: 'a__echo', arguments: { message: 'hi' } };
  const outcome = observe(s, 'tools/call', params, ctx, 10, async () => {
    ctx.target = 'a__echo';
    ctx.upstream = 'a';
    await Promise.resolve();
    return { content: [] };
  });
  assert.deepEqual(log, ['begin'], 'noted in the same turn, before the call’s first await resolves');
  assert.equal(begun[0]?.target, 'a__echo');
  assert.equal(begun[0]?.upstream, 'a');
  assert.equal(begun[0]?.request, params);
  (await outcome).finish(20);
  assert.deepEqual(log, ['begin', 'end ok a__echo']);
  // Methods that do not reach an upstream are recorded at the end only.
  (await observe(s, 'tools/list', undefined, context(), 10, async () => ({ tools: [] }))).finish(30);
  assert.deepEqual(log.slice(2), ['record ok']);
});

test('observe with the activity log: a quick call is one event; a slow one shows as pending after the delay, then settles under its id', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-observe-'));
  const clock = new ManualClock(Date.now());
  const activity = createActivityLog({ dir, clock: () => clock.now(), timers: clock, inFlightDelayMs: 100 });
  try {
    const seen: ActivityEvent[] = [];
    activity.subscribe((e) => seen.push(e));
    const quick = await observe(activity, 'tools/call', { name: 'a__echo' }, context(), 10, async () => ({
      content: [],
    }));
    quick.finish(20);
    clock.advance(500);
    assert.deepEqual(
      seen.map((e) => [e.id, e.outcome]),
      [[1, 'ok']],
      'no pending event for a call that ended first',
    );

    let answer: (v: Record<string, unknown>) => void = () => {};
    const ctx = context();
    const slow = observe(activity, 'tools/call', { name: 'a__slow' }, ctx, 10, () => {
      ctx.target = 'a__slow';
      return new Promise((r) => (answer = r));
    });
    await turn();
    assert.equal(seen.length, 1, 'not shown before the delay');
    clock.advance(150);
    assert.deepEqual(
      seen.slice(1).map((e) => [e.id, e.outcome, e.target]),
      [[2, 'pending', 'a__slow']],
    );
    answer({ content: [{ type: 'text', text: 'done' }] });
    (await slow).finish(40);
    assert.deepEqual(
      seen.slice(2).map((e) => [e.id, e.outcome, e.responseBytes]),
      [[2, 'ok', 40]],
    );
    assert.deepEqual(
      activity.recent().map((e) => [e.id, e.outcome]),
      [
        [1, 'ok'],
        [2, 'ok'],
      ],
    );
  } finally {
    await activity.close();
    await rm(dir, { recursive: true, force: true });
  }
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

test('observe with the activity log: a secret across the progress message cap leaves no part of it behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-observe-'));
  const clock = new ManualClock(Date.now());
  const activity = createActivityLog({ dir, clock: () => clock.now(), timers: clock, inFlightDelayMs: 100 });
  const secret = 'sk-live-0123456789abcdef';
  activity.addSecretValues([secret]);
  try {
    const seen: ActivityEvent[] = [];
    activity.subscribe((e) => seen.push(e));
    let answer: (v: Record<string, unknown>) => void = () => {};
    const ctx = context();
    const slow = observe(
      activity,
      'tools/call',
      { name: 'a__slow' },
      ctx,
      10,
      () => new Promise((r) => (answer = r)),
    );
    await turn();
    // The secret's first 10 characters fall inside the message's 300-character cap, the rest past it.
    ctx.notify('notifications/progress', { progress: 1, message: `${'x'.repeat(290)}${secret} done` });
    clock.advance(150);
    answer({ content: [] });
    (await slow).finish(40);
    await activity.flush();
    const messages = [...seen, ...activity.recent()].map((e) => e.progress?.message ?? '');
    assert.ok(messages.length >= 2 && messages.every((m) => m.length > 0), 'the progress was recorded');
    for (const m of messages)
      assert.ok(!m.includes(secret.slice(0, 10)), `part of the secret in: ${m.slice(280)}`);
    // Likewise a tool's error text, cut to 500 characters for the event's error message.
    const failed = await observe(activity, 'tools/call', { name: 'a__fail' }, context(), 10, async () => ({
      isError: true,
      content: [{ type: 'text', text: `${'y'.repeat(490)}${secret}` }],
    }));
    failed.finish(40);
    const error = activity.recent().at(-1)?.error?.message ?? '';
    assert.ok(
      error.startsWith('yyy') && !error.includes(secret.slice(0, 10)),
      `tool error: ${error.slice(480)}`,
    );
    await activity.flush();
    const file = await activity.exportJsonl();
    assert.ok(!file.includes(secret.slice(0, 10)), 'nor in the files');
  } finally {
    await activity.close();
    await rm(dir, { recursive: true, force: true });
  }
});
