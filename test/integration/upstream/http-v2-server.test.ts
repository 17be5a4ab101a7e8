import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';

/**
 * A server built on the v2 SDK (createMcpHandler, default `legacy: 'stateless'`): it answers our
 * 2025-era traffic statelessly, with no session id and 405 on GET and DELETE. The upstream must
 * work with it all the same.
 */
test('http: a stateless v2-SDK server (no session, GET/DELETE 405) works as an upstream', async () => {
  const handler = createMcpHandler(() => {
    const server = new McpServer({ name: 'v2-server', version: '2.0.0' });
    server.registerTool(
      'shout',
      {
        description: 'Upper-cases',
        inputSchema: z.object({ text: z.string() }),
        _meta: { 'openai/widgetAccessible': true },
      },
      async ({ text }) => ({
        content: [{ type: 'text', text: text.toUpperCase() }],
        structuredContent: { text: text.toUpperCase() },
      }),
    );
    return server;
  });
  const node = toNodeHandler(handler);
  const methods: string[] = [];
  const http = createServer((req, res) => {
    methods.push(req.method ?? '');
    void node(req, res);
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  const { port } = http.address() as { port: number };
  const up = createUpstream({ name: 'v2', kind: 'http', config: { url: `http://127.0.0.1:${port}/mcp` } });
  try {
    await up.start();
    const s = up.state();
    assert.equal(s.status, 'ready');
    assert.equal((s.serverInfo as { name: string }).name, 'v2-server');
    assert.deepEqual(
      up.tools().map((t) => [t.name, t._meta]),
      [['shout', { 'openai/widgetAccessible': true }]],
    );
    assert.deepEqual(await up.request('tools/call', { name: 'shout', arguments: { text: 'hi' } }), {
      content: [{ type: 'text', text: 'HI' }],
      structuredContent: { text: 'HI' },
    });
  } finally {
    await up.close();
    http.closeAllConnections();
    await new Promise<void>((ok) => http.close(() => ok()));
  }
  assert.ok(methods.includes('GET'), 'tried the optional GET stream');
});
