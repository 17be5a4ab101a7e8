import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createActivityLog,
  followActivity,
  formatEventLine,
  readRecent,
  readRecentEvents,
  type ActivityEvent,
} from '../../../main/activity/index.js';
import { waitUntil } from '../../helpers/wait.js';

async function until(check: () => boolean, what: string): Promise<void> {
  await waitUntil(check, what, { timeoutMs: 5000 });
}

describe('reading and following the activity files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-follow-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the last N events across files and follows new ones across rotation', async () => {
    const now = Date.UTC(2026, 10, 22, 9, 30, 0);
    const log = createActivityLog({ dir, clock: () => now, maxFileBytes: 400 });
    const ev = (n: number): Omit<ActivityEvent, 'id'> => ({
      time: now,
      kind: 'request',
      method: 'tools/call',
      target: `t${n}`,
      outcome: 'ok',
    });
    for (let i = 1; i <= 6; i++) log.record(ev(i));
    await log.flush();
    assert.deepEqual(
      (await readRecentEvents(dir, 4)).map((e) => e.target),
      ['t3', 't4', 't5', 't6'],
    );

    const seen: string[] = [];
    const ac = new AbortController();
    const following = followActivity(dir, {
      signal: ac.signal,
      pollMs: 30,
      onEvent: (e) => seen.push(e.target ?? ''),
    });
    await new Promise((r) => setTimeout(r, 100));
    // Enough events to rotate at least twice while following.
    for (let i = 7; i <= 16; i++) {
      log.record(ev(i));
      await log.flush();
    }
    await until(() => seen.length >= 10, 'followed events');
    ac.abort();
    await following;
    await log.close();
    assert.deepEqual(
      seen,
      Array.from({ length: 10 }, (_, i) => `t${i + 7}`),
    );
  });

  it('loses nothing written between reading the recent events and starting to follow, even across rotation', async () => {
    const now = Date.UTC(2026, 10, 22, 9, 30, 0);
    const log = createActivityLog({ dir, clock: () => now, maxFileBytes: 300 });
    const ev = (n: number): Omit<ActivityEvent, 'id'> => ({
      time: now,
      kind: 'request',
      method: 'tools/call',
      target: `e${n}`,
      outcome: 'ok',
    });
    for (let i = 1; i <= 3; i++) log.record(ev(i));
    await log.flush();
    const { events, cursor } = await readRecent(dir, 2);
    assert.deepEqual(
      events.map((e) => e.target),
      ['e2', 'e3'],
    );
    // Written in the gap, enough to start new files before the follower looks.
    for (let i = 4; i <= 9; i++) log.record(ev(i));
    await log.flush();
    const seen: string[] = [];
    const ac = new AbortController();
    const following = followActivity(dir, {
      signal: ac.signal,
      pollMs: 30,
      from: cursor,
      onEvent: (e) => seen.push(e.target ?? ''),
    });
    await until(() => seen.length >= 6, 'events written in the gap');
    ac.abort();
    await following;
    await log.close();
    assert.deepEqual(seen, ['e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
  });

  it('formats a readable line with time, client, method, target, upstream, duration and outcome', () => {
    const line = formatEventLine({
      id: 1,
      time: Date.now(),
      kind: 'request',
      client: { name: 'ChatGPT' },
      method: 'tools/call',
      target: 'fs__read_file',
      upstream: 'fs',
      durationMs: 12.4,
      outcome: 'error',
      error: { message: 'no such\nfile' },
    });
    assert.match(
      line,
      /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} {2}ChatGPT\s+tools\/call\s+fs__read_file\s+fs\s+12ms {2}error {2}no such file$/,
    );
  });
});
