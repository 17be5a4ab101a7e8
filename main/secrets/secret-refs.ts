import type { ServerConfig } from '../config/schema.js';
import { USER_SECRET_NAME } from './secret-name.js';
import type { SecretStore } from './secret-store.js';

/** A `${secret:...}` reference that cannot be read; the message names the field. */
export class SecretRefSyntaxError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(
      `${field}: ${detail}. Write a secret reference as \${secret:NAME}, NAME being 1-64 letters, digits, ".", "_" or "-".`,
    );
    this.name = 'SecretRefSyntaxError';
  }
}

export type SecretResolution<T extends ServerConfig> =
  | { config: T; secretValues: string[]; missingSecrets?: undefined }
  | { missingSecrets: string[]; error: string; config?: undefined };

export interface ResolveOptions {
  /** Server key, used in messages ("servers.github.env.GITHUB_TOKEN"). */
  serverName?: string;
  /**
   * Called with every value substituted, so the activity log can redact them (activity's
   * addSecretValues). Called only on success, before the config is returned.
   */
  onSecretValues?: (values: string[]) => void;
}

const REF = /\$\{secret:([^}]*)\}/g;
const OPEN = '${secret:';

/** Fields of a server config that may hold references, as [path, value] pairs. */
function fieldsOf(config: ServerConfig, prefix: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if ('url' in config) out.push([`${prefix}.url`, config.url]);
  if ('headers' in config && config.headers)
    for (const [k, v] of Object.entries(config.headers)) out.push([`${prefix}.headers.${k}`, v]);
  if ('args' in config && config.args) config.args.forEach((v, i) => out.push([`${prefix}.args[${i}]`, v]));
  if ('env' in config && config.env)
    for (const [k, v] of Object.entries(config.env)) out.push([`${prefix}.env.${k}`, v]);
  return out;
}

function refsIn(field: string, value: string): string[] {
  const names: string[] = [];
  for (const m of value.matchAll(REF)) {
    const name = m[1] ?? '';
    if (!USER_SECRET_NAME.test(name))
      throw new SecretRefSyntaxError(
        field,
        `"${m[0].length > 80 ? `${m[0].slice(0, 77)}...` : m[0]}" is not a valid secret name`,
      );
    names.push(name);
  }
  // Any "${secret:" that did not close is a typo the user must see, not text to send upstream.
  const opens = value.split(OPEN).length - 1;
  if (opens !== names.length)
    throw new SecretRefSyntaxError(field, 'a "${secret:" reference is not closed with "}"');
  return names;
}

/** Names of every secret a server config refers to (deduplicated, in order). Throws SecretRefSyntaxError. */
export function secretRefsOf(config: ServerConfig, serverName = 'server'): string[] {
  const names = new Set<string>();
  for (const [field, value] of fieldsOf(config, `servers.${serverName}`))
    for (const n of refsIn(field, value)) names.add(n);
  return [...names];
}

/**
 * Replaces every `${secret:NAME}` in url, headers, args and env with the value from the store.
 * Returns the resolved config (a copy; the input is untouched), or the missing names with a message
 * for the user. Throws SecretRefSyntaxError for a malformed reference.
 */
export async function resolveSecretRefs<T extends ServerConfig>(
  config: T,
  store: SecretStore,
  options: ResolveOptions = {},
): Promise<SecretResolution<T>> {
  const serverName = options.serverName ?? 'server';
  const names = secretRefsOf(config, serverName);
  if (names.length === 0) return { config: structuredClone(config), secretValues: [] };

  const values = new Map<string, string>();
  const missing: string[] = [];
  for (const name of names) {
    const v = await store.get(name);
    if (v === undefined) missing.push(name);
    else values.set(name, v);
  }
  if (missing.length > 0) {
    const availability = await store.availability();
    const list = missing.map((n) => `"${n}"`).join(', ');
    const what = missing.length === 1 ? `secret ${list} it refers to is` : `secrets ${list} it refers to are`;
    const error = availability.available
      ? `Server "${serverName}" cannot start: the ${what} not in the keychain. Store it with: tunnelgate secrets set ${missing[0]}`
      : `Server "${serverName}" cannot start: the ${what} not available because the keychain is not available (${availability.reason ?? 'unknown reason'}).`;
    return { missingSecrets: missing, error };
  }

  const substitute = (s: string) => s.replace(REF, (_m, name: string) => values.get(name) ?? '');
  const out = structuredClone(config) as ServerConfig;
  if ('url' in out) out.url = substitute(out.url);
  if ('headers' in out && out.headers)
    out.headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k, substitute(v)]));
  if ('args' in out && out.args) out.args = out.args.map(substitute);
  if ('env' in out && out.env)
    out.env = Object.fromEntries(Object.entries(out.env).map(([k, v]) => [k, substitute(v)]));

  const secretValues = [...new Set(values.values())].filter((v) => v.length > 0);
  options.onSecretValues?.(secretValues);
  return { config: out as T, secretValues };
}
