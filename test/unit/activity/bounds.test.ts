import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createActivityLog,
  REDACTED,
  type ActivityEvent,
  type ActivityLog,
} from '../../../main/activity/index.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

type Input = Omit<ActivityEvent, 'id'>;
const DAY = Date.UTC(2026, 10, 22, 12, 0, 0);

/** A 64 KB argument as an attacker sends it: many keys of 4,000 characters, each under the string cap. */
function bigArguments(tag: string): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < 16; i++) args[`k${i}`] = `${tag}${i}-`.padEnd(4000, 'x');
  return args;
}

const bigCall = (n: number, extra: Partial<Input> = {}): Input => ({
  time: DAY + n,
  kind: 'request',
  method: 'tools/call',
  target: `srv__tool${n}`,
  upstream: 'srv',
  outcome: 'ok',
  request: { name: 'echo', arguments: bigArguments(`req${n}`) },
  response: { content: [{ type: 'text', text: 'r'.repeat(3000) }], structuredContent: bigArguments('res') },
  ...extra,
});

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const f of await readdir(dir)) total += (await stat(join(dir, f))).size;
  return total;
}

describe('activity log bounds (issue 10)', () => {
  let dir: string;
  let log: ActivityLog | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-activity-bounds-'));
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('caps each stored event: big arguments and results are cut with a marker and their full size kept', async () => {
    log = createActivityLog({ dir, clock: () => DAY });
    log.addSecretValues(['sk-live-1234567890']);
    const input = bigCall(1);
    (input.request as { arguments: Record<string, string> }).arguments['k0'] = 'key sk-live-1234567890';
    const fullRequest = Buffer.byteLength(JSON.stringify(input.request));
    const fullResponse = Buffer.byteLength(JSON.stringify(input.response));
    assert.ok(fullRequest > 60_000 && fullResponse > 60_000);
    log.record(input);
    const [held] = log.recent();
    const stored = JSON.stringify(held);
    assert.ok(stored.length < 20_000, `one stored event is ${stored.length} characters`);
    assert.match(stored, /\[truncated/);
    assert.deepEqual(held!.truncated, { request: fullRequest, response: fullResponse });
    assert.ok(!stored.includes('sk-live-1234567890') && stored.includes(REDACTED), 'secrets still redacted');
    // A small event is not marked.
    log.record({ ...bigCall(2), request: { name: 'echo', arguments: { a: 1 } }, response: { ok: true } });
    assert.equal(log.recent({ limit: 1 })[0]!.truncated, undefined);
    await log.flush();
    const line = (await log.exportJsonl()).split('\n')[0]!;
    assert.ok(line.length < 20_000, `one line on disk is ${line.length} characters`);
    assert.equal((JSON.parse(line) as ActivityEvent).truncated?.request, fullRequest);
  });

  it('caps the free text of an event (error message, target) as well', () => {
    log = createActivityLog({ dir, clock: () => DAY });
    log.record(
      bigCall(1, { outcome: 'error', error: { message: 'e'.repeat(100_000) }, target: 't'.repeat(50_000) }),
    );
    const stored = JSON.stringify(log.recent()[0]);
    assert.ok(stored.length < 25_000, `${stored.length} characters`);
  });

  it('a call in flight keeps the size of its cut request when it ends', () => {
    const clock = new ManualClock(DAY);
    log = createActivityLog({ dir, clock: () => clock.now(), timers: clock, inFlightDelayMs: 100 });
    const { response: _r, outcome: _o, ...start } = bigCall(1);
    const fullRequest = Buffer.byteLength(JSON.stringify(start.request));
    const call = log.begin(start);
    clock.advance(200);
    assert.equal(log.recent()[0]!.outcome, 'pending');
    assert.equal(log.recent()[0]!.truncated?.request, fullRequest);
    const { request: _q, ...end } = bigCall(1);
    call.end(end);
    const [done] = log.recent();
    assert.equal(done!.outcome, 'ok');
    assert.equal(done!.truncated?.request, fullRequest);
    assert.ok((done!.truncated?.response ?? 0) > 60_000);
  });

  it('bounds the ring in bytes as well as in count: the oldest events go first, the newest stays', () => {
    log = createActivityLog({ dir, clock: () => DAY, ringSize: 10_000, maxMemoryBytes: 200_000 });
    for (let i = 1; i <= 200; i++) log.record(bigCall(i));
    const held = log.recent({ limit: 10_000 });
    const bytes = held.reduce((n, e) => n + JSON.stringify(e).length, 0);
    assert.ok(bytes <= 200_000, `the ring holds ${bytes} bytes in ${held.length} events`);
    assert.ok(held.length >= 5, `${held.length} events kept`);
    assert.equal(held[held.length - 1]!.id, 200);
    // Contiguous: the newest ones, none missing in between.
    assert.deepEqual(
      held.map((e) => e.id),
      Array.from({ length: held.length }, (_, i) => 200 - held.length + 1 + i),
    );
    // One event bigger than the whole budget is still shown (the newest always stays).
    log = createActivityLog({ dir, clock: () => DAY, maxMemoryBytes: 10 });
    log.record(bigCall(1));
    log.record(bigCall(2));
    assert.deepEqual(
      log.recent().map((e) => e.id),
      [2],
    );
  });

  it('bounds the files in total size, deleting the oldest files first', async () => {
    // Files of earlier days count too, and go first.
    await writeFile(join(dir, 'activity-2026-11-20.jsonl'), 'x'.repeat(30_000));
    await writeFile(join(dir, 'activity-2026-11-21.jsonl'), 'y'.repeat(30_000));
    log = createActivityLog({ dir, clock: () => DAY, maxFileBytes: 40_000, maxTotalBytes: 120_000 });
    for (let i = 1; i <= 60; i++) {
      log.record(bigCall(i));
      if (i % 10 === 0) await log.flush();
    }
    await log.flush();
    const files = (await readdir(dir)).sort();
    const total = await folderBytes(dir);
    assert.ok(total <= 120_000, `the folder holds ${total} bytes in ${files.join(', ')}`);
    assert.ok(!files.includes('activity-2026-11-20.jsonl'), files.join(','));
    assert.ok(!files.includes('activity-2026-11-21.jsonl'), files.join(','));
    // What is left is the newest part of the log, ending with the last event.
    const ids = (await log.exportJsonl())
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as ActivityEvent).id);
    assert.equal(ids[ids.length - 1], 60);
    assert.deepEqual(
      ids,
      Array.from({ length: ids.length }, (_, i) => 60 - ids.length + 1 + i),
    );
  });

  it('applies a smaller total size edited while running at the next write', async () => {
    log = createActivityLog({ dir, clock: () => DAY, maxFileBytes: 30_000 });
    for (let i = 1; i <= 40; i++) log.record(bigCall(i));
    await log.flush();
    assert.ok((await folderBytes(dir)) > 150_000);
    log.configure({ maxTotalBytes: 70_000 });
    log.record(bigCall(41));
    await log.flush();
    const total = await folderBytes(dir);
    assert.ok(total <= 70_000, `${total} bytes after lowering the cap`);
  });
});
