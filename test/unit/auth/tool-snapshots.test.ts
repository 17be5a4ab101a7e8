import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createToolSnapshotStore,
  diffTools,
  isDrift,
  snapshotTools,
  toolHash,
} from '../../../main/auth/tool-snapshots.js';
import { shareJson } from '../../../main/common/json-text.js';
import { ManualClock } from '../../fixtures/manual-clock.js';
import { waitUntil } from '../../helpers/wait.js';

const tool = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: `${name} does a thing`,
  inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
  ...extra,
});

describe('tool-list snapshots', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('hashes a definition whatever its key order, and differently when anything in it changes', () => {
    const a = tool('a');
    const reordered = { inputSchema: a.inputSchema, description: a.description, name: 'a' };
    assert.equal(toolHash(a), toolHash(reordered));
    assert.notEqual(toolHash(a), toolHash(tool('a', { annotations: { readOnlyHint: true } })));
    assert.notEqual(
      toolHash(a),
      toolHash(tool('a', { inputSchema: { type: 'object', properties: { q: { type: 'number' } } } })),
    );
  });

  it('diffs what a client believes against the current list: added, removed, changed', () => {
    const snapshot = snapshotTools([tool('keep'), tool('gone'), tool('edit')]);
    const now = [tool('keep'), tool('edit', { description: 'new words' }), tool('new')];
    const d = diffTools(snapshot, now);
    assert.deepEqual(d, { added: ['new'], removed: ['gone'], changed: ['edit'] });
    assert.equal(isDrift(d), true);
    assert.equal(isDrift(diffTools(snapshot, [tool('keep'), tool('gone'), tool('edit')])), false);
  });

  it('persists names and hashes beside the grants (never the definitions), and drops revoked grants', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-snap-'));
    dirs.push(dir);
    const clock = new ManualClock(5_000);
    let changes = 0;
    const store = await createToolSnapshotStore({ dataDir: dir, clock, onChange: () => changes++ });
    store.record('g_1', [tool('a'), tool('b')]);
    store.record('g_2', [tool('a')]);
    assert.equal(changes, 2);
    await store.close();
    const text = await readFile(join(dir, 'auth', 'tool-lists.json'), 'utf8');
    assert.ok(!text.includes('does a thing'), 'no descriptions or schemas on disk');

    const again = await createToolSnapshotStore({ dataDir: dir, clock });
    assert.deepEqual(Object.keys(again.get('g_1')?.tools ?? {}), ['a', 'b']);
    assert.equal(again.get('g_1')?.listedAt, 5_000);
    again.retain(new Set(['g_2']));
    assert.equal(again.get('g_1'), undefined);
    await again.close();
    const third = await createToolSnapshotStore({ dataDir: dir, clock });
    assert.equal(third.get('g_1'), undefined, 'the drop was written');
    assert.ok(third.get('g_2'));
  });

  it('a shared list is walked once; a client listing in a loop queues one write at a time, the latest always lands', async () => {
    const list = shareJson([tool('a'), tool('b')]);
    const first = snapshotTools(list);
    assert.equal(snapshotTools(list), first, "the router's list (final) is snapshotted once");
    assert.ok(Object.isFrozen(first));
    const plain = [tool('a')];
    const before = snapshotTools(plain);
    plain.push(tool('late'));
    assert.notEqual(snapshotTools(plain), before, 'a list nobody marked final is walked every time');
    assert.deepEqual(Object.keys(snapshotTools(plain)), ['a', 'late']);

    const dir = await mkdtemp(join(tmpdir(), 'tg-snap-'));
    dirs.push(dir);
    const clock = new ManualClock(1_000);
    const store = await createToolSnapshotStore({ dataDir: dir, clock });
    const path = join(dir, 'auth', 'tool-lists.json');
    const onDisk = async () => {
      try {
        return JSON.parse(await readFile(path, 'utf8')) as {
          grants: Record<string, { listedAt: number; tools: object }>;
        };
      } catch {
        return undefined;
      }
    };
    for (let i = 0; i < 50; i++) store.record('g_1', list);
    await waitUntil(async () => (await onDisk())?.grants['g_1'], 'the first write');
    // Changes made while a write is under way get a write of their own: the file ends up current.
    store.record('g_2', shareJson([tool('c')]));
    await new Promise((r) => setImmediate(r));
    clock.advance(500);
    store.record('g_1', shareJson([tool('a'), tool('d')]));
    const last = await waitUntil(async () => {
      const f = await onDisk();
      return f?.grants['g_2'] && Object.keys(f.grants['g_1']?.tools ?? {}).includes('d') ? f : undefined;
    }, 'the latest snapshots on disk, without close()');
    assert.equal(last.grants['g_1']!.listedAt, 1_500);
    await store.close();
  });
});
