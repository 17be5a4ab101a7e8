import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRotatingWriter } from '../../../main/activity/rotating-writer.js';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

test('lines given as pieces (text and shared bytes) are written whole, and rotation counts their bytes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-writer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const writer = createRotatingWriter({ dir, maxFileBytes: 400, retentionDays: 14, clock: () => NOW });
  // One Buffer shared by every line, as the redacted tool list is by every tools/list event.
  const shared = Buffer.from('{"tools":[{"name":"a__é","description":"Tööl ✓"}]}');
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    const head = `{"id":${i},"note":"ü${'x'.repeat(i * 5)}","response":`;
    writer.append(i % 3 === 0 ? `${head}${shared.toString()}}` : [head, shared, '}']);
    lines.push(`${head}${shared.toString()}}`);
  }
  await writer.close();
  const files = (await readdir(dir)).sort((a, b) => a.length - b.length || a.localeCompare(b));
  assert.ok(files.length >= 3, files.join(','));
  let all = '';
  for (const f of files) {
    const size = (await stat(join(dir, f))).size;
    assert.ok(size <= 400, `${f} is ${size} bytes: rotation counts UTF-8 bytes, not characters`);
    all += await readFile(join(dir, f), 'utf8');
  }
  assert.deepEqual(all.trimEnd().split('\n'), lines, 'every line whole, in order, as its pieces joined');
});
