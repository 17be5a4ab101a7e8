import { EventEmitter } from 'node:events';
import { existsSync, watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfigError } from './config-error.js';
import { loadConfig, type LoadedConfig } from './load-config.js';

export interface WatchConfigOptions {
  /** Quiet time after the last file event before reloading (editors write in several steps). */
  debounceMs?: number;
  /** The config already loaded at start; changes are reported relative to it. */
  initial?: LoadedConfig;
  /** Poll interval used when the folder does not exist yet (fs.watch needs an existing folder). */
  pollMs?: number;
}

/** Events of the config watcher, so `on('change', listener)` is checked by the compiler. */
export interface ConfigWatcherEvents {
  /** A valid new config (undefined: the file was removed). */
  change: [config: LoadedConfig | undefined];
  /** An edit that does not validate; the last good config stays in force. */
  error: [error: ConfigError];
}

/** Hot reload of the config file. */
export interface ConfigWatcher extends EventEmitter<ConfigWatcherEvents> {
  /** The last good config (what is in force). */
  current(): LoadedConfig | undefined;
  close(): void;
}

/**
 * Watches the config file's folder rather than the file: editors save by writing a temp file and
 * renaming it over the original, which replaces the inode a file watch would be attached to.
 */
export function watchConfig(path: string, options: WatchConfigOptions = {}): ConfigWatcher {
  const debounceMs = options.debounceMs ?? 150;
  const emitter = new EventEmitter<ConfigWatcherEvents>();
  let current = options.initial;
  let lastKey = current ? JSON.stringify(current.config) : 'absent';
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let polling = false;
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;
  const dir = dirname(path);
  const name = basename(path);

  const reload = async (): Promise<void> => {
    let next: LoadedConfig | undefined;
    try {
      next = await loadConfig(path);
    } catch (err) {
      if (closed) return;
      const error =
        err instanceof ConfigError ? err : new ConfigError(path, [{ path: '', message: String(err) }]);
      // Same broken text twice (e.g. a save with no change) is reported once.
      const key = `error:${error.message}`;
      if (key !== lastKey) {
        lastKey = key;
        // An 'error' event without a listener would throw: report only to those who listen.
        if (emitter.listenerCount('error') > 0) emitter.emit('error', error);
      }
      return;
    }
    if (closed) return;
    const key = next ? JSON.stringify(next.config) : 'absent';
    if (key === lastKey) return;
    lastKey = key;
    current = next;
    emitter.emit('change', next);
  };

  const runReload = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = reload().finally(() => {
      running = undefined;
      if (again && !closed) {
        again = false;
        runReload();
      }
    });
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(runReload, debounceMs);
  };

  const startWatching = (): void => {
    if (closed) return;
    if (!existsSync(dir)) {
      // Poll until the folder appears (e.g. the user creates the default config folder later).
      polling = true;
      watchFile(path, { interval: options.pollMs ?? 1000, persistent: false }, () => {
        if (existsSync(dir) && polling) {
          polling = false;
          unwatchFile(path);
          startWatching();
        }
        schedule();
      });
      return;
    }
    try {
      watcher = watch(dir, { persistent: false }, (_event, file) => {
        // Some platforms omit the file name: reload then, a no-op change is filtered out anyway.
        if (file === null || file === name || String(file) === name) schedule();
      });
      watcher.on('error', () => {
        // The folder itself was removed or renamed: fall back to polling for it.
        watcher?.close();
        watcher = undefined;
        startWatching();
      });
    } catch {
      polling = true;
      watchFile(path, { interval: options.pollMs ?? 1000, persistent: false }, schedule);
    }
  };

  startWatching();
  return Object.assign(emitter, {
    current: () => current,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      if (polling) unwatchFile(path);
    },
  }) satisfies ConfigWatcher;
}
