import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventChannel, invokeChannel } from '../../../preload/ipc-channels.js';
import {
  createSenderCheck,
  forwardEvents,
  ForeignSenderError,
  registerIpcHandlers,
} from '../../../main/app/ipc.js';
import { API_METHODS } from '../../../preload/contract.js';
import { createRecordingApi } from './fake-api.js';
import { FakeIpcMain, FakeWebContents } from './fake-electron.js';

const OURS = 'tunnelgate://app/index.html#/servers';

function setup() {
  const ipcMain = new FakeIpcMain();
  const { api, calls } = createRecordingApi();
  const ours = new Set<number>([7]);
  const refused: string[] = [];
  const dispose = registerIpcHandlers({
    ipcMain,
    api,
    isTrustedSender: createSenderCheck(() => ours),
    onRefused: (c) => refused.push(c),
  });
  return { ipcMain, calls, ours, refused, dispose };
}

describe('IPC registration', () => {
  it('registers exactly one handler per API method', () => {
    const { ipcMain } = setup();
    assert.deepEqual([...ipcMain.handlers.keys()].sort(), API_METHODS.map((m) => invokeChannel(m)).sort());
  });

  it('passes arguments from our window to the api and returns its answer', async () => {
    const { ipcMain, calls } = setup();
    const status = await ipcMain.invoke(invokeChannel('getStatus'), { id: 7 }, OURS);
    assert.equal((status as { gateway: { port: number } }).gateway.port, 8740);
    await ipcMain.invoke(invokeChannel('setServerEnabled'), { id: 7 }, OURS, 'github', false);
    assert.deepEqual(calls.at(-1), { method: 'setServerEnabled', args: ['github', false] });
  });

  it('refuses a webContents that is not one of our windows, without calling the api', async () => {
    const { ipcMain, calls, refused } = setup();
    await assert.rejects(
      ipcMain.invoke(invokeChannel('setSecret'), { id: 99 }, OURS, 'github', 'value'),
      ForeignSenderError,
    );
    assert.deepEqual(calls, []);
    assert.deepEqual(refused, [invokeChannel('setSecret')]);
  });

  it('refuses our window when the calling frame shows foreign content, is a subframe, or is gone', async () => {
    const { ipcMain, calls } = setup();
    await assert.rejects(
      ipcMain.invoke(invokeChannel('listSecrets'), { id: 7 }, 'https://evil.example/'),
      ForeignSenderError,
    );
    await assert.rejects(
      ipcMain.invoke(invokeChannel('listSecrets'), { id: 7 }, 'file:///tmp/page.html'),
      ForeignSenderError,
    );
    await assert.rejects(ipcMain.invoke(invokeChannel('listSecrets'), { id: 7 }, null), ForeignSenderError);
    const handler = ipcMain.handlers.get(invokeChannel('listSecrets'));
    await assert.rejects(
      async () => handler?.({ sender: { id: 7 }, senderFrame: { url: OURS, parent: {} } }),
      ForeignSenderError,
    );
    assert.deepEqual(calls, []);
  });

  it('stops accepting calls from a window once it is closed, and unregisters on dispose', async () => {
    const { ipcMain, ours, dispose } = setup();
    ours.delete(7);
    await assert.rejects(ipcMain.invoke(invokeChannel('getStatus'), { id: 7 }, OURS), ForeignSenderError);
    dispose();
    assert.equal(ipcMain.handlers.size, 0);
  });
});

describe('pushed events', () => {
  it('sends each API event to our live windows and unsubscribes cleanly', () => {
    const { api, emit, listeners } = createRecordingApi();
    const a = new FakeWebContents();
    const b = new FakeWebContents();
    const stop = forwardEvents(api, () => [a, b]);
    b.destroyed = true;
    emit('status', { x: 1 });
    emit('activity', { id: 3 });
    emit('approvals', []);
    emit('servers', []);
    assert.deepEqual(
      a.sent.map((s) => s.channel),
      [eventChannel('status'), eventChannel('activity'), eventChannel('approvals'), eventChannel('servers')],
    );
    assert.deepEqual(a.sent[1]?.args, [{ id: 3 }]);
    assert.deepEqual(b.sent, [], 'a destroyed window gets nothing');
    stop();
    assert.equal(
      listeners.status.size + listeners.activity.size + listeners.approvals.size + listeners.servers.size,
      0,
    );
  });
});
