/**
 * Calls in flight: begin() only notes a call; one shared ticker shows it as `pending` (ring +
 * listeners, not the files) once it has run inFlightDelayMs; progress updates it (bounded); end()
 * settles it under the same id and writes one line. A call that ends sooner is recorded once, with
 * no pending event at all. Time and timers are a ManualClock: nothing here waits for real time.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createActivityLog,
  REDACTED,
  type ActivityEvent,
  type ActivityLog,
} from '../../../main/activity/index.js';
import { readRecentEvents } from '../../../main/activity/log-reader.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

const DELAY = 100;

describe('activity log: calls in flight', () => {
  let dir: string;
  let log: ActivityLog;
  let clock: ManualClock;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-inflight-'));
    clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  });
  afterEach(async () => {
    await log?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const open = (progressIntervalMs = 0): ActivityLog =>
    createActivityLog({
      dir,
      clock: () => clock.now(),
      timers: clock,
      inFlightDelayMs: DELAY,
      progressIntervalMs,
    });
  const start = (l: ActivityLog, name = 'slow') =>
    l.begin({
      time: clock.now(),
      kind: 'request',
      method: 'tools/call',
      target: `srv__${name}`,
      upstream: 'srv',
      request: { name, arguments: { api_key: 'abcdef123456' } },
    });
  const finished = (outcome: ActivityEvent['outcome'] = 'ok') => ({
    time: clock.now(),
    kind: 'request' as const,
    method: 'tools/call',
    target: 'srv__slow',
    upstream: 'srv',
    outcome,
    durationMs: 12,
    response: { content: [{ type: 'text', text: 'done' }] },
  });

  it('a call that ends before the delay is recorded once: no pending event, one line, its progress kept', async () => {
    log = open();
    const seen: ActivityEvent[] = [];
    log.subscribe((e) => seen.push(e));
    const call = start(log, 'quick');
    call.progress({ progress: 1, total: 2, message: 'half' });
    clock.advance(DELAY - 1);
    assert.equal(seen.length, 0, 'nothing is published while the call is young');
    assert.deepEqual(log.recent(), []);
    call.end({ ...finished(), target: 'srv__quick' });
    assert.deepEqual(
      seen.map((e) => [e.id, e.outcome]),
      [[1, 'ok']],
    );
    const [done] = log.recent();
    assert.equal(done!.outcome, 'ok');
    assert.equal((done!.request as { arguments: { api_key: string } }).arguments.api_key, REDACTED);
    assert.deepEqual(done!.progress, { progress: 1, total: 2, message: 'half' });
    clock.advance(DELAY * 3);
    assert.equal(seen.length, 1, 'an ended call is never shown afterwards');
    assert.equal(clock.pending, 0, 'the ticker stops once no call is in flight');
    await log.flush();
    assert.deepEqual(
      (await readRecentEvents(dir, 10)).map((e) => [e.id, e.outcome]),
      [[1, 'ok']],
    );
  });

  it('a call still running after the delay shows as pending, then the finished event under the same id; the file gets one line', async () => {
    log = open();
    const seen: ActivityEvent[] = [];
    log.subscribe((e) => seen.push(e));
    const call = start(log);
    clock.advance(DELAY * 1.5);
    assert.equal(seen.length, 1, 'shown within 1.5 × the delay');
    assert.equal(seen[0]!.outcome, 'pending');
    assert.equal(seen[0]!.target, 'srv__slow');
    assert.equal((seen[0]!.request as { arguments: { api_key: string } }).arguments.api_key, REDACTED);
    assert.deepEqual(
      log.recent().map((e) => [e.id, e.outcome]),
      [[1, 'pending']],
    );
    log.record({ time: clock.now(), kind: 'system', method: 'config/reloaded', outcome: 'ok' });

    call.progress({ progress: 2, total: 5, message: 'step two' });
    assert.equal(seen.length, 3);
    assert.deepEqual(seen[2]!.progress, { progress: 2, total: 5, message: 'step two' });
    assert.equal(seen[2]!.id, 1);

    call.end({ ...finished('tool_error'), error: { message: 'no such file' } });
    const last = seen.at(-1)!;
    assert.equal(last.id, 1);
    assert.equal(last.outcome, 'tool_error');
    assert.ok(last.request, 'the request recorded at begin is kept');
    assert.deepEqual(last.progress, { progress: 2, total: 5, message: 'step two' });
    assert.deepEqual(
      log.recent().map((e) => [e.id, e.outcome]),
      [
        [1, 'tool_error'],
        [2, 'ok'],
      ],
      'the ring holds the settled event in its place, no second entry',
    );
    await log.flush();
    const onDisk = await readRecentEvents(join(dir), 10);
    assert.deepEqual(
      onDisk.map((e) => [e.id, e.outcome]).sort(),
      [
        [1, 'tool_error'],
        [2, 'ok'],
      ],
      'no pending line in the files',
    );
  });

  it('progress before a call is shown is shown with it', () => {
    log = open();
    const seen: ActivityEvent[] = [];
    log.subscribe((e) => seen.push(e));
    const call = start(log);
    call.progress({ progress: 1, total: 3, message: 'key abcdef123456 used' });
    assert.equal(seen.length, 0);
    log.addSecretValues(['abcdef123456']);
    call.progress({ progress: 2, total: 3, message: 'key abcdef123456 used' });
    clock.advance(DELAY * 2);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.progress, { progress: 2, total: 3, message: `key ${REDACTED} used` });
    call.end(finished());
  });

  it('one timer for every call in flight, none per call; it stops when none is left and on close', () => {
    log = open();
    const calls = Array.from({ length: 50 }, (_, i) => {
      clock.advance(1);
      return start(log, `t${i}`);
    });
    assert.equal(clock.pending, 1, 'fifty calls, one ticker');
    for (const c of calls.slice(0, 40)) c.end(finished());
    clock.advance(DELAY * 2);
    assert.deepEqual(
      log
        .recent({ limit: 100 })
        .filter((e) => e.outcome === 'pending')
        .map((e) => e.target),
      Array.from({ length: 10 }, (_, i) => `srv__t${40 + i}`),
      'the ten still running are shown, oldest first',
    );
    for (const c of calls.slice(40)) c.end(finished());
    clock.advance(DELAY);
    assert.equal(clock.pending, 0, 'no call in flight, no timer');
    start(log, 'late');
    assert.equal(clock.pending, 1, 'the next call arms it again');
    void log.close();
    assert.equal(clock.pending, 0, 'close stops it');
  });

  it('publishes a burst of progress a bounded number of times; the last one arrives', () => {
    log = open(50);
    const seen: ActivityEvent[] = [];
    log.subscribe((e) => seen.push(e));
    const call = start(log);
    clock.advance(DELAY * 1.5);
    for (let i = 1; i <= 500; i++) call.progress({ progress: i, total: 500 });
    assert.equal(seen.length, 2, 'shown, then the first progress; the rest wait for the interval');
    clock.advance(50);
    assert.equal(seen.length, 3);
    assert.deepEqual(seen[2]!.progress, { progress: 500, total: 500 });
    call.end({ time: clock.now(), kind: 'request', method: 'tools/call', outcome: 'ok' });
    call.progress({ progress: 501 });
    clock.advance(DELAY);
    assert.equal(seen.at(-1)!.outcome, 'ok', 'nothing after end');
  });

  it("the ticker's real timer does not keep the process alive", () => {
    // A child process with the default timers. A call on a log with a short delay is shown while an
    // interval keeps the process up; then a call on a log whose ticker would run for an hour begins,
    // and the process must still exit on its own, with that call in flight.
    const activity = fileURLToPath(new URL('../../../main/activity/index.ts', import.meta.url));
    const script = `
      const { createActivityLog } = await import(${JSON.stringify(activity)});
      const call = { time: Date.now(), kind: 'request', method: 'tools/call', target: 'srv__forever' };
      const quick = createActivityLog({ dir: ${JSON.stringify(join(dir, 'a'))}, inFlightDelayMs: 20 });
      const keepAlive = setInterval(() => {}, 1000);
      const shown = new Promise((resolve) => quick.subscribe(resolve));
      quick.begin(call);
      const event = await shown;
      clearInterval(keepAlive);
      const slow = createActivityLog({ dir: ${JSON.stringify(join(dir, 'b'))}, inFlightDelayMs: 3_600_000 });
      slow.begin(call);
      console.log(event.outcome);
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(out.trim(), 'pending');
  });
});
