/**
 * Where every upstream token, API key, OAuth client record, signing key and tunnel token lives.
 * Implementations: the OS keychain (keychain-secret-store.ts) and an in-memory one for tests.
 * Values never go to disk in plain text, nor into logs or error messages.
 */
export interface SecretStore {
  /** Whether secrets can be stored here; `reason` says why not, in words for the user. */
  availability(): Promise<{ available: boolean; reason?: string }>;
  get(name: string): Promise<string | undefined>;
  /** Throws SecretStoreUnavailableError rather than ever falling back to plain text. */
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<boolean>;
  /** Names only, never values. */
  list(): Promise<string[]>;
}

export class SecretStoreUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `The OS keychain is not available: ${reason}. Secrets are not stored in plain text, so this one was not saved.`,
    );
    this.name = 'SecretStoreUnavailableError';
  }
}
