/**
 * test/e2e/renderer/chromium.sh, which starts Chromium for the tests: Chromium keeps only the last
 * --disable-features, so the script must hand it one list holding Playwright's features and ours.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

const SCRIPT = resolve(import.meta.dirname, 'chromium.sh');

describe('chromium.sh', () => {
  let dir: string;
  let fake: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-chromium-sh-'));
    // Stands in for /usr/bin/chromium: prints the arguments it got, one a line.
    fake = join(dir, 'chromium');
    await writeFile(fake, '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    await chmod(fake, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const run = async (...args: string[]) =>
    (
      await promisify(execFile)(SCRIPT, args, { env: { ...process.env, TUNNELGATE_TEST_CHROMIUM_BIN: fake } })
    ).stdout
      .trimEnd()
      .split('\n');

  it('merges every --disable-features into one, keeping the other arguments and their order', async () => {
    assert.deepEqual(
      await run('--disable-features=A,B', '--headless', '--x=a b', '--disable-features=C', '--no-sandbox'),
      ['--headless', '--x=a b', '--no-sandbox', '--disable-features=A,B,C'],
    );
  });

  it('passes the arguments as they are when none disables features', async () => {
    assert.deepEqual(await run('--headless', '--remote-debugging-pipe'), [
      '--headless',
      '--remote-debugging-pipe',
    ]);
  });
});
