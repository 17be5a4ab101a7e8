import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createActivityLog,
  REDACTED,
  type ActivityEvent,
  type ActivityLog,
} from '../../../main/activity/index.js';
import { shareJson } from '../../../main/common/json-text.js';

type Input = Omit<ActivityEvent, 'id'>;
const call = (n: number, extra: Partial<Input> = {}): Input => ({
  time: Date.UTC(2026, 10, 22, 12, 0, 0) + n,
  kind: 'request',
  method: 'tools/call',
  target: `srv__tool${n}`,
  upstream: 'srv',
  outcome: 'ok',
  durationMs: 3,
  ...extra,
});

describe('activity log', () => {
  let dir: string;
  let log: ActivityLog | undefined;
  let now: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-activity-'));
    now = Date.UTC(2026, 10, 22, 12, 0, 0);
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the last ringSize events in memory, pages back with beforeId, publishes to subscribers', async () => {
    log = createActivityLog({ dir, ringSize: 5, clock: () => now });
    const seen: number[] = [];
    const off = log.subscribe((e) => seen.push(e.id));
    for (let i = 1; i <= 8; i++) log.record(call(i));
    off();
    log.record(call(9));
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(
      log.recent().map((e) => e.id),
      [5, 6, 7, 8, 9],
    );
    assert.deepEqual(
      log.recent({ limit: 2 }).map((e) => e.id),
      [8, 9],
    );
    assert.deepEqual(
      log.recent({ limit: 2, beforeId: 8 }).map((e) => e.id),
      [6, 7],
    );
    assert.deepEqual(
      log.recent({ beforeId: 5 }).map((e) => e.id),
      [],
    );
    // A throwing subscriber does not break recording.
    log.subscribe(() => {
      throw new Error('boom');
    });
    log.record(call(10));
    assert.equal(log.recent({ limit: 1 })[0]?.target, 'srv__tool10');
  });

  it('appends JSONL in the background, flushes on close, and exports it', async () => {
    log = createActivityLog({ dir, clock: () => now });
    for (let i = 1; i <= 3; i++) log.record(call(i));
    await log.close();
    const files = await readdir(dir);
    assert.deepEqual(files, ['activity-2026-11-22.jsonl']);
    const path = join(dir, files[0]!);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ActivityEvent);
    assert.deepEqual(
      lines.map((e) => e.target),
      ['srv__tool1', 'srv__tool2', 'srv__tool3'],
    );
    log = createActivityLog({ dir, clock: () => now });
    log.record(call(4));
    const exported = await log.exportJsonl();
    assert.equal(exported.trim().split('\n').length, 4);
  });

  it('rotates by size into -N files and continues the last file after a restart', async () => {
    log = createActivityLog({ dir, clock: () => now, maxFileBytes: 600 });
    for (let i = 1; i <= 12; i++) log.record(call(i));
    await log.close();
    log = createActivityLog({ dir, clock: () => now, maxFileBytes: 600 });
    log.record(call(13));
    await log.flush();
    const files = (await readdir(dir)).sort();
    assert.ok(files.length >= 3, files.join(','));
    assert.ok(files.includes('activity-2026-11-22-1.jsonl'));
    let total = 0;
    for (const f of files) {
      const size = (await stat(join(dir, f))).size;
      assert.ok(size <= 600, `${f} is ${size} bytes`);
      total += (await readFile(join(dir, f), 'utf8')).trim().split('\n').length;
    }
    assert.equal(total, 13);
    // Every line is whole JSON: rotation never splits one.
    const exported = (await log.exportJsonl()).trim().split('\n');
    assert.deepEqual(
      exported.map((l) => (JSON.parse(l) as ActivityEvent).target),
      Array.from({ length: 13 }, (_, i) => `srv__tool${i + 1}`),
    );
  });

  it('deletes files older than the retention, on start and when the day changes', async () => {
    await writeFile(join(dir, 'activity-2026-11-01.jsonl'), '{}\n');
    await writeFile(join(dir, 'activity-2026-11-15-2.jsonl'), '{}\n');
    await writeFile(join(dir, 'activity-2026-11-20.jsonl'), '{}\n');
    await writeFile(join(dir, 'notes.txt'), 'not ours');
    log = createActivityLog({ dir, clock: () => now, retentionDays: 3 });
    log.record(call(1));
    await log.flush();
    assert.deepEqual((await readdir(dir)).sort(), [
      'activity-2026-11-20.jsonl',
      'activity-2026-11-22.jsonl',
      'notes.txt',
    ]);
    now = Date.UTC(2026, 10, 24, 0, 0, 1);
    log.record(call(2));
    await log.flush();
    assert.deepEqual((await readdir(dir)).sort(), [
      'activity-2026-11-22.jsonl',
      'activity-2026-11-24.jsonl',
      'notes.txt',
    ]);
  });

  it('applies edited retention and file size while running', async () => {
    await writeFile(join(dir, 'activity-2026-11-19.jsonl'), '{}\n');
    log = createActivityLog({ dir, clock: () => now, retentionDays: 30 });
    log.record(call(1));
    await log.flush();
    assert.ok((await readdir(dir)).includes('activity-2026-11-19.jsonl'));
    log.configure({ retentionDays: 2, maxFileBytes: 200 });
    log.record(call(2));
    log.record(call(3));
    await log.flush();
    const files = (await readdir(dir)).sort();
    assert.ok(!files.includes('activity-2026-11-19.jsonl'), files.join(','));
    assert.ok(files.includes('activity-2026-11-22-1.jsonl'), files.join(','));
  });

  it('redacts credentials and registered secret values in memory, for subscribers and on disk', async () => {
    log = createActivityLog({ dir, clock: () => now });
    log.addSecretValues(['sk-live-1234567890']);
    let published: ActivityEvent | undefined;
    log.subscribe((e) => (published = e));
    log.record(
      call(1, {
        request: {
          name: 'login',
          arguments: { user: 'ann', password: 'hunter2', note: 'key sk-live-1234567890' },
        },
        response: { content: [{ type: 'text', text: 'token=sk-live-1234567890' }], access_token: 'abc' },
        error: { message: 'upstream said Bearer sk-live-1234567890 is bad' },
        outcome: 'error',
      }),
    );
    await log.close();
    const disk = await readFile(join(dir, 'activity-2026-11-22.jsonl'), 'utf8');
    for (const text of [JSON.stringify(log.recent()), JSON.stringify(published), disk]) {
      assert.ok(!text.includes('sk-live-1234567890'), text);
      assert.ok(!text.includes('hunter2'), text);
      assert.ok(text.includes(REDACTED));
      assert.ok(text.includes('"user":"ann"'));
    }
  });

  it('a shared answer (the tool list) is stored redacted and cut once, and its lines on disk are its JSON', async () => {
    log = createActivityLog({ dir, clock: () => now });
    const tools = Array.from({ length: 200 }, (_, i) => ({
      name: `a__t${i}`,
      description: `Tööl ${i} ✓ ${'x'.repeat(40)}`,
    }));
    tools[0]!.description = 'uses sk-live-1234567890';
    const list = shareJson({ tools: shareJson(tools) });
    const full = Buffer.byteLength(JSON.stringify(list));
    for (let n = 1; n <= 3; n++) {
      if (n === 3) log.addSecretValues(['sk-live-1234567890']);
      log.record(call(n, { method: 'tools/list', target: undefined, response: list, responseBytes: full }));
    }
    await log.flush();
    const lines = (await log.exportJsonl()).trim().split('\n');
    const held = log.recent();
    assert.deepEqual(
      lines,
      held.map((e) => JSON.stringify(e)),
      'each line is exactly the stored event',
    );
    assert.equal(held[0]!.response, held[1]!.response, 'one redacted copy for the same answer');
    assert.deepEqual(held[0]!.truncated, { response: full });
    assert.match(lines[0]!, /sk-live-1234567890/);
    assert.ok(
      !lines[2]!.includes('sk-live-1234567890') && lines[2]!.includes(REDACTED),
      'a new secret shows',
    );
  });

  it('clear() empties memory and files', async () => {
    log = createActivityLog({ dir, clock: () => now });
    log.record(call(1));
    await log.flush();
    await log.clear();
    assert.deepEqual(log.recent(), []);
    assert.deepEqual(await readdir(dir), []);
    log.record(call(2));
    assert.equal((await log.exportJsonl()).trim().split('\n').length, 1);
  });
});
