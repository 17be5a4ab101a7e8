/**
 * scripts/test-plan.mjs puts the test files that use the shared Chromium (they import browser.ts,
 * here through a helper) into as few processes as their times allow: each process launches its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../../..');
// Two files that use Chromium through test/fixtures/chromium/shared-browser-user.ts.
const FIRST = join(ROOT, 'test/fixtures/chromium/first-file.ts');
const SECOND = join(ROOT, 'test/fixtures/chromium/second-file.ts');

describe('test plan: Chromium files share processes', () => {
  let dir: string;
  let plain: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-test-plan-'));
    plain = ['plain-a.test.ts', 'plain-b.test.ts'].map((f) => join(dir, f));
    for (const f of plain) await writeFile(f, "import { it } from 'node:test';\nit('runs', () => {});\n");
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('two Chromium files and two others, two processes: the Chromium files in one', async () => {
    // Each file counts 3 s (none is in test/durations.txt): 12 s in groups of 6 s, two processes.
    // Longest first into the emptiest group alone would put one Chromium file into each.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(ROOT, 'scripts/test-plan.mjs'),
        await mkdtemp(join(dir, 'plan-')),
        plain[0]!,
        FIRST,
        plain[1]!,
        SECOND,
      ],
      { env: { ...process.env, TEST_GROUP_SECONDS: '6', TEST_GROUPING: '1' } },
    );
    const groups = await Promise.all(
      stdout
        .trim()
        .split('\n')
        .map((g) => readFile(g, 'utf8')),
    );
    assert.equal(groups.length, 2);
    const holding = (file: string) => groups.findIndex((g) => g.includes(JSON.stringify(file).slice(1, -1)));
    assert.notEqual(holding(FIRST), -1);
    assert.equal(holding(FIRST), holding(SECOND), 'both Chromium files in one process');
    assert.equal(holding(plain[0]!), holding(plain[1]!), 'the other two in the other');
  });
});
