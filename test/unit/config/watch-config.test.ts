import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadConfig,
  watchConfig,
  type ConfigError,
  type ConfigWatcher,
  type LoadedConfig,
} from '../../../main/config/index.js';

const cfg = (servers: Record<string, unknown>): string => JSON.stringify({ mcpServers: servers }, null, 2);

/** Next 'change' or 'error' event, or a failure after 5 s (the watcher must react). */
function nextEvent(
  w: ConfigWatcher,
): Promise<{ type: 'change'; config: LoadedConfig | undefined } | { type: 'error'; error: ConfigError }> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      w.off('change', onChange);
      w.off('error', onError);
    };
    const onChange = (config: LoadedConfig | undefined): void => {
      done();
      resolve({ type: 'change', config });
    };
    const onError = (error: ConfigError): void => {
      done();
      resolve({ type: 'error', error });
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('the watcher reported nothing within 5 s'));
    }, 5000);
    w.on('change', onChange);
    w.on('error', onError);
  });
}

describe('watchConfig (hot reload on a real file)', () => {
  let dir: string;
  let file: string;
  let watcher: ConfigWatcher | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-watch-'));
    file = join(dir, 'config.json');
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports added, changed and removed servers, and keeps the last good config on a bad edit', async () => {
    await writeFile(file, cfg({ a: { command: 'node', args: ['a.js'] } }));
    watcher = watchConfig(file, { debounceMs: 50, initial: await loadConfig(file) });

    let ev = nextEvent(watcher);
    await writeFile(
      file,
      cfg({ a: { command: 'node', args: ['a.js'] }, b: { url: 'http://127.0.0.1:9/mcp' } }),
    );
    let got = await ev;
    assert.equal(got.type, 'change');
    assert.deepEqual(Object.keys(got.type === 'change' ? got.config!.config.mcpServers : {}), ['a', 'b']);

    ev = nextEvent(watcher);
    await writeFile(
      file,
      cfg({ a: { command: 'node', args: ['a2.js'] }, b: { url: 'http://127.0.0.1:9/mcp' } }),
    );
    got = await ev;
    assert.equal(got.type, 'change');
    assert.deepEqual(watcher.current()?.config.mcpServers.a, { command: 'node', args: ['a2.js'] });

    ev = nextEvent(watcher);
    await writeFile(file, cfg({ b: { url: 'htps:/x' } }));
    got = await ev;
    assert.equal(got.type, 'error');
    assert.match(
      got.type === 'error' ? got.error.message : '',
      /config\.json: mcpServers\.b\.url: not a URL/,
    );
    // The invalid edit is kept out: what is in force is still the previous config.
    assert.deepEqual(Object.keys(watcher.current()!.config.mcpServers), ['a', 'b']);

    ev = nextEvent(watcher);
    await writeFile(file, cfg({ b: { url: 'http://127.0.0.1:9/mcp' } }));
    got = await ev;
    assert.equal(got.type, 'change');
    assert.deepEqual(Object.keys(watcher.current()!.config.mcpServers), ['b']);
  });

  it('survives atomic rename-saves (as editors do) repeatedly', async () => {
    await writeFile(file, cfg({}));
    watcher = watchConfig(file, { debounceMs: 50, initial: await loadConfig(file) });
    for (const name of ['one', 'two', 'three']) {
      const ev = nextEvent(watcher);
      const tmp = join(dir, `.config.json.${name}.swp`);
      await writeFile(tmp, cfg({ [name]: { command: 'node' } }));
      await rename(tmp, file);
      const got = await ev;
      assert.equal(got.type, 'change');
      assert.deepEqual(Object.keys(watcher.current()!.config.mcpServers), [name]);
    }
  });

  it('picks up a config created after start and ignores saves that change nothing', async () => {
    watcher = watchConfig(file, { debounceMs: 50 });
    assert.equal(watcher.current(), undefined);
    const ev = nextEvent(watcher);
    await writeFile(file, cfg({ x: { command: 'node' } }));
    const got = await ev;
    assert.equal(got.type, 'change');
    let extra = 0;
    watcher.on('change', () => extra++);
    await writeFile(file, `${cfg({ x: { command: 'node' } })}\n\n`);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(extra, 0);
    // Removing the file is a change to "no config" (bootstrap then serves the demo server).
    const removed = nextEvent(watcher);
    await rm(file);
    const got2 = await removed;
    assert.equal(got2.type, 'change');
    assert.equal(got2.type === 'change' ? got2.config : 'x', undefined);
  });
});
