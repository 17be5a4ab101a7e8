/**
 * Builds what the Servers page shows from the config (what the user asked for) and the upstream
 * manager (what is running), so a configured-but-stopped server and a built-in one both appear.
 */
import { applyHintOverride, hintOverrideFor, REVIEW_HINTS } from '../config/annotation-overrides.js';
import { isStdioServer, type ServerConfig, type TunnelgateConfig } from '../config/schema.js';
import { checkTool } from '../doctor/tool-checks.js';
import type { ToolListCheck } from '../doctor/types.js';
import type { RawObject, UpstreamState } from '../gateway/upstream/types.js';
import type { ServerView, ToolView } from '../../preload/contract.js';
import { promptViews, resourceTemplateViews, resourceViews } from './capability-views.js';
import { isToolEnabled, isToolMarkedReadOnly, secretReferences } from './config-edits.js';

export interface ServerViewInputs {
  config: TunnelgateConfig;
  states: readonly UpstreamState[];
  tools: (server: string) => readonly RawObject[];
  prompts: (server: string) => readonly RawObject[];
  resources: (server: string) => readonly RawObject[];
  resourceTemplates: (server: string) => readonly RawObject[];
  exposedToolName: (server: string, tool: string) => string | undefined;
  secretNames: readonly string[];
  /** Checks of the gateway's exposed list (duplicates need the whole list); per tool otherwise. */
  toolListCheck?: ToolListCheck;
}

function transportOf(entry: ServerConfig): ServerView['transport'] {
  if (isStdioServer(entry)) return 'stdio';
  return entry.type === 'sse' ? 'sse' : 'http';
}

/** The name a client would see when the router has not said (not running, or tool disabled). */
function fallbackExposedName(server: string, entry: ServerConfig | undefined, tool: string): string {
  const prefix = entry?.prefix ?? server;
  return prefix === '' ? tool : `${prefix}__${tool}`;
}

function toolView(
  server: string,
  entry: ServerConfig | undefined,
  raw: RawObject,
  inputs: ServerViewInputs,
): ToolView | null {
  const name = raw.name;
  if (typeof name !== 'string') return null;
  // What clients see: the owner's hint overrides on top of the upstream's annotations.
  const { tool: shown, overridden } = applyHintOverride(raw, hintOverrideFor(entry?.annotations, name));
  const annotations = (shown.annotations ?? {}) as Record<string, unknown>;
  const exposedName = inputs.exposedToolName(server, name) ?? fallbackExposedName(server, entry, name);
  const view: ToolView = {
    name,
    exposedName,
    enabled: isToolEnabled(entry, name),
    readOnly: annotations.readOnlyHint === true || isToolMarkedReadOnly(entry, name),
  };
  // The router hides a task-only tool (router/catalog.ts): say so rather than offer it as callable.
  if ((raw.execution as RawObject | undefined)?.taskSupport === 'required')
    view.hidden = 'runs only as a task, and the gateway does not relay tasks';
  const listed = view.enabled
    ? inputs.toolListCheck?.tools.find((t) => t.exposedName === exposedName)
    : undefined;
  view.findings = listed?.findings ?? checkTool({ ...shown, name: exposedName });
  const hints: NonNullable<ToolView['hints']> = {};
  for (const h of REVIEW_HINTS) if (typeof annotations[h] === 'boolean') hints[h] = annotations[h];
  view.hints = hints;
  if (overridden.length > 0) view.overriddenHints = overridden;
  const title = typeof raw.title === 'string' ? raw.title : annotations.title;
  if (typeof title === 'string') view.title = title;
  if (typeof raw.description === 'string') view.description = raw.description;
  if (raw.inputSchema && typeof raw.inputSchema === 'object')
    view.inputSchema = raw.inputSchema as Record<string, unknown>;
  return view;
}

/** Status shown for a configured server with no live upstream yet. */
function idleStatus(entry: ServerConfig): string {
  return entry.enabled === false ? 'disabled' : 'stopped';
}

/** Every configured server (config order) followed by live ones that are not in the file (built-ins). */
export function buildServerViews(inputs: ServerViewInputs): ServerView[] {
  const byName = new Map(inputs.states.map((s) => [s.name, s]));
  const names = [...Object.keys(inputs.config.mcpServers)];
  for (const s of inputs.states) if (!names.includes(s.name)) names.push(s.name);
  const secretSet = new Set(inputs.secretNames);

  return names.map((name) => {
    const entry = inputs.config.mcpServers[name];
    const state = byName.get(name);
    const disabled = entry?.enabled === false;
    const tools = disabled
      ? []
      : inputs
          .tools(name)
          .map((t) => toolView(name, entry, t, inputs))
          .filter((t): t is ToolView => t !== null);
    const missingSecrets = entry ? secretReferences(entry).filter((n) => !secretSet.has(n)) : [];
    const view: ServerView = {
      name,
      transport: state?.transport ?? (entry ? transportOf(entry) : 'builtin'),
      enabled: !disabled,
      status: disabled ? 'disabled' : (state?.status ?? (entry ? idleStatus(entry) : 'stopped')),
      restarts: state?.restarts ?? 0,
      toolCount: tools.filter((t) => t.enabled && !t.hidden).length,
      tools,
      prompts: disabled ? [] : promptViews(inputs.prompts(name)),
      resources: disabled ? [] : resourceViews(inputs.resources(name)),
      resourceTemplates: disabled ? [] : resourceTemplateViews(inputs.resourceTemplates(name)),
      needsSignIn: state?.status === 'needs-auth',
      missingSecrets,
      config: entry ? { ...entry } : {},
    };
    if (state?.error && !disabled) view.error = state.error;
    else if (missingSecrets.length > 0 && !disabled) {
      view.error = `Missing secret${missingSecrets.length > 1 ? 's' : ''} ${missingSecrets.map((n) => `'${n}'`).join(', ')}: enter ${missingSecrets.length > 1 ? 'them' : 'it'} below to start this server.`;
    }
    return view;
  });
}
