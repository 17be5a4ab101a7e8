import { readFile } from 'node:fs/promises';
import { configSchema, type TunnelgateConfig } from './schema.js';
import { ConfigError, jsonSyntaxProblem, problemsFromZod } from './config-error.js';

/** A config file read and validated. `raw` is the parsed JSON as written (for edits that keep it). */
export interface LoadedConfig {
  path: string;
  config: TunnelgateConfig;
  raw: Record<string, unknown>;
}

/**
 * Parses and validates config text. Throws ConfigError naming `file` and each field at fault.
 * Secret references (`${secret:NAME}`) stay as text here; main/secrets resolves them.
 */
export function parseConfigText(text: string, file: string): Omit<LoadedConfig, 'path'> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { config: configSchema.parse({}), raw: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    throw new ConfigError(file, [jsonSyntaxProblem(body)]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [
      { path: '', message: 'must be a JSON object like { "mcpServers": { ... } }' },
    ]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, problemsFromZod(result.error.issues, raw));
  return { config: result.data, raw: raw as Record<string, unknown> };
}

/**
 * Reads and validates the config at `path`. Returns undefined when the file does not exist (the
 * caller then starts the demo server); throws ConfigError for any other problem.
 */
export async function loadConfig(path: string): Promise<LoadedConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR')
      throw new ConfigError(path, [{ path: '', message: 'is a folder, not a JSON file' }]);
    throw new ConfigError(path, [
      { path: '', message: `cannot be read (${code ?? String(err)}); check its permissions` },
    ]);
  }
  return { path, ...parseConfigText(text, path) };
}
