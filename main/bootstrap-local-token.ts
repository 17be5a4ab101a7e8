/**
 * The local MCP endpoint's optional token: `gateway.localTokenSecret` names a keychain secret (set
 * with `tunnelgate secrets set NAME`); when it is set, local clients must send it as a bearer token.
 * Read when the gateway starts; the value never leaves the keychain and this closure.
 */
import { randomBytes } from 'node:crypto';
import type { TunnelgateConfig } from './config/index.js';
import type { SecretStore } from './secrets/secret-store.js';

export function createLocalTokenSource(deps: {
  secrets: SecretStore;
  config(): TunnelgateConfig;
  warn(message: string): void;
}) {
  let token: string | undefined;
  return {
    /** The token local clients must present, or undefined when none is required. */
    current: (): string | undefined => token,
    async refresh(): Promise<void> {
      const name = deps.config().gateway?.localTokenSecret;
      if (!name) {
        token = undefined;
        return;
      }
      const value = await deps.secrets.get(name).catch(() => undefined);
      if (value) {
        token = value;
        return;
      }
      // Asked for a token that cannot be read: refuse every local request rather than serve openly.
      token = randomBytes(32).toString('base64url');
      deps.warn(
        `gateway.localTokenSecret names "${name}", which is not in the keychain: the local MCP endpoint refuses every request until you run "tunnelgate secrets set ${name}" and restart the gateway.`,
      );
    },
  };
}
