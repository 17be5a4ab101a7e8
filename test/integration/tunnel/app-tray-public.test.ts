import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { createAppPrefsStore } from '../../../main/app/app-prefs.js';
import { startApp, type AppController } from '../../../main/app/app-controller.js';
import { invokeChannel } from '../../../preload/ipc-channels.js';
import { createTunnelgate } from '../../../main/bootstrap.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import type { AppStatus } from '../../../preload/contract.js';
import { installFakeCloudflared, readFakeState } from '../../fixtures/fake-cloudflared/install.js';
import { createFakeElectron, FakeBrowserWindow, FakeTray } from '../../unit/app/fake-electron.js';
import { tempDir, waitGone } from './helpers.js';
import { waitUntil } from '../../helpers/wait.js';

// The Electron shell (with a fake 'electron': no Electron binary here) over the real services and the
// fake cloudflared: the user clicks "Go public" in the tray and the tray turns to "Public at <host>".
const { dir, cleanup } = tempDir();
let controller: AppController | null = null;
after(async () => {
  await controller?.shutdown().catch(() => undefined);
  cleanup();
});

async function until<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  return (await waitUntil(fn, what, { timeoutMs: ms })) as T;
}

it(
  'tray: Go public starts the tunnel; the status line, icon and Copy connector URL follow',
  { timeout: 60_000 },
  async () => {
    const stateFile = join(dir, 'fake-state.json');
    process.env.CLOUDFLARED_BIN = installFakeCloudflared(dir);
    process.env.FAKE_CLOUDFLARED_STATE = stateFile;
    process.env.TUNNELGATE_REACHABILITY_CHECK = '0';
    const f = createFakeElectron();
    controller = await startApp({
      electron: f.electron,
      platform: 'darwin',
      preloadPath: '/app/dist/preload/index.cjs',
      rendererDir: join(dir, 'renderer'),
      iconsDir: '/app/resources',
      createServices: (options) =>
        createTunnelgate({
          ...options,
          configPath: join(dir, 'config.json'),
          dataDir: join(dir, 'data'),
          port: 0,
          secretStore: createMemorySecretStore(),
          log: { info: () => {}, warn: () => {} },
        }),
      configuredAuth: async () => undefined,
      prefs: createAppPrefsStore(join(dir, 'app-state.json')),
      loginItem: { get: () => false, set: () => {} },
      startedHidden: false,
      log: () => {},
    });
    const tray = FakeTray.created[0];
    assert.ok(tray);
    await until('the running gateway in the tray', () =>
      /^Running locally on 127\.0\.0\.1:\d+$/.test(String(tray.item('status').label)),
    );
    assert.equal(readFakeState(stateFile), null, 'no tunnel before the user asks for one');
    assert.equal(tray.images.at(-1), '/app/resources/tray-stoppedTemplate.png');

    tray.click('toggle-tunnel');
    const host = await until('a public URL', () => readFakeState(stateFile)?.publicHost);
    await until('the public status line', () => tray.item('status').label === `Public at ${host}`);
    assert.equal(tray.images.at(-1), '/app/resources/tray-publicTemplate.png');
    assert.equal(tray.item('toggle-tunnel').label, 'Stop public URL');
    tray.click('copy-url');
    assert.equal(f.clipboard.text, `https://${host}/mcp`);

    // The window sees the same status over IPC.
    const win = FakeBrowserWindow.created[0];
    assert.ok(win);
    const status = (await f.ipcMain.invoke(
      invokeChannel('getStatus'),
      { id: win.webContents.id },
      'tunnelgate://app/index.html',
    )) as AppStatus;
    assert.equal(status.tunnel.url, `https://${host}`);
    assert.ok(
      win.webContents.sent.some((m) => m.channel === 'tunnelgate:event:status'),
      'status pushed to the window',
    );

    const pid = readFakeState(stateFile)?.pid ?? 0;
    assert.equal(f.app.tryQuit(), true);
    await until('the app to exit', () => f.app.exitCodes.length > 0);
    controller = null;
    assert.deepEqual(await waitGone([pid]), [], 'quitting the app ends cloudflared');
  },
);
