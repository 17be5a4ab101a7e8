import { readSecretInput, SecretInputCancelledError, type SecretInput } from './read-secret-input.js';
import { assertUserSecretName, InvalidSecretNameError, assertStoreSecretName } from './secret-name.js';
import { SecretStoreUnavailableError, type SecretStore } from './secret-store.js';

export interface SecretsCommandIo {
  store: SecretStore;
  stdin: SecretInput;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Whether stdin is a terminal: then the value is typed with echo off. */
  isTTY: boolean;
}

const USAGE = `Usage:
  tunnelgate secrets set NAME      store a secret; the value is read from standard input (not echoed)
  tunnelgate secrets list          list the names of stored secrets (never their values)
  tunnelgate secrets delete NAME   delete a secret
Refer to a secret in the config as \${secret:NAME}, e.g. "Authorization": "Bearer \${secret:linear}".
`;

/**
 * `tunnelgate secrets set NAME | list | delete NAME`. Returns the exit code (0 ok, 1 failed,
 * 2 usage). Values are only ever read from stdin and written to the store, never printed.
 */
export async function runSecretsCommand(args: readonly string[], io: SecretsCommandIo): Promise<number> {
  const [sub, name, ...extra] = args;
  const out = (s: string) => io.stdout.write(`${s}\n`);
  const err = (s: string) => io.stderr.write(`${s}\n`);
  try {
    if (sub === 'set' && name !== undefined && extra.length === 0) {
      assertUserSecretName(name);
      const availability = await io.store.availability();
      if (!availability.available)
        throw new SecretStoreUnavailableError(availability.reason ?? 'unknown reason');
      const value = await readSecretInput(io.stdin, io.isTTY, undefined, () => {
        if (io.isTTY) io.stderr.write(`Value for "${name}" (typing is hidden; Enter to finish): `);
      });
      if (io.isTTY) io.stderr.write('\n');
      if (value.length === 0) {
        err(`Nothing was stored: the value for "${name}" is empty.`);
        return 1;
      }
      const existed = (await io.store.list()).includes(name);
      await io.store.set(name, value);
      out(
        `${existed ? 'Replaced' : 'Stored'} secret "${name}" in the keychain. Refer to it as \${secret:${name}}.`,
      );
      return 0;
    }
    if (sub === 'list' && name === undefined) {
      const availability = await io.store.availability();
      if (!availability.available) {
        err(
          `The OS keychain is not available: ${availability.reason ?? 'unknown reason'}. No secrets can be stored or listed.`,
        );
        return 1;
      }
      const names = await io.store.list();
      if (names.length === 0) err('No secrets are stored.');
      for (const n of names) out(n);
      return 0;
    }
    if (sub === 'delete' && name !== undefined && extra.length === 0) {
      // Internal names (e.g. "oauth:linear:tokens", shown by list) may be deleted too: that is a sign-out.
      assertStoreSecretName(name);
      if (await io.store.delete(name)) {
        out(`Deleted secret "${name}".`);
        return 0;
      }
      err(`No secret named "${name}" is stored; nothing was deleted. See: tunnelgate secrets list`);
      return 1;
    }
    io.stderr.write(USAGE);
    return 2;
  } catch (e) {
    if (
      e instanceof InvalidSecretNameError ||
      e instanceof SecretStoreUnavailableError ||
      e instanceof SecretInputCancelledError
    ) {
      err(e.message);
      return 1;
    }
    // Keychain errors carry no values; the message is shown as is.
    err(`The secret could not be saved or read: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
