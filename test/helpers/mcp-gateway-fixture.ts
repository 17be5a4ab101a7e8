import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { ActivityEvent } from '../../main/activity/types.js';
import type { PublicAuthHook } from '../../main/auth/types.js';
import { SCOPE_FULL } from '../../preload/contract.js';
import { createGateway } from '../../main/gateway/gateway.js';
import type { GatewayDeps } from '../../main/gateway/gateway.js';
import { FakeUpstream, FakeUpstreamSource } from './mcp-fake-upstream.js';
import { buildTestServer } from './mcp-test-server.js';

/** A listening gateway on 127.0.0.1 over two in-process SDK servers ('a' and 'b'). */
export async function startFakeGateway(extra: Partial<GatewayDeps> = {}) {
  const source = new FakeUpstreamSource();
  const a = await new FakeUpstream('a', () => buildTestServer('a')).start();
  const b = await new FakeUpstream('b', () => buildTestServer('b')).start();
  source.add(a);
  source.add(b);
  const events: Omit<ActivityEvent, 'id'>[] = [];
  const gateway = createGateway({ upstreams: source, activity: { record: (e) => events.push(e) }, ...extra });
  const { port } = await gateway.listen(0);
  // With an auth hook the public listener runs too (what a tunnel forwards to).
  const publicPort = extra.auth ? (await gateway.listenPublic(0)).port : 0;
  return {
    gateway,
    port,
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    publicPort,
    publicUrl: new URL(`http://127.0.0.1:${publicPort}/mcp`),
    a,
    b,
    source,
    events,
  };
}

/** An auth hook that accepts every MCP request as one anonymous client (for testing the front alone). */
export const acceptAllHook: PublicAuthHook = {
  mcpPaths: () => ['/mcp'],
  handle: async () => false,
  authenticate: async () => ({ ok: true, principal: { kind: 'anonymous', scopes: [SCOPE_FULL] } }),
};

/**
 * Mcp-Method and Mcp-Name as a 2026-07-28 client sends them for a message with the per-request
 * envelope (none for other messages). MCP-Protocol-Version is left to each test.
 */
export function mirroredHeaders(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  const msg = body as {
    method?: unknown;
    params?: { _meta?: Record<string, unknown>; name?: unknown; uri?: unknown };
  };
  if (
    typeof msg.method !== 'string' ||
    msg.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === undefined
  )
    return {};
  const out: Record<string, string> = { 'mcp-method': msg.method };
  const name = msg.method === 'resources/read' ? msg.params.uri : msg.params.name;
  if (['tools/call', 'prompts/get', 'resources/read'].includes(msg.method) && typeof name === 'string')
    out['mcp-name'] = name;
  return out;
}

/**
 * POSTs one raw message; returns status, headers and the parsed body (JSON or the SSE messages).
 * 2026-07-28 messages get their mirrored headers unless the test passes its own (even '').
 */
export async function rawPost(url: URL | string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...mirroredHeaders(body),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    json = text
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.length > 6)
      .map((l) => JSON.parse(l.slice(6)) as unknown);
  } else if (text !== '') json = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: json as Record<string, unknown>, text };
}

/** Initializes a session by hand; returns its id. */
export async function rawInitialize(
  url: URL | string,
  protocolVersion = '2025-11-25',
  capabilities: Record<string, unknown> = {},
) {
  const r = await rawPost(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion, capabilities, clientInfo: { name: 'raw', version: '1' } },
  });
  return {
    sessionId: r.headers.get('mcp-session-id') ?? '',
    result: r.body['result'] as Record<string, unknown>,
    status: r.status,
  };
}

/** A request with full control of headers (fetch cannot set Host); resolves with the whole answer. */
export function rawHttp(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/mcp',
        headers: opts.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
