import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSystemBrowserOpener, openCommandFor } from '../../../main/auth/upstream/browser-opener.js';

describe('system browser opener', () => {
  const url =
    'https://as.example/authorize?client_id=a&state=b&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcallback';

  it('uses open / xdg-open / the URL handler, the URL as one argument', () => {
    assert.deepEqual(openCommandFor('darwin', url), { command: 'open', args: [url] });
    assert.deepEqual(openCommandFor('linux', url), { command: 'xdg-open', args: [url] });
    assert.deepEqual(openCommandFor('win32', url), {
      command: 'rundll32',
      args: ['url.dll,FileProtocolHandler', url],
    });
  });

  it('refuses anything but http(s)', async () => {
    await assert.rejects(
      createSystemBrowserOpener().open('file:///etc/passwd'),
      /Refusing to open file: URL/,
    );
    await assert.rejects(createSystemBrowserOpener().open('javascript:alert(1)'), /Refusing/);
  });

  it('really spawns xdg-open (a stand-in on PATH) with the whole URL, detached', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tg-opener-'));
    const saved = process.env.PATH;
    try {
      const script = join(dir, 'xdg-open');
      await writeFile(script, `#!/bin/sh\nprintf '%s' "$1" > "${join(dir, 'opened')}"\n`);
      await chmod(script, 0o755);
      process.env.PATH = `${dir}:${saved ?? ''}`;
      await createSystemBrowserOpener({ platform: 'linux' }).open(url);
      let opened = '';
      for (let i = 0; i < 100 && !opened; i++) {
        opened = await readFile(join(dir, 'opened'), 'utf8').catch(() => '');
        if (!opened) await sleep(20);
      }
      assert.equal(opened, url);
      process.env.PATH = dir; // no xdg-open and nothing else: a clear error
      await rm(script);
      await assert.rejects(
        createSystemBrowserOpener({ platform: 'linux' }).open(url),
        /Could not open the browser with "xdg-open".*Open this address yourself/,
      );
    } finally {
      process.env.PATH = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
