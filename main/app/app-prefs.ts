/**
 * The shell's own small memory (not the gateway config): whether the user chose to go public, so the
 * tunnel starts again at the next launch. It is false until the user asks for a public URL, so the
 * tunnel never starts by itself on a first run (issue 5).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AppPrefs {
  goPublicOnLaunch: boolean;
}

export interface AppPrefsStore {
  get(): AppPrefs;
  set(patch: Partial<AppPrefs>): void;
}

/** The part of electron-store (or `conf`) the prefs need: typed get/set of one key. */
export interface KeyValueStore {
  get(key: 'goPublicOnLaunch'): unknown;
  set(key: 'goPublicOnLaunch', value: boolean): void;
}

/** Prefs over electron-store, as the app uses them (main.ts creates the store). */
export function createKeyValuePrefs(store: KeyValueStore): AppPrefsStore {
  return {
    get: () => ({ goPublicOnLaunch: store.get('goPublicOnLaunch') === true }),
    set(patch) {
      if (patch.goPublicOnLaunch !== undefined) store.set('goPublicOnLaunch', patch.goPublicOnLaunch);
    },
  };
}

/** Prefs in a plain JSON file: for tests and tools that run without Electron's app paths. */
export function createAppPrefsStore(file: string): AppPrefsStore {
  let prefs: AppPrefs = { goPublicOnLaunch: false };
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<AppPrefs>;
    prefs = { goPublicOnLaunch: raw.goPublicOnLaunch === true };
  } catch {
    // Missing or unreadable: the defaults (nothing public).
  }
  return {
    get: () => ({ ...prefs }),
    set(patch) {
      prefs = { ...prefs, ...patch };
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(prefs, null, 2)}\n`);
    },
  };
}
