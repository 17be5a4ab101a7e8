/**
 * The doctor's MCP steps, as ChatGPT takes them: `server/discover`, `initialize` (its fallback),
 * `tools/list` with the tool-list checks, a streamed response through the tunnel, and a widget read.
 */
import { DOCTOR_STREAM_METHOD } from '../gateway/router-tap.js';
import type { DoctorClient, McpConversation, RpcAnswer } from './doctor-client.js';
import type { Outcome } from './oauth-steps.js';
import { checkToolList, worstFinding } from './tool-checks.js';
import type { ToolListCheck } from './types.js';

/** MCP Apps widget MIME types (ext-apps) and ChatGPT's older skybridge one. */
const WIDGET_MIME = ['text/html;profile=mcp-app', 'text/html+skybridge'];

export interface McpContext {
  client: DoctorClient;
  conv: McpConversation;
  /** The session from the initialize step (the streaming probe runs in it: a vendor method has no 2026-07-28 form). */
  session?: McpConversation;
  tools?: Record<string, unknown>[];
  toolList?: ToolListCheck;
}

function rpcProblem(a: RpcAnswer): string | undefined {
  if (a.message?.error) return `error ${a.message.error.code}: ${a.message.error.message}`;
  if (a.status !== 200) return `HTTP ${a.status}`;
  if (!a.message?.result)
    return `HTTP ${a.status} without a JSON-RPC result (${a.contentType || 'no content type'})`;
  return undefined;
}

export async function discoverStep(c: McpContext): Promise<Outcome> {
  const a = await c.client.rpc('server/discover', {}, { era: 'modern' });
  const problem = rpcProblem(a);
  if (problem === undefined) {
    c.conv.era = 'modern';
    const versions = a.message!.result!['supportedVersions'];
    return {
      level: 'pass',
      detail: `Answered (${Array.isArray(versions) ? versions.join(', ') : 'versions not listed'}); ChatGPT can speak 2026-07-28.`,
    };
  }
  c.conv.era = 'session';
  if (a.message?.error?.code === -32601 && a.status < 500)
    return {
      level: 'info',
      detail: `Not supported (${problem}), answered fast and well-formed: ChatGPT falls back to initialize.`,
    };
  return {
    level: 'warning',
    detail: `Answered ${problem}: ChatGPT may not fall back cleanly.`,
    fix: 'Unknown methods must answer -32601 quickly; update Tunnelgate.',
  };
}

export async function initializeStep(c: McpContext): Promise<Outcome> {
  const a = await c.client.rpc(
    'initialize',
    {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'tunnelgate-doctor', version: '1' },
    },
    { era: 'session' },
  );
  const problem = rpcProblem(a);
  if (problem !== undefined)
    return {
      level: c.conv.era === 'modern' ? 'warning' : 'failure',
      detail: `initialize failed: ${problem}.`,
      fix: 'Check the gateway log (Activity) for this request.',
    };
  if (!a.sessionId)
    return {
      level: 'warning',
      detail: 'initialize answered without Mcp-Session-Id.',
      fix: 'Update Tunnelgate.',
    };
  if (c.conv.era === 'session') c.conv.sessionId = a.sessionId;
  c.session = { era: 'session', sessionId: a.sessionId };
  await c.client
    .rpc('notifications/initialized', {}, { era: 'session', sessionId: a.sessionId })
    .catch(() => undefined);
  const version = String(a.message!.result!['protocolVersion']);
  return {
    level: 'pass',
    detail: `Session ${version} started${c.conv.era === 'modern' ? ' (older ChatGPT versions use it)' : ''}.`,
  };
}

export async function toolsListStep(c: McpContext): Promise<Outcome> {
  const a = await c.client.rpc('tools/list', {}, c.conv);
  const problem = rpcProblem(a);
  if (problem !== undefined)
    return {
      level: 'failure',
      detail: `tools/list failed: ${problem}.`,
      fix: 'Check the Servers page: a server may be down.',
    };
  const tools = a.message!.result!['tools'];
  if (!Array.isArray(tools))
    return {
      level: 'failure',
      detail: 'tools/list answered without a tools array.',
      fix: 'Update Tunnelgate.',
    };
  c.tools = tools as Record<string, unknown>[];
  const check = checkToolList(c.tools);
  c.toolList = check;
  const all = [...check.list, ...check.tools.flatMap((t) => t.findings)];
  const refused = check.tools.filter((t) => worstFinding(t.findings) === 'failure').map((t) => t.exposedName);
  const warned = check.tools.filter((t) => worstFinding(t.findings) === 'warning').length;
  const size = `${check.count} tool${check.count === 1 ? '' : 's'}, ${(check.bytes / 1024).toFixed(1)} KiB`;
  const level = worstFinding(all);
  if (level === 'pass') return { level, detail: `${size}; every tool passes ChatGPT's checks.` };
  return {
    level,
    detail: `${size}; ${refused.length ? `refused by ChatGPT: ${refused.slice(0, 5).join(', ')}${refused.length > 5 ? ', ...' : ''}; ` : ''}${warned} with warnings${check.list.length ? `; ${check.list.map((f) => f.message).join(' ')}` : ''}.`,
    fix: refused.length
      ? 'Fix or switch off the refused tools (Servers page shows why per tool).'
      : 'See each tool on the Servers page; set missing hints under "annotations" in the config.',
  };
}

/** Progress events spaced in time must arrive spaced: a buffering tunnel delivers them all at the end. */
export async function streamStep(c: McpContext, events = 4, intervalMs = 300): Promise<Outcome> {
  const started = performance.now();
  if (!c.session)
    return {
      level: 'failure',
      detail: 'Not checked: initialize failed, so there is no session to probe in.',
      fix: 'Fix the initialize step first.',
    };
  const a = await c.client.rpc(DOCTOR_STREAM_METHOD, { events, intervalMs }, c.session, {
    extraMeta: { progressToken: 'doctor-stream' },
  });
  const problem = rpcProblem(a);
  if (problem !== undefined)
    return { level: 'failure', detail: `The streaming probe failed: ${problem}.`, fix: 'Update Tunnelgate.' };
  if (!/^text\/event-stream/i.test(a.contentType) || a.eventTimes.length < 2)
    return {
      level: 'failure',
      detail: `The answer came as ${a.contentType || 'no content type'} with ${a.eventTimes.length} event(s), not as a stream.`,
      fix: 'Something between ChatGPT and the gateway turns streams into single answers; use cloudflared directly.',
    };
  const first = a.eventTimes[0]! - started;
  const last = a.eventTimes[a.eventTimes.length - 1]! - started;
  const expected = (events - 1) * intervalMs;
  // Sent `expected` ms apart from first to last: arriving less than half that apart means held back.
  if (last - first < expected / 2)
    return {
      level: 'failure',
      detail: `All ${a.eventTimes.length} events arrived together after ${Math.round(last)} ms (sent over ${expected} ms): the stream is buffered on the way.`,
      fix: 'Turn off response buffering in the tunnel or proxy in front of the gateway (it must pass text/event-stream through unbuffered).',
    };
  return {
    level: 'pass',
    detail: `First event after ${Math.round(first)} ms, last after ${Math.round(last)} ms: streamed unbuffered.`,
  };
}

/** The first widget a tool points at: `_meta.ui.resourceUri` (MCP Apps) or `openai/outputTemplate`. */
function widgetUri(tools: readonly Record<string, unknown>[]): { tool: string; uri: string } | undefined {
  for (const t of tools) {
    const meta = (t['_meta'] ?? {}) as Record<string, unknown>;
    const ui = (meta['ui'] ?? {}) as Record<string, unknown>;
    const uri = ui['resourceUri'] ?? meta['openai/outputTemplate'];
    if (typeof uri === 'string') return { tool: String(t['name']), uri };
  }
  return undefined;
}

export async function widgetStep(c: McpContext): Promise<Outcome> {
  const target = widgetUri(c.tools ?? []);
  if (!target) return { level: 'info', detail: 'No tool shows a widget; nothing to read.' };
  const a = await c.client.rpc('resources/read', { uri: target.uri }, c.conv);
  const problem = rpcProblem(a);
  if (problem !== undefined)
    return {
      level: 'failure',
      detail: `${target.uri} (of ${target.tool}) could not be read: ${problem}.`,
      fix: 'Check that the server serves its ui:// resource.',
    };
  const content = (a.message!.result!['contents'] as Record<string, unknown>[] | undefined)?.[0];
  const mime = content?.['mimeType'];
  if (typeof mime !== 'string' || !WIDGET_MIME.includes(mime.replace(/\s+/g, '')))
    return {
      level: 'failure',
      detail: `${target.uri} has MIME type ${JSON.stringify(mime ?? null)}: ChatGPT renders only ${WIDGET_MIME.join(' or ')}.`,
      fix: `Set mimeType "${WIDGET_MIME[0]}" on the resource in the server.`,
    };
  const meta = (content?.['_meta'] ?? {}) as Record<string, unknown>;
  const csp = (meta['ui'] as Record<string, unknown> | undefined)?.['csp'] ?? meta['openai/widgetCSP'];
  if (csp === undefined)
    return {
      level: 'warning',
      detail: `${target.uri} is ${mime} but declares no CSP (_meta.ui.csp or openai/widgetCSP).`,
      fix: 'Declare the domains the widget loads from or connects to, or ChatGPT blocks them.',
    };
  return { level: 'pass', detail: `${target.uri}: ${mime}, with a CSP in _meta.` };
}
