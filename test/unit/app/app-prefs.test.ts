import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import Conf from 'conf';
import { createKeyValuePrefs, type AppPrefs } from '../../../main/app/app-prefs.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-prefs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// electron-store is `conf` with Electron's userData as its folder; the same engine runs here.
const open = () =>
  new Conf<AppPrefs>({
    projectName: 'tunnelgate-test',
    cwd: dir,
    configName: 'app-state',
    defaults: { goPublicOnLaunch: false },
  });

it('prefs over the electron-store engine: nothing public by default, the choice survives a restart', () => {
  const first = createKeyValuePrefs(open());
  assert.deepEqual(first.get(), { goPublicOnLaunch: false });
  first.set({ goPublicOnLaunch: true });
  assert.deepEqual(
    createKeyValuePrefs(open()).get(),
    { goPublicOnLaunch: true },
    'read back by a new store (a restart)',
  );
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'app-state.json'), 'utf8')), { goPublicOnLaunch: true });
  first.set({});
  assert.deepEqual(
    createKeyValuePrefs(open()).get(),
    { goPublicOnLaunch: true },
    'an empty patch changes nothing',
  );
});
