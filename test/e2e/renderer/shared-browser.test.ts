/**
 * The one Chromium a test process shares (browser.ts openContext) leaves nothing behind: in a group
 * as scripts/test.sh runs files, and in a process that exits with the browser open. Each run is a
 * real child process (test/fixtures/chromium/) with a real Chromium: about 5 CPU-s each, so two.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitGone } from '../../integration/tunnel/helpers.js';

// Not imported from ./browser.js: this process has no use for Playwright (2 CPU-s to load).
const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/chromium');
const FIRST = join(FIXTURES, 'first-file.ts');
const SECOND = join(FIXTURES, 'second-file.ts');

interface Seen {
  name: string;
  browser: number;
  cookies: string[];
  descendants: number[];
}

// The runs are independent processes: side by side.
describe('one Chromium per test process', { timeout: 180_000, concurrency: true }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-shared-browser-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs `node --import tsx FILE` to its end (killed after 90 s: a process kept alive fails). */
  async function run(name: string, file: string, env: Record<string, string> = {}) {
    const out = join(dir, `${name}.jsonl`);
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, ...env, SHARED_BROWSER_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [
      number | null,
      string | null,
    ];
    clearTimeout(timer);
    const seen = (await readFile(out, 'utf8').catch(() => ''))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Seen);
    return { code, signal, output, seen };
  }

  async function planned(files: string[]): Promise<string> {
    const plan = await mkdtemp(join(dir, 'plan-'));
    const child = spawn(process.execPath, [join(ROOT, 'scripts/test-plan.mjs'), plan, ...files], {
      env: { ...process.env, TEST_GROUP_SECONDS: '1000' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => child.once('exit', r));
    const groups = out.trim().split('\n');
    assert.equal(groups.length, 1, 'both files in one group');
    return groups[0]!;
  }

  it('the files of a group share it, each in a fresh context; the process ends and it is gone', async () => {
    const { code, signal, output, seen } = await run('group', await planned([FIRST, SECOND]));
    assert.deepEqual([code, signal], [0, null], output);
    assert.deepEqual(
      seen.map((s) => s.name),
      ['first', 'second'],
    );
    assert.equal(seen[0]!.browser, seen[1]!.browser, 'one browser for both files');
    assert.deepEqual(seen[1]!.cookies, [], "the second file's context does not see the first's cookie");
    const chromium = [...new Set(seen.flatMap((s) => s.descendants))];
    assert.ok(chromium.includes(seen[0]!.browser), 'the browser is a child of the test process');
    assert.deepEqual(await waitGone(chromium), [], 'no Chromium process is left');
  });

  it('a process that exits with the browser open takes it along', async () => {
    const { code, seen } = await run('exit', await planned([FIRST, SECOND]), {
      SHARED_BROWSER_EXIT: 'first',
    });
    assert.equal(code, 3);
    assert.deepEqual(
      seen.map((s) => s.name),
      ['first'],
    );
    assert.deepEqual(await waitGone(seen[0]!.descendants), [], 'no Chromium process is left');
  });
});
