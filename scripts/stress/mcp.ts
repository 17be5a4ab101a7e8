/** Minimal MCP over HTTP (session era, 2025-11-25) for the stress run: initialize, then calls. */
import { http, type Answer } from './net.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
let nextId = 1;

export interface McpTarget {
  port: number;
  token?: string;
  from?: string;
}

function headers(t: McpTarget, sessionId?: string): Record<string, string> {
  return {
    ...HEADERS,
    ...(t.token ? { authorization: `Bearer ${t.token}` } : {}),
    ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
  };
}

export async function initialize(t: McpTarget): Promise<{ answer: Answer; sessionId?: string }> {
  const answer = await http({
    port: t.port,
    path: '/mcp',
    from: t.from,
    headers: headers(t),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'stress', version: '1' },
      },
    }),
  });
  const sid = answer.headers['mcp-session-id'];
  if (typeof sid === 'string') {
    await http({
      port: t.port,
      path: '/mcp',
      from: t.from,
      headers: headers(t, sid),
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    return { answer, sessionId: sid };
  }
  return { answer };
}

export function call(t: McpTarget, sessionId: string, method: string, params: unknown): Promise<Answer> {
  return http({
    port: t.port,
    path: '/mcp',
    from: t.from,
    headers: headers(t, sessionId),
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    timeoutMs: 20_000,
  });
}
