/**
 * Calls in flight: begin() publishes a `pending` event at once (ring + listeners, not the files),
 * progress updates it (bounded), end() settles it under the same id and writes one line.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createActivityLog,
  REDACTED,
  type ActivityEvent,
  type ActivityLog,
} from '../../../main/activity/index.js';
import { readRecentEvents } from '../../../main/activity/log-reader.js';

describe('activity log: calls in flight', () => {
  let dir: string;
  let log: ActivityLog;
  let now: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-inflight-'));
    now = Date.UTC(2026, 10, 22, 12, 0, 0);
  });
  afterEach(async () => {
    await log?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (l: ActivityLog) =>
    l.begin({
      time: now,
      kind: 'request',
      method: 'tools/call',
      target: 'srv__slow',
      upstream: 'srv',
      request: { name: 'slow', arguments: { api_key: 'abcdef123456' } },
    });

  it('publishes pending at once, then the finished event under the same id; the file gets one line', async () => {
    log = createActivityLog({ dir, clock: () => now, progressIntervalMs: 0 });
    const seen: ActivityEvent[] = [];
    log.subscribe((e) => seen.push(e));
    const call = start(log);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.outcome, 'pending');
    assert.equal((seen[0]!.request as { arguments: { api_key: string } }).arguments.api_key, REDACTED);
    assert.deepEqual(
      log.recent().map((e) => [e.id, e.outcome]),
      [[1, 'pending']],
    );
    log.record({ time: now, kind: 'system', method: 'config/reloaded', outcome: 'ok' });

    call.progress({ progress: 2, total: 5, message: 'step two' });
    assert.equal(seen.length, 3);
    assert.deepEqual(seen[2]!.progress, { progress: 2, total: 5, message: 'step two' });
    assert.equal(seen[2]!.id, 1);

    call.end({
      time: now,
      kind: 'request',
      method: 'tools/call',
      target: 'srv__slow',
      upstream: 'srv',
      outcome: 'tool_error',
      error: { message: 'no such file' },
      durationMs: 12,
      response: { isError: true, content: [{ type: 'text', text: 'no such file' }] },
    });
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

  it('publishes a burst of progress a bounded number of times; the last one arrives', async () => {
    log = createActivityLog({ dir, clock: () => now, progressIntervalMs: 50 });
    const seen: ActivityEvent[] = [];
    log.subscribe((e) => seen.push(e));
    const call = start(log);
    for (let i = 1; i <= 500; i++) call.progress({ progress: i, total: 500 });
    assert.equal(seen.length, 2, 'begin, then the first progress; the rest wait for the interval');
    const last = new Promise<ActivityEvent>((resolve) => log.subscribe(resolve));
    assert.deepEqual((await last).progress, { progress: 500, total: 500 });
    call.end({ time: now, kind: 'request', method: 'tools/call', outcome: 'ok' });
    call.progress({ progress: 501 });
    assert.equal(seen.at(-1)!.outcome, 'ok', 'nothing after end');
  });
});
