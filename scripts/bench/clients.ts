/**
 * The clients the bench measures with. Each returns `call()`: one tools/call, resolved once the whole
 * answer has been read (what a client waits for), rejected on anything but a JSON-RPC result.
 * - raw: node:http with a keep-alive agent (the least a client can cost), session era or 2026-07-28;
 * - fetch: undici's fetch, an independent raw client to check the first against;
 * - sdk: the official SDK clients (v1 for the session era, v2 for 2026-07-28).
 */
import { Agent, request } from 'node:http';

export type Era = 'session' | '2026';
export type Call = () => Promise<void>;

export interface CallSpec {
  tool: string;
  args: Record<string, unknown>;
  /** Ask for progress: a server that reports it must answer with an SSE stream. */
  progress?: boolean;
}

const MODERN = '2026-07-28';
const SESSION = '2025-11-25';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Answer {
  status: number;
  text: string;
  sid?: string;
  /** performance.now() when the answer's last byte was in (before the client parses it). */
  receivedAt: number;
}

type Post = (headers: Record<string, string>, body: string) => Promise<Answer>;

function nodePost(url: string): Post {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const post = (headers: Record<string, string>, body: string, retried: boolean): Promise<Answer> =>
    new Promise((resolve, reject) => {
      let answered = false;
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          answered = true;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text,
              sid: res.headers['mcp-session-id'] as string | undefined,
              receivedAt: performance.now(),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A keep-alive socket the server closed as this request went out (a socket left idle past
        // its keep-alive timeout, after a phase at higher concurrency): it never saw the request,
        // which goes once more on a fresh socket, as the gateway and browsers do. A run failed with
        // "direct-sse: read ECONNRESET" without it.
        const stale = err.code === 'ECONNRESET' || err.code === 'EPIPE';
        if (!retried && stale && req.reusedSocket && !answered)
          post(headers, body, true).then(resolve, reject);
        else reject(err);
      });
      req.end(body);
    });
  return (headers, body) => post(headers, body, false);
}

function fetchPost(url: string): Post {
  return async (headers, body) => {
    const res = await fetch(url, { method: 'POST', headers, body });
    const text = await res.text();
    return {
      status: res.status,
      text,
      sid: res.headers.get('mcp-session-id') ?? undefined,
      receivedAt: performance.now(),
    };
  };
}

/** A raw Streamable HTTP client over node:http (or fetch): one session, or stateless 2026-07-28. */
export async function rawClient(
  url: string,
  era: Era,
  spec: CallSpec,
  via: 'node' | 'fetch' = 'node',
): Promise<Call> {
  const post = via === 'node' ? nodePost(url) : fetchPost(url);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (era === 'session') {
    const init = await post(
      headers,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: SESSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
      }),
    );
    if (init.status !== 200)
      throw new Error(`initialize at ${url}: HTTP ${init.status} ${init.text.slice(0, 200)}`);
    if (init.sid) headers['mcp-session-id'] = init.sid;
    headers['mcp-protocol-version'] = SESSION;
    await post(headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  } else {
    // 2026-07-28 Streamable HTTP: the standard headers mirror the body (method, and the tool's name).
    headers['mcp-protocol-version'] = MODERN;
    headers['mcp-method'] = 'tools/call';
    headers['mcp-name'] = spec.tool;
  }
  let id = 0;
  return async () => {
    const n = ++id;
    const meta: Record<string, unknown> = era === '2026' ? { ...ENVELOPE } : {};
    if (spec.progress) meta['progressToken'] = n;
    const params: Record<string, unknown> = { name: spec.tool, arguments: spec.args };
    if (Object.keys(meta).length > 0) params['_meta'] = meta;
    const res = await post(headers, JSON.stringify({ jsonrpc: '2.0', id: n, method: 'tools/call', params }));
    if (res.status !== 200 || !res.text.includes('"result"') || res.text.includes('"isError":true'))
      throw new Error(`tools/call ${spec.tool} at ${url}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  };
}

/** One tools/list: the catalog's names, and when its answer was in. */
export interface Listed {
  names: string[];
  /** From sending the request to the answer's last byte, in ms: the server's part, without the
   *  client's JSON.parse of the answer (some 0.5 ms for 300 tools). */
  wireMs: number;
}

/** A raw tools/list call (session era), timed: see Listed. */
export async function rawListTimed(url: string): Promise<() => Promise<Listed>> {
  const post = nodePost(url);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await post(
    headers,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: SESSION, capabilities: {}, clientInfo: { name: 'bench', version: '1' } },
    }),
  );
  if (init.sid) headers['mcp-session-id'] = init.sid;
  headers['mcp-protocol-version'] = SESSION;
  await post(headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  let id = 0;
  return async () => {
    const sent = performance.now();
    const res = await post(headers, JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/list' }));
    const tools = (JSON.parse(res.text) as { result?: { tools?: { name: string }[] } }).result?.tools;
    if (!tools) throw new Error(`tools/list at ${url}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
    return { names: tools.map((t) => t.name), wireMs: res.receivedAt - sent };
  };
}

/** A raw tools/list call (session era): the names of the merged catalog. */
export async function rawList(url: string): Promise<() => Promise<string[]>> {
  const list = await rawListTimed(url);
  return async () => (await list()).names;
}

/** The official SDK client: v1 (session era) or v2 with version negotiation (2026-07-28 if offered). */
export async function sdkClient(
  url: string,
  era: Era,
  spec: CallSpec,
): Promise<{ call: Call; close: () => Promise<void> }> {
  if (era === 'session') {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } =
      await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const client = new Client({ name: 'bench-sdk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return {
      call: async () => {
        const r = await client.callTool({ name: spec.tool, arguments: spec.args });
        if (r.isError) throw new Error(`SDK tools/call ${spec.tool} at ${url} failed`);
      },
      close: () => client.close(),
    };
  }
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const client = new Client({ name: 'bench-sdk2', version: '1' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return {
    call: async () => {
      const r = await client.callTool({ name: spec.tool, arguments: spec.args });
      if (r.isError) throw new Error(`SDK v2 tools/call ${spec.tool} at ${url} failed`);
    },
    close: () => client.close(),
  };
}
