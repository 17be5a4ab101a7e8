// A separate process using the keychain store: a restart, or a machine without a Secret Service
// when started with DBUS_SESSION_BUS_ADDRESS pointing at nothing. Prints one JSON line. Start it with
// nodeArgs (test/helpers/cli-harness.ts): plain node over the compiled modules when the run has them.
import { mainModule } from '../../helpers/main-module.mjs';

const { createKeychainSecretStore } = await import(mainModule('secrets/keychain-secret-store'));
const { runSecretsCommand } = await import(mainModule('secrets/secrets-cli'));

const [mode, service, ...rest] = process.argv.slice(2);
if (!mode || !service) throw new Error('usage: keychain-child.mjs <read|probe|cli> SERVICE ...');
const store = createKeychainSecretStore({ service, timeoutMs: 10_000 });

if (mode === 'cli') {
  process.exitCode = await runSecretsCommand(rest, {
    store,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stdin.isTTY),
  });
} else if (mode === 'read') {
  const values = {};
  for (const name of rest) values[name] = (await store.get(name)) ?? null;
  console.log(JSON.stringify({ availability: await store.availability(), list: await store.list(), values }));
} else {
  let setError;
  try {
    await store.set('probe-name', 'probe-value-should-never-be-stored');
  } catch (e) {
    setError =
      e instanceof Error ? { name: e.name, message: e.message } : { name: 'unknown', message: String(e) };
  }
  console.log(
    JSON.stringify({
      availability: await store.availability(),
      setError,
      get: (await store.get('probe-name')) ?? null,
      list: await store.list(),
    }),
  );
}
