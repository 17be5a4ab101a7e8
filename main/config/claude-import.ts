import { access, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { configSchema, serverSchema } from './schema.js';
import { problemsFromZod } from './config-error.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { claudeDesktopConfigPath, currentPlatform, type PlatformEnv } from './paths.js';

/** Outcome of an import; same shape as preload/contract.ts ImportResult. */
export interface ClaudeImportResult {
  source: string;
  added: string[];
  skipped: { name: string; reason: string }[];
}

/** Path of Claude Desktop's config on this machine, or undefined when there is none. */
export async function findClaudeDesktopConfig(
  p: PlatformEnv = currentPlatform(),
): Promise<string | undefined> {
  const path = claudeDesktopConfigPath(p);
  try {
    await access(path);
    return path;
  } catch {
    return undefined;
  }
}

/** Reads the `mcpServers` object of a Claude Desktop config; throws an Error naming the file. */
export async function readClaudeServers(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `${path}: no Claude Desktop config here. Pass the file's path if it lives elsewhere.`
        : `${path}: cannot be read (${code ?? String(err)}).`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    const found = findJsonSyntaxError(text);
    throw new Error(
      `${basename(path)}: not valid JSON${found ? ` (${found.reason})` : ''}; nothing was imported.`,
    );
  }
  const servers = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).mcpServers : undefined;
  if (servers === undefined) return {};
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) {
    throw new Error(`${basename(path)}: mcpServers: expected an object; nothing was imported.`);
  }
  return servers as Record<string, unknown>;
}

const NAME_RE = /^[a-zA-Z0-9_.-]{1,64}$/;

/**
 * Merges Claude Desktop servers into a raw Tunnelgate config object (mutates `target.mcpServers`).
 * Existing names are kept and reported as skipped, as are entries our schema rejects (with why).
 */
export function mergeClaudeServers(
  target: Record<string, unknown>,
  servers: Record<string, unknown>,
  source: string,
): ClaudeImportResult {
  const result: ClaudeImportResult = { source, added: [], skipped: [] };
  const existing = (target.mcpServers ?? {}) as Record<string, unknown>;
  for (const [name, entry] of Object.entries(servers)) {
    if (Object.hasOwn(existing, name)) {
      result.skipped.push({ name, reason: 'a server with this name is already in the Tunnelgate config' });
      continue;
    }
    if (!NAME_RE.test(name)) {
      result.skipped.push({
        name,
        reason: 'the name must use only letters, digits, ".", "_" and "-" (1-64)',
      });
      continue;
    }
    const parsed = serverSchema.safeParse(entry);
    if (!parsed.success) {
      const problems = problemsFromZod(parsed.error.issues, entry);
      const first = problems[0];
      result.skipped.push({
        name,
        reason: first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'not a valid server entry',
      });
      continue;
    }
    existing[name] = entry;
    result.added.push(name);
  }
  target.mcpServers = existing;
  // The merged whole must still validate (it always should: each entry did).
  configSchema.parse(target);
  return result;
}
