import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { eventChannel, invokeChannel } from '../../../preload/ipc-channels.js';
import { API_METHODS } from '../../../preload/contract.js';

// Builds preload/index.ts exactly as scripts/build.mjs does (one CommonJS file, 'electron' external)
// and runs the bundle against a fake 'electron', as a sandboxed preload would run.
const root = resolve(import.meta.dirname, '../../..');
const out = mkdtempSync(join(tmpdir(), 'tg-preload-'));
after(() => rmSync(out, { recursive: true, force: true }));

interface Exposed {
  name: string;
  api: Record<string, (...a: unknown[]) => unknown>;
}

function runPreload(code: string) {
  const exposed: Exposed[] = [];
  const invoked: { channel: string; args: unknown[] }[] = [];
  const handlers = new Map<string, Set<(...a: unknown[]) => void>>();
  const fakeElectron = {
    contextBridge: { exposeInMainWorld: (name: string, api: Exposed['api']) => exposed.push({ name, api }) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return `answer:${channel}`;
      },
      on: (channel: string, h: (...a: unknown[]) => void) =>
        void (handlers.get(channel) ?? handlers.set(channel, new Set()).get(channel))?.add(h),
      removeListener: (channel: string, h: (...a: unknown[]) => void) =>
        void handlers.get(channel)?.delete(h),
    },
  };
  const fakeRequire = (id: string): unknown => {
    if (id === 'electron') return fakeElectron;
    throw new Error(`the preload must not require '${id}' (sandboxed preloads only get 'electron')`);
  };
  const module = { exports: {} };
  new Function('require', 'module', 'exports', code)(fakeRequire, module, module.exports);
  return { exposed, invoked, handlers };
}

describe('preload bundle', () => {
  let code = '';
  before(async () => {
    await build({
      entryPoints: [join(root, 'preload/index.ts')],
      outfile: join(out, 'index.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
      target: 'node20',
      logLevel: 'silent',
    });
    code = readFileSync(join(out, 'index.cjs'), 'utf8');
  });

  it('exposes window.tunnelgate with one method per action and one subscription per event, nothing else', () => {
    const { exposed } = runPreload(code);
    assert.equal(exposed.length, 1);
    assert.equal(exposed[0]?.name, 'tunnelgate');
    const keys = Object.keys(exposed[0]?.api ?? {}).sort();
    assert.deepEqual(
      keys,
      [...API_METHODS, 'onStatus', 'onServers', 'onActivity', 'onApprovals', 'onServerLog'].sort(),
    );
    assert.ok(
      Object.values(exposed[0]?.api ?? {}).every((v) => typeof v === 'function'),
      'no ipcRenderer or other object leaks',
    );
  });

  it('invokes the fixed channel of each method with the given arguments', async () => {
    const { exposed, invoked } = runPreload(code);
    const api = exposed[0]?.api ?? {};
    assert.equal(await api.getStatus?.(), `answer:${invokeChannel('getStatus')}`);
    await api.setToolEnabled?.('github', 'create_issue', false);
    assert.deepEqual(invoked.at(-1), {
      channel: invokeChannel('setToolEnabled'),
      args: ['github', 'create_issue', false],
    });
  });

  it('subscriptions pass only the payload and return a working unsubscribe', () => {
    const { exposed, handlers } = runPreload(code);
    const got: unknown[] = [];
    const unsubscribe = exposed[0]?.api.onActivity?.((e: unknown) => got.push(e)) as () => void;
    const channel = eventChannel('activity');
    for (const h of handlers.get(channel) ?? []) h({ sender: 'ipc-event-object' }, { id: 1 });
    assert.deepEqual(got, [{ id: 1 }]);
    unsubscribe();
    assert.equal(handlers.get(channel)?.size, 0);
  });
});
