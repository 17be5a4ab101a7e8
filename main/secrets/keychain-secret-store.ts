import { AsyncEntry } from '@napi-rs/keyring';
import { createChunkedEntries, defaultMaxEntryChars } from './keychain-chunks.js';
import { keychainErrorReason } from './keychain-errors.js';
import { assertStoreSecretName } from './secret-name.js';
import { SecretStoreUnavailableError, type SecretStore } from './secret-store.js';

export interface KeychainSecretStoreOptions {
  /** Keychain service name every entry is filed under. */
  service?: string;
  /** How long one keychain operation may take before it counts as unavailable (an unlock prompt may be showing). */
  timeoutMs?: number;
  /** Largest value one keychain entry takes; longer values are split (see keychain-chunks.ts). */
  maxEntryChars?: number;
}

/** The keychain store, plus a way to drop cached values when another process may have changed them. */
export interface KeychainSecretStore extends SecretStore {
  /** Forget cached values (one name, or all), so the next get() reads the keychain again. */
  clearCache(name?: string): void;
  close(): void;
}

// '#' is not allowed in secret names, so the index entry can never collide with a secret.
const INDEX_ACCOUNT = '#index';

/**
 * SecretStore on the OS keychain (macOS Keychain, Windows Credential Manager, Linux Secret Service)
 * through @napi-rs/keyring. Each secret is one entry (service, name). Keychains cannot always
 * enumerate their entries, so the names (never values) are also kept in one index entry.
 * On Linux the entry is pinned to the Secret Service: the library would otherwise fall back silently
 * to the kernel keyring, which forgets everything at reboot.
 */
export function createKeychainSecretStore(options: KeychainSecretStoreOptions = {}): KeychainSecretStore {
  const service = options.service ?? 'tunnelgate';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const cache = new Map<string, string>();
  let probe: Promise<{ available: boolean; reason?: string }> | undefined;
  // Index updates are read-modify-write: serialise them within this process.
  let queue: Promise<unknown> = Promise.resolve();

  const entry = (account: string) => new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
  const signal = () => AbortSignal.timeout(timeoutMs);
  const entries = createChunkedEntries(
    {
      get: async (account) => (await entry(account).getPassword(signal())) ?? null,
      set: (account, value) => entry(account).setPassword(value, signal()),
      delete: (account) => entry(account).deleteCredential(signal()),
    },
    options.maxEntryChars ?? defaultMaxEntryChars(process.platform),
  );

  async function readIndex(): Promise<string[]> {
    const raw = await entries.read(INDEX_ACCOUNT);
    if (!raw) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter((n): n is string => typeof n === 'string') : [];
    } catch {
      return []; // a damaged index only loses the listing, never a secret
    }
  }

  async function writeIndex(names: Iterable<string>): Promise<void> {
    await entries.write(INDEX_ACCOUNT, JSON.stringify([...new Set(names)].sort()));
  }

  function availability() {
    probe ??= readIndex().then(
      () => ({ available: true }),
      (err: unknown) => ({ available: false, reason: keychainErrorReason(err) }),
    );
    return probe;
  }

  function serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  async function requireAvailable(): Promise<void> {
    const a = await availability();
    if (!a.available) throw new SecretStoreUnavailableError(a.reason ?? 'unknown reason');
  }

  return {
    availability,
    async get(name) {
      assertStoreSecretName(name);
      const cached = cache.get(name);
      if (cached !== undefined) return cached;
      if (!(await availability()).available) return undefined;
      const value = await entries.read(name);
      if (value === undefined) return undefined; // misses are not cached: another process may add it
      cache.set(name, value);
      return value;
    },
    async set(name, value) {
      assertStoreSecretName(name);
      await requireAvailable();
      await serialised(async () => {
        try {
          await entries.write(name, value);
          const names = await readIndex();
          if (!names.includes(name)) await writeIndex([...names, name]);
        } catch (err) {
          // e.g. a locked keychain whose unlock prompt was dismissed: refuse, never fall back.
          throw new SecretStoreUnavailableError(keychainErrorReason(err));
        }
        cache.set(name, value);
      });
    },
    async delete(name) {
      assertStoreSecretName(name);
      cache.delete(name);
      if (!(await availability()).available) return false;
      return serialised(async () => {
        const deleted = await entries.remove(name);
        const names = await readIndex();
        if (names.includes(name)) await writeIndex(names.filter((n) => n !== name));
        return deleted || names.includes(name);
      });
    },
    async list() {
      if (!(await availability()).available) return [];
      return (await readIndex()).sort();
    },
    clearCache(name) {
      if (name === undefined) cache.clear();
      else cache.delete(name);
    },
    close() {
      cache.clear();
    },
  };
}
