import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLoginItem } from '../../../main/app/login-item.js';
import { FakeApp } from './fake-electron.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-login-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('launch at login', () => {
  it('uses Electron login item settings on macOS and Windows, starting hidden', () => {
    const app = new FakeApp();
    const item = createLoginItem({ app, platform: 'darwin', autostartDir: dir, command: '/x' });
    assert.equal(item.get(), false);
    item.set(true);
    assert.equal(item.get(), true);
    assert.deepEqual(app.loginSettingsCalls, [{ openAtLogin: true, openAsHidden: true, args: ['--hidden'] }]);
  });

  it('writes and removes an XDG autostart entry on Linux, quoting the command', () => {
    const app = new FakeApp();
    const autostart = join(dir, 'autostart');
    const item = createLoginItem({
      app,
      platform: 'linux',
      autostartDir: autostart,
      command: '/opt/Tunnel gate/tunnelgate "x"',
    });
    assert.equal(item.get(), false);
    item.set(true);
    const file = join(autostart, 'tunnelgate.desktop');
    const text = readFileSync(file, 'utf8');
    assert.match(text, /^\[Desktop Entry\]\nType=Application\n/);
    assert.match(text, /^Exec="\/opt\/Tunnel gate\/tunnelgate \\"x\\"" --hidden$/m);
    assert.equal(item.get(), true);
    item.set(false);
    assert.equal(existsSync(file), false);
    assert.deepEqual(app.loginSettingsCalls, [], 'Electron login items are not used on Linux');
  });
});
