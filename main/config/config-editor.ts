import { readFile } from 'node:fs/promises';
import { configSchema } from './schema.js';
import { ConfigError, problemsFromZod } from './config-error.js';
import { parseConfigText, type LoadedConfig } from './load-config.js';
import { writeFileAtomic } from './atomic-write.js';
import { isToolEnabled, matchesGlob } from './glob.js';
import {
  findClaudeDesktopConfig,
  mergeClaudeServers,
  readClaudeServers,
  type ClaudeImportResult,
} from './claude-import.js';
import { currentPlatform, type PlatformEnv } from './paths.js';

/** Edits made from the window or the control service, saved atomically (temp file + rename, 0600). */
export interface ConfigEditor {
  /** Reads and validates the file now (undefined config fields when the file does not exist). */
  read(): Promise<LoadedConfig>;
  /** Adds or replaces one server entry (Claude Desktop format plus prefix/enabled/tools). */
  saveServer(name: string, entry: Record<string, unknown>): Promise<LoadedConfig>;
  removeServer(name: string): Promise<LoadedConfig>;
  setServerEnabled(name: string, enabled: boolean): Promise<LoadedConfig>;
  /** Per-tool switch: disabling adds the tool to `tools.deny`; enabling removes it (and allows it). */
  setToolEnabled(server: string, tool: string, enabled: boolean): Promise<LoadedConfig>;
  /** Replaces the whole config (validated first); used by the control service's edits. */
  replace(next: Record<string, unknown>): Promise<LoadedConfig>;
  /** Merges Claude Desktop's `mcpServers` (found on this machine unless `from` is given). */
  importClaude(from?: string): Promise<ClaudeImportResult>;
  close(): void;
}

export interface ConfigEditorDeps {
  path: string;
  platform?: PlatformEnv;
}

/** Creates the editor for one config file. Edits are serialized so concurrent calls never lose one. */
export function createConfigEditor(deps: ConfigEditorDeps): ConfigEditor {
  const { path } = deps;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('The config editor is closed.'));
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const readRaw = async (): Promise<Record<string, unknown>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    // An invalid file is not silently overwritten: the user's text would be lost.
    return structuredClone(parseConfigText(text, path).raw);
  };

  const write = async (raw: Record<string, unknown>): Promise<LoadedConfig> => {
    const result = configSchema.safeParse(raw);
    if (!result.success) throw new ConfigError(path, problemsFromZod(result.error.issues, raw));
    await writeFileAtomic(path, `${JSON.stringify(raw, null, 2)}\n`);
    return { path, config: result.data, raw };
  };

  const servers = (raw: Record<string, unknown>): Record<string, Record<string, unknown>> => {
    const s = raw.mcpServers;
    if (s && typeof s === 'object' && !Array.isArray(s)) return s as Record<string, Record<string, unknown>>;
    raw.mcpServers = {};
    return raw.mcpServers as Record<string, Record<string, unknown>>;
  };

  const entryOf = (raw: Record<string, unknown>, name: string): Record<string, unknown> => {
    const entry = servers(raw)[name];
    if (!entry) throw new Error(`No server named "${name}" in ${path}.`);
    return entry;
  };

  return {
    read: () => serial(async () => ({ path, ...parseConfigText(await readFileOrEmpty(path), path) })),
    saveServer: (name, entry) =>
      serial(async () => {
        const raw = await readRaw();
        servers(raw)[name] = structuredClone(entry);
        return write(raw);
      }),
    removeServer: (name) =>
      serial(async () => {
        const raw = await readRaw();
        entryOf(raw, name);
        delete servers(raw)[name];
        return write(raw);
      }),
    setServerEnabled: (name, enabled) =>
      serial(async () => {
        const raw = await readRaw();
        const entry = entryOf(raw, name);
        // `enabled` defaults to true: drop the key rather than writing the default.
        if (enabled) delete entry.enabled;
        else entry.enabled = false;
        return write(raw);
      }),
    setToolEnabled: (server, tool, enabled) =>
      serial(async () => {
        const raw = await readRaw();
        const entry = entryOf(raw, server);
        const tools = (entry.tools ?? {}) as { allow?: string[]; deny?: string[]; readOnly?: string[] };
        if (enabled) {
          if (tools.deny) tools.deny = tools.deny.filter((p) => p !== tool);
          if (tools.deny?.some((p) => matchesGlob(p, tool))) {
            throw new Error(
              `${server}: tool "${tool}" is hidden by a pattern in mcpServers.${server}.tools.deny; edit that pattern in ${path} to show it.`,
            );
          }
          if (tools.deny?.length === 0) delete tools.deny;
          if (tools.allow && !isToolEnabled({ allow: tools.allow }, tool))
            tools.allow = [...tools.allow, tool];
        } else if (!tools.deny?.includes(tool)) tools.deny = [...(tools.deny ?? []), tool];
        if (Object.keys(tools).length === 0) delete entry.tools;
        else entry.tools = tools;
        return write(raw);
      }),
    replace: (next) =>
      serial(async () => {
        await readRaw(); // a file broken by hand is reported, not overwritten
        return write(structuredClone(next));
      }),
    importClaude: (from) =>
      serial(async () => {
        const source = from ?? (await findClaudeDesktopConfig(deps.platform ?? currentPlatform()));
        if (!source)
          throw new Error(
            'No Claude Desktop config was found in its usual place on this machine: give the path of claude_desktop_config.json (the path field in the window, or --from FILE).',
          );
        const incoming = await readClaudeServers(source);
        const raw = await readRaw();
        const result = mergeClaudeServers(raw, incoming, source);
        if (result.added.length > 0) await write(raw);
        return result;
      }),
    close: () => {
      closed = true;
    },
  };
}

async function readFileOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}
