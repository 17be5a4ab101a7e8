import { currentPlatform, dataDir } from '../config/paths.js';
import { connectControlClient } from '../control/http-client.js';
import { createKeychainSecretStore } from '../secrets/keychain-secret-store.js';
import type { SecretStore } from '../secrets/secret-store.js';

/**
 * Where `tunnelgate secrets` writes: through a running gateway when there is one (so its cached
 * values change too and servers waiting for the secret start at once), else the keychain directly.
 * Either way the value ends up in the OS keychain only.
 */
export async function openSecretsTarget(
  env: NodeJS.ProcessEnv,
): Promise<{ store: SecretStore; via: 'gateway' | 'keychain'; close(): void }> {
  try {
    const client = await connectControlClient(dataDir({ ...currentPlatform(), env }), 5000);
    await client.listSecrets(); // probe: a stale control file (gateway gone) falls through to the keychain
    const store: SecretStore = {
      availability: async () => (await client.getStatus()).keychain,
      get: async () => undefined, // values never travel back out of the gateway
      set: (name, value) => client.setSecret(name, value),
      delete: async (name) => {
        if (!(await client.listSecrets()).includes(name)) return false;
        await client.deleteSecret(name);
        return true;
      },
      list: () => client.listSecrets(),
    };
    return { store, via: 'gateway', close: () => undefined };
  } catch {
    const store = createKeychainSecretStore();
    return { store, via: 'keychain', close: () => store.close() };
  }
}
