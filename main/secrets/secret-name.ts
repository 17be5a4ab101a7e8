/**
 * Rules for secret names. Names the user chooses (config `${secret:NAME}`, `tunnelgate secrets set`)
 * use letters, digits, ".", "_" and "-". The gateway's own records add ":"-separated namespaces
 * (e.g. `oauth:linear:tokens`), so ":" is reserved for them and never appears in a user name.
 */
export const USER_SECRET_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const STORE_SECRET_NAME = /^[A-Za-z0-9_.-]{1,64}(?::[A-Za-z0-9_.-]{1,64}){0,3}$/;

/** A secret name that breaks the rules; the message names the rule, never a value. */
export class InvalidSecretNameError extends Error {
  constructor(
    readonly secretName: string,
    reason: string,
  ) {
    super(`Invalid secret name ${JSON.stringify(truncate(secretName))}: ${reason}`);
    this.name = 'InvalidSecretNameError';
  }
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Throws InvalidSecretNameError unless `name` is a valid user-chosen name. */
export function assertUserSecretName(name: string): void {
  if (!USER_SECRET_NAME.test(name)) {
    throw new InvalidSecretNameError(
      name,
      'use 1-64 letters, digits, ".", "_" or "-" (":" is reserved for names Tunnelgate makes itself).',
    );
  }
}

/** Throws InvalidSecretNameError unless `name` is valid in a SecretStore (user or namespaced). */
export function assertStoreSecretName(name: string): void {
  if (!STORE_SECRET_NAME.test(name)) {
    throw new InvalidSecretNameError(
      name,
      'use 1-64 letters, digits, ".", "_" or "-", optionally in ":"-separated parts such as "oauth:server:tokens".',
    );
  }
}

/**
 * The gateway's own keys (`auth:signing-key` signs every client's tokens): the window neither lists
 * them among the user's secrets nor deletes them, since deleting one signs every client out at once
 * (revoking a client on the Approvals page is the way to end one grant).
 */
export function isGatewayOwnSecret(name: string): boolean {
  return name.startsWith('auth:');
}
