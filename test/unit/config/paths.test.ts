import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  claudeDesktopConfigPath,
  dataDir,
  defaultConfigPath,
  resolveConfigPath,
  type PlatformEnv,
} from '../../../main/config/index.js';

const linux = (env: NodeJS.ProcessEnv = {}): PlatformEnv => ({ platform: 'linux', env, home: '/home/ann' });
const mac: PlatformEnv = { platform: 'darwin', env: {}, home: '/Users/ann' };
const win: PlatformEnv = {
  platform: 'win32',
  env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' },
  home: 'C:\\Users\\ann',
};

describe('OS paths', () => {
  it('config file per OS, honouring XDG_CONFIG_HOME only when absolute', () => {
    assert.equal(defaultConfigPath(linux()), '/home/ann/.config/tunnelgate/config.json');
    assert.equal(defaultConfigPath(linux({ XDG_CONFIG_HOME: '/x/cfg' })), '/x/cfg/tunnelgate/config.json');
    assert.equal(
      defaultConfigPath(linux({ XDG_CONFIG_HOME: 'rel' })),
      '/home/ann/.config/tunnelgate/config.json',
    );
    assert.equal(defaultConfigPath(mac), '/Users/ann/Library/Application Support/Tunnelgate/config.json');
    assert.equal(defaultConfigPath(win), 'C:\\Users\\ann\\AppData\\Roaming\\Tunnelgate\\config.json');
  });

  it('data folder per OS', () => {
    assert.equal(dataDir(linux()), '/home/ann/.local/share/tunnelgate');
    assert.equal(dataDir(linux({ XDG_DATA_HOME: '/d' })), '/d/tunnelgate');
    assert.equal(dataDir(linux({ TUNNELGATE_DATA_DIR: '/override' })), '/override');
    assert.equal(dataDir(mac), '/Users/ann/Library/Application Support/Tunnelgate');
    assert.equal(dataDir(win), 'C:\\Users\\ann\\AppData\\Local\\Tunnelgate');
  });

  it('Claude Desktop config per OS', () => {
    assert.equal(claudeDesktopConfigPath(linux()), '/home/ann/.config/Claude/claude_desktop_config.json');
    assert.equal(
      claudeDesktopConfigPath(mac),
      '/Users/ann/Library/Application Support/Claude/claude_desktop_config.json',
    );
    assert.equal(
      claudeDesktopConfigPath(win),
      'C:\\Users\\ann\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    );
  });

  it('--config wins over TUNNELGATE_CONFIG, which wins over the default', () => {
    const p = linux({ TUNNELGATE_CONFIG: '/env/c.json' });
    assert.deepEqual(resolveConfigPath('/flag/c.json', p), { path: '/flag/c.json', source: 'flag' });
    assert.deepEqual(resolveConfigPath(undefined, p), { path: '/env/c.json', source: 'env' });
    assert.deepEqual(resolveConfigPath(undefined, linux()), {
      path: '/home/ann/.config/tunnelgate/config.json',
      source: 'default',
    });
  });
});
