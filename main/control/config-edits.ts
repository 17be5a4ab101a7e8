/**
 * Pure edits of the config made by the control service: each returns a new config (never mutates)
 * or throws an Error whose message names the field, says what is wrong and what to do.
 */
import { isToolEnabled as toolFilterExposes, matchesGlob } from '../config/glob.js';
import { serverSchema, type ServerConfig, type TunnelgateConfig } from '../config/schema.js';

const SERVER_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/** Whether the config exposes an upstream tool (the one filter rule: config/glob.ts). */
export function isToolEnabled(server: ServerConfig | undefined, tool: string): boolean {
  return toolFilterExposes(server?.tools, tool);
}

/** Whether the owner marked a tool safe for read-only clients in the config. */
export function isToolMarkedReadOnly(server: ServerConfig | undefined, tool: string): boolean {
  return (server?.tools?.readOnly ?? []).some((p) => matchesGlob(p, tool));
}

/** Zod issues as `mcpServers.<name>.<path>: <message>` lines. */
function describeIssues(
  name: string,
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  return issues
    .map((i) => {
      const path = ['mcpServers', name, ...i.path.map(String)].join('.');
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** Validates one server entry as it would be saved; throws with every problem named. */
function validateServer(name: string, entry: unknown): ServerConfig {
  if (!SERVER_NAME.test(name)) {
    throw new Error(
      `Server name '${name}' is not allowed: use 1-64 letters, digits, ".", "_" or "-". Pick another name and save again.`,
    );
  }
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new Error(
      `mcpServers.${name}: expected an object with "command" (local program) or "url" (remote server).`,
    );
  }
  const e = entry as Record<string, unknown>;
  if (!('command' in e) && !('url' in e)) {
    throw new Error(
      `mcpServers.${name}: give either "command" (a local program) or "url" (a remote server).`,
    );
  }
  const parsed = serverSchema.safeParse(entry);
  if (!parsed.success) {
    // A union reports issues per branch; show the branch matching what the user gave.
    const branch = 'command' in e ? 0 : 1;
    const union = parsed.error.issues.find((i) => i.code === 'invalid_union');
    const issues =
      union && 'errors' in union && Array.isArray(union.errors) && union.errors[branch]
        ? (union.errors[branch] as { path: PropertyKey[]; message: string }[])
        : parsed.error.issues;
    throw new Error(`${describeIssues(name, issues)}. Fix the field and save again.`);
  }
  return parsed.data;
}

export function withServer(config: TunnelgateConfig, name: string, entry: unknown): TunnelgateConfig {
  const server = validateServer(name, entry);
  return { ...config, mcpServers: { ...config.mcpServers, [name]: server } };
}

function requireServer(config: TunnelgateConfig, name: string): ServerConfig {
  const s = config.mcpServers[name];
  if (!s) {
    throw new Error(
      `No server named '${name}' in the config file (mcpServers.${name}). Reload the list and try again.`,
    );
  }
  return s;
}

export function withoutServer(config: TunnelgateConfig, name: string): TunnelgateConfig {
  requireServer(config, name);
  const { [name]: _removed, ...rest } = config.mcpServers;
  return { ...config, mcpServers: rest };
}

export function withServerEnabled(
  config: TunnelgateConfig,
  name: string,
  enabled: boolean,
): TunnelgateConfig {
  const s = requireServer(config, name);
  return { ...config, mcpServers: { ...config.mcpServers, [name]: { ...s, enabled } } };
}

/**
 * Turns one tool on or off through `tools.deny` (and `tools.allow` when an allow list hides it).
 * A wildcard deny pattern that still hides the tool is reported rather than rewritten.
 */
export function withToolEnabled(
  config: TunnelgateConfig,
  name: string,
  tool: string,
  enabled: boolean,
): TunnelgateConfig {
  const s = requireServer(config, name);
  const tools = { ...(s.tools ?? {}) };
  if (enabled) {
    if (tools.deny) tools.deny = tools.deny.filter((p) => p !== tool);
    if (tools.deny?.length === 0) delete tools.deny;
    if (tools.allow && !tools.allow.some((p) => matchesGlob(p, tool))) tools.allow = [...tools.allow, tool];
    const blocking = tools.deny?.find((p) => matchesGlob(p, tool));
    if (blocking) {
      throw new Error(
        `Tool '${tool}' stays hidden by the pattern '${blocking}' in mcpServers.${name}.tools.deny. Edit that pattern in the config file to show it.`,
      );
    }
  } else if (isToolEnabled(s, tool)) {
    tools.deny = [...(tools.deny ?? []), tool];
  }
  const next: ServerConfig = { ...s, tools };
  if (Object.keys(tools).length === 0) delete next.tools;
  return { ...config, mcpServers: { ...config.mcpServers, [name]: next } };
}

/** Names of the secrets an entry refers to with `${secret:NAME}` (in env, headers, args, url). */
export function secretReferences(entry: unknown): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{secret:([^}]+)\}/g)) if (m[1]) found.add(m[1]);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(entry);
  return [...found];
}
