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
import { ManualClock } from '../../fixtures/manual-clock.js';

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
});
