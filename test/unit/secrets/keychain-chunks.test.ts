import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createChunkedEntries,
  defaultMaxEntryChars,
  type RawEntries,
} from '../../../main/secrets/keychain-chunks.js';

function rawMap(max: number) {
  const m = new Map<string, string>();
  const raw: RawEntries = {
    async get(a) {
      return m.get(a) ?? null;
    },
    async set(a, v) {
      if (v.length > max) throw new Error(`entry too large (${v.length} > ${max})`);
      m.set(a, v);
    },
    async delete(a) {
      return m.delete(a);
    },
  };
  return { m, raw };
}

describe('chunked keychain entries', () => {
  it('keeps short values as they are, splits long ones within the entry limit, and reads them back', async () => {
    const { m, raw } = rawMap(100);
    const e = createChunkedEntries(raw, 100);
    await e.write('a', 'short');
    assert.deepEqual([...m.keys()], ['a']);
    assert.equal(await e.read('a'), 'short');
    const long = 'x'.repeat(250) + 'é'.repeat(120);
    await e.write('a', long);
    assert.ok(m.size >= 5);
    assert.equal(await e.read('a'), long);
    // Shrinking removes the parts no longer needed.
    await e.write('a', 'y'.repeat(150));
    assert.deepEqual([...m.keys()].sort(), ['a', 'a#1', 'a#2']);
    assert.equal(await e.read('a'), 'y'.repeat(150));
    await e.write('a', 'tiny');
    assert.deepEqual([...m.keys()], ['a']);
    assert.equal(await e.remove('a'), true);
    assert.equal(m.size, 0);
    assert.equal(await e.read('a'), undefined);
  });

  it('a missing part means no value, never half of one', async () => {
    const { m, raw } = rawMap(50);
    const e = createChunkedEntries(raw, 50);
    await e.write('t', 'z'.repeat(200));
    m.delete('t#2');
    assert.equal(await e.read('t'), undefined);
  });

  it('splits only on Windows by default', () => {
    assert.equal(defaultMaxEntryChars('win32'), 1200);
    assert.equal(defaultMaxEntryChars('linux'), Number.POSITIVE_INFINITY);
    assert.equal(defaultMaxEntryChars('darwin'), Number.POSITIVE_INFINITY);
  });
});
