/**
 * The doctor's HTTP and MCP client: plain fetch through the doctor's network port, speaking
 * Streamable HTTP in either era, the way ChatGPT does (no SDK in between, so what is measured is
 * what crosses the wire).
 */
import type { DoctorNetwork } from './network.js';

const REQUEST_TIMEOUT_MS = 15_000;
const ACCEPT_BOTH = 'application/json, text/event-stream';
const MODERN_VERSION = '2026-07-28';
const SESSION_VERSION = '2025-11-25';
const CLIENT_INFO = { name: 'tunnelgate-doctor', version: '1' };

export interface RpcAnswer {
  status: number;
  /** The JSON-RPC response (the last message of an SSE stream), when one arrived. */
  message?: { result?: Record<string, unknown>; error?: { code: number; message: string } };
  contentType: string;
  sessionId?: string;
  /** Arrival time (ms, performance clock) of each SSE event, for the streaming check. */
  eventTimes: number[];
}

export interface McpConversation {
  era: 'modern' | 'session';
  sessionId?: string;
}

/** One SSE stream's events, split on blank lines (WHATWG HTML §9.2 event stream parsing). */
function sseData(block: string): string | undefined {
  const lines = block.split(/\r?\n/).filter((l) => l.startsWith('data:'));
  return lines.length ? lines.map((l) => l.slice(5).trimStart()).join('\n') : undefined;
}

export function createDoctorClient(network: DoctorNetwork, mcpUrl: string, token: string | undefined) {
  let nextId = 1;

  async function http(url: string, init: RequestInit = {}): Promise<Response> {
    return network.fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  }

  async function rpc(
    method: string,
    params: Record<string, unknown>,
    conv: McpConversation,
    opts: { auth?: boolean; extraMeta?: Record<string, unknown> } = {},
  ): Promise<RpcAnswer> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: ACCEPT_BOTH };
    if (token && opts.auth !== false) headers['Authorization'] = `Bearer ${token}`;
    let body: Record<string, unknown> = { ...params };
    if (conv.era === 'modern' && method !== 'server/discover') {
      // 2026-07-28 Streamable HTTP: the version, method and name are mirrored in headers.
      headers['MCP-Protocol-Version'] = MODERN_VERSION;
      headers['Mcp-Method'] = method;
      const name = params['name'] ?? params['uri'];
      if (
        (method === 'tools/call' || method === 'resources/read' || method === 'prompts/get') &&
        typeof name === 'string'
      )
        headers['Mcp-Name'] = name;
      body = {
        ...body,
        _meta: {
          ...opts.extraMeta,
          'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
          'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      };
    } else {
      if (opts.extraMeta) body = { ...body, _meta: opts.extraMeta };
      if (conv.sessionId) {
        headers['Mcp-Session-Id'] = conv.sessionId;
        headers['MCP-Protocol-Version'] = SESSION_VERSION;
      }
    }
    const id = nextId++;
    const res = await http(mcpUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params: body }),
    });
    const contentType = res.headers.get('content-type') ?? '';
    const answer: RpcAnswer = { status: res.status, contentType, eventTimes: [] };
    const sid = res.headers.get('mcp-session-id');
    if (sid) answer.sessionId = sid;
    if (!res.body) return answer;
    if (/^text\/event-stream/i.test(contentType)) {
      // Read as it arrives: the time of each event tells whether something buffered the stream.
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffered = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += value;
        let cut: number;
        while ((cut = buffered.search(/\r?\n\r?\n/)) !== -1) {
          const block = buffered.slice(0, cut);
          buffered = buffered.slice(buffered.indexOf('\n', cut + 1) + 1);
          const data = sseData(block);
          // No data, or the empty priming event (Streamable HTTP 2025-11-25): no message in it.
          if (data === undefined || data === '') continue;
          answer.eventTimes.push(performance.now());
          try {
            const m = JSON.parse(data) as RpcAnswer['message'] & { id?: unknown };
            if (m && m.id === id) answer.message = m;
          } catch {
            // not JSON: not ours to judge here
          }
        }
      }
      return answer;
    }
    const text = await res.text();
    try {
      answer.message = JSON.parse(text) as RpcAnswer['message'];
    } catch {
      // a non-JSON answer (an HTML error page from a proxy): the caller reports the status
    }
    return answer;
  }

  return { http, rpc };
}

export type DoctorClient = ReturnType<typeof createDoctorClient>;

/** Reads a JSON body, or undefined when it is not JSON. */
export async function jsonOf(res: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const v = (await res.json()) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
