/**
 * The dashboard's own MCP client: one request through the gateway's local MCP endpoint, as any
 * local client would send it, so the call is routed, filtered and logged like every other one.
 * It speaks the stateless 2026-07-28 era (one POST, the version and client info in `_meta`, no
 * session to open or close) and reads a JSON or an SSE answer (Streamable HTTP).
 */
import type { RawObject } from '../gateway/upstream/types.js';

const ERA = '2026-07-28';
/** Reserved `_meta` keys of the 2026-07-28 per-request envelope. */
const META = {
  version: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  capabilities: 'io.modelcontextprotocol/clientCapabilities',
} as const;

export interface LocalCallOptions {
  clientName: string;
  clientVersion: string;
  signal?: AbortSignal;
  onProgress?: (params: RawObject) => void;
  fetch?: typeof fetch;
}

/** The answer: a result, or the JSON-RPC error the gateway sent. */
export type LocalCallAnswer =
  | { result: RawObject; error?: undefined }
  | { result?: undefined; error: { code: number; message: string; data?: unknown } };

let nextId = 1;

/** Sends one request to `url` (the local MCP endpoint) and waits for its answer. */
export async function callLocalMcp(
  url: string,
  method: string,
  params: RawObject,
  options: LocalCallOptions,
): Promise<LocalCallAnswer> {
  const id = `dashboard-${nextId++}`;
  const meta: RawObject = {
    ...((params['_meta'] as RawObject | undefined) ?? {}),
    [META.version]: ERA,
    [META.clientInfo]: { name: options.clientName, version: options.clientVersion },
    [META.capabilities]: {},
  };
  if (options.onProgress) meta['progressToken'] = id;
  const mirrored = params[method === 'resources/read' ? 'uri' : 'name'];
  const res = await (options.fetch ?? fetch)(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': ERA,
      // 2026-07-28 Streamable HTTP: headers that mirror the body (the gateway checks they agree).
      'Mcp-Method': method,
      ...(typeof mirrored === 'string' ? { 'Mcp-Name': mirrored } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }),
    signal: options.signal,
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream') && res.body) return readStream(res.body, id, options.onProgress);
  const text = await res.text();
  let body: RawObject;
  try {
    body = JSON.parse(text) as RawObject;
  } catch {
    throw new Error(`The gateway answered ${res.status} without JSON: ${text.slice(0, 200)}`);
  }
  return answerOf(body, res.status);
}

function answerOf(msg: RawObject, status?: number): LocalCallAnswer {
  const error = msg['error'] as { code?: number; message?: string; data?: unknown } | undefined;
  if (error) {
    return {
      error: {
        code: typeof error.code === 'number' ? error.code : -32603,
        message: error.message ?? 'error',
        ...(error.data === undefined ? {} : { data: error.data }),
      },
    };
  }
  if (msg['result'] && typeof msg['result'] === 'object') return { result: msg['result'] as RawObject };
  throw new Error(`The gateway answered${status ? ` ${status}` : ''} without a result or an error.`);
}

/** Reads SSE events (WHATWG "server-sent events") until the response to `id` arrives. */
async function readStream(
  body: ReadableStream<Uint8Array>,
  id: string,
  onProgress: ((p: RawObject) => void) | undefined,
): Promise<LocalCallAnswer> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) !== -1) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data === '') continue;
        let msg: RawObject;
        try {
          msg = JSON.parse(data) as RawObject;
        } catch {
          continue;
        }
        if (msg['method'] === 'notifications/progress') onProgress?.((msg['params'] as RawObject) ?? {});
        else if (msg['id'] === id) return answerOf(msg);
      }
    }
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  throw new Error('The gateway closed the stream before answering.');
}
