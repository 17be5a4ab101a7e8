import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createAppPrefsStore } from '../../../main/app/app-prefs.js';
import {
  startApp,
  type AppControllerDeps,
  type ShellServiceOptions,
} from '../../../main/app/app-controller.js';
import { invokeChannel } from '../../../preload/ipc-channels.js';
import type { LoginItem } from '../../../main/app/login-item.js';
import { API_METHODS } from '../../../preload/contract.js';
import { baseStatus, createRecordingApi } from './fake-api.js';
import { createFakeElectron, FakeBrowserWindow, FakeTray } from './fake-electron.js';
import { waitUntil } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-app-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function setup(over: Partial<AppControllerDeps> = {}, file = join(dir, `prefs-${Math.random()}.json`)) {
  const f = createFakeElectron();
  const recording = createRecordingApi(baseStatus({ pendingApprovals: 1 }));
  const life: string[] = [];
  const options: ShellServiceOptions[] = [];
  let login = false;
  const loginItem: LoginItem = { get: () => login, set: (v) => void (login = v) };
  const deps: AppControllerDeps = {
    electron: f.electron,
    platform: 'linux',
    preloadPath: '/app/dist/preload/index.cjs',
    rendererDir: dir,
    iconsDir: '/app/resources',
    createServices: async (o) => {
      options.push(o);
      return {
        start: async () => void life.push('start'),
        stop: async () => void life.push('stop'),
        services: { control: recording.api },
      };
    },
    configuredAuth: async () => undefined,
    prefs: createAppPrefsStore(file),
    loginItem,
    startedHidden: false,
    log: (m) => life.push(`log: ${m}`),
    ...over,
  };
  return { f, recording, life, options, deps, prefsFile: file, login: () => login };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('app controller', () => {
  it('quits at once when another instance holds the lock', async () => {
    const s = setup();
    s.f.app.lock = false;
    assert.equal(await startApp(s.deps), null);
    assert.equal(s.f.app.quitCalls, 1);
    assert.equal(FakeTray.created.length, 0);
    assert.deepEqual(s.options, [], 'no services were created');
  });

  it('starts: scheme before ready, services without the tunnel on a first run, tray, IPC and the dashboard', async () => {
    const s = setup();
    const controller = await startApp(s.deps);
    assert.ok(controller);
    assert.deepEqual(s.f.order, ['registerSchemes(ready=false)']);
    assert.ok(s.f.handled.has('tunnelgate'));
    assert.equal(s.options[0]?.tunnel, false, 'the tunnel never starts by itself on a first run');
    assert.equal(s.options[0]?.auth, 'oauth');
    assert.deepEqual(s.life, ['start']);
    assert.equal(s.f.app.listenerCount('window-all-closed'), 1, 'closing the last window does not quit');
    assert.deepEqual(
      [...s.f.ipcMain.handlers.keys()].sort(),
      API_METHODS.map((m) => invokeChannel(m)).sort(),
    );
    await tick();
    const tray = FakeTray.created[0];
    assert.ok(tray);
    assert.equal(tray.item('status').label, 'Running locally on 127.0.0.1:8740');
    assert.equal(tray.item('open-approvals').label, 'Pending approvals (1)');
    assert.equal(FakeBrowserWindow.created.length, 1, 'the dashboard opens when not started hidden');
    await controller.shutdown();
  });

  it('serves IPC only to its own windows', async () => {
    const s = setup();
    const controller = await startApp(s.deps);
    const win = FakeBrowserWindow.created[0];
    assert.ok(win);
    await s.f.ipcMain.invoke(
      invokeChannel('listServers'),
      { id: win.webContents.id },
      'tunnelgate://app/index.html',
    );
    await assert.rejects(
      s.f.ipcMain.invoke(
        invokeChannel('listServers'),
        { id: win.webContents.id + 1000 },
        'tunnelgate://app/index.html',
      ),
      /did not come from a Tunnelgate window/,
    );
    assert.equal(s.recording.calls.filter((c) => c.method === 'listServers').length, 1);
    await controller?.shutdown();
  });

  it('wires tray actions to the control service and remembers going public', async () => {
    const file = join(dir, 'prefs-public.json');
    const s = setup({}, file);
    const controller = await startApp(s.deps);
    await tick();
    const tray = FakeTray.created[0];
    assert.ok(tray);
    tray.click('toggle-tunnel');
    tray.click('toggle-gateway');
    tray.click('copy-url');
    tray.click('launch-at-login');
    await tick();
    assert.deepEqual(
      s.recording.calls.filter((c) => c.method !== 'getStatus').map((c) => c.method),
      ['startTunnel', 'stopGateway'],
    );
    assert.equal(s.f.clipboard.text, 'http://127.0.0.1:8740/mcp');
    assert.equal(s.login(), true);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { goPublicOnLaunch: true });
    // The status pushed by the control service re-renders the tray.
    s.recording.emit(
      'status',
      baseStatus({
        tunnel: { mode: 'quick', phase: 'ready', url: 'https://w-x-y-z.trycloudflare.com', reachable: 'yes' },
      }),
    );
    assert.equal(tray.item('status').label, 'Public at w-x-y-z.trycloudflare.com');
    await controller?.shutdown();

    // Next launch: the user chose to be public, so the tunnel starts with the gateway.
    const again = setup({}, file);
    const second = await startApp(again.deps);
    assert.equal(again.options[0]?.tunnel, true);
    await second?.shutdown();
  });

  it('respects gateway.auth from the config, and stays in the tray when started at login', async () => {
    const s = setup({ configuredAuth: async () => 'none', startedHidden: true });
    const controller = await startApp(s.deps);
    assert.equal(s.options[0]?.auth, 'none');
    assert.equal(FakeBrowserWindow.created.length, 0);
    s.f.app.emit('second-instance');
    assert.equal(FakeBrowserWindow.created.length, 1, 'a second launch shows the dashboard');
    await controller?.shutdown();
  });

  it('holds the quit until the services are stopped, then exits; nothing stays registered', async () => {
    const s = setup();
    await startApp(s.deps);
    assert.equal(s.f.app.tryQuit(), true, 'before-quit is held');
    await waitUntil(() => s.f.app.exitCodes.length > 0, 'the app to exit after stopping its services');
    assert.deepEqual(s.life, ['start', 'stop']);
    assert.deepEqual(s.f.app.exitCodes, [0]);
    assert.equal(s.f.ipcMain.handlers.size, 0);
    assert.equal(FakeTray.created[0]?.destroyed, true);
    assert.equal(s.recording.listeners.status.size, 0);
  });
});
