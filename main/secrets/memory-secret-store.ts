import { assertStoreSecretName } from './secret-name.js';
import { SecretStoreUnavailableError, type SecretStore } from './secret-store.js';

export interface MemorySecretStoreOptions {
  /** Initial contents. */
  initial?: Record<string, string>;
  /** Simulate a machine without a keychain: availability() says so and set() refuses. */
  unavailableReason?: string;
}

/** An in-memory SecretStore for tests; same validation and refusal rules as the keychain one. */
export function createMemorySecretStore(
  options: MemorySecretStoreOptions = {},
): SecretStore & { close(): void } {
  const values = new Map<string, string>(Object.entries(options.initial ?? {}));
  const reason = options.unavailableReason;
  return {
    async availability() {
      return reason === undefined ? { available: true } : { available: false, reason };
    },
    async get(name) {
      assertStoreSecretName(name);
      return values.get(name);
    },
    async set(name, value) {
      assertStoreSecretName(name);
      if (reason !== undefined) throw new SecretStoreUnavailableError(reason);
      values.set(name, value);
    },
    async delete(name) {
      assertStoreSecretName(name);
      return values.delete(name);
    },
    async list() {
      return [...values.keys()].sort();
    },
    close() {
      values.clear();
    },
  };
}
