import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ActivityEvent } from '../../../main/activity/types.js';
import type { Principal, PublicAuthHook } from '../../../main/auth/types.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';
import { SCOPE_FULL, SCOPE_READ } from '../../../preload/contract.js';
import { FakeUpstream, FakeUpstreamSource } from '../../helpers/mcp-fake-upstream.js';
import { rawPost } from '../../helpers/mcp-gateway-fixture.js';
import { buildTestServer } from '../../helpers/mcp-test-server.js';

// Issue 16: a big merged list goes out from bytes encoded once per list (json-text.ts,
// messageChunks). These tests pin that those bytes are always the current list of the client's own
// view: full or read-only, either era, after a tool is toggled and after a server restarts.

const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** 40 tools with multi-byte text (Content-Length counts bytes); even ones are read-only. */
function bigServer(generation: number): McpServer {
  const s = new McpServer({ name: 'big', version: String(generation) });
  for (let i = 0; i < 40; i++)
    s.registerTool(
      `tool_${i}`,
      {
        description: `Génération ${generation}, outil n° ${i} ✓: cherche quelque chose et répond brièvement.`,
        inputSchema: { query: z.string().describe('Ce qu’il faut chercher') },
        annotations: { readOnlyHint: i % 2 === 0 },
      },
      async () => ({ content: [] }),
    );
  return s;
}

/** The public listener, where `Bearer full` is a full-access grant and `Bearer read` a read-only one. */
const twoGrants: PublicAuthHook = {
  mcpPaths: () => ['/mcp'],
  handle: async () => false,
  authenticate: async (req: IncomingMessage) => {
    const who = String(req.headers['authorization'] ?? '').replace('Bearer ', '');
    return { ok: true, principal: principalOf(who) };
  },
};
function principalOf(who: string): Principal {
  return {
    kind: 'oauth',
    clientId: `client-${who}`,
    grantId: `grant-${who}`,
    scopes: who === 'full' ? [SCOPE_FULL] : [SCOPE_READ],
  };
}

test('tools/list bytes on the wire: each view its own current list, both eras, after a toggle and a restart', async (t) => {
  let generation = 1;
  const source = new FakeUpstreamSource();
  const big = await new FakeUpstream('big', () => bigServer(generation)).start();
  source.add(big);
  source.add(await new FakeUpstream('b', () => buildTestServer('b')).start());
  const events: Omit<ActivityEvent, 'id'>[] = [];
  const gateway = createGateway({
    upstreams: source,
    auth: twoGrants,
    activity: { record: (e) => events.push(e) },
  });
  t.after(() => gateway.close());
  const port = (await gateway.listenPublic(0)).port;
  const url = `http://127.0.0.1:${port}/mcp`;
  const sessions = new Map<string, string>();
  for (const who of ['full', 'read']) {
    const init = await rawPost(
      url,
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: who, version: '1' } },
      },
      { authorization: `Bearer ${who}` },
    );
    sessions.set(who, init.headers.get('mcp-session-id')!);
  }
  let id = 1;

  /** One tools/list as sent: checks the framing, returns the list. */
  const list = async (who: string, era: 'session' | 'modern'): Promise<RawObject[]> => {
    const n = id++;
    const r =
      era === 'session'
        ? await rawPost(
            url,
            { jsonrpc: '2.0', id: n, method: 'tools/list' },
            {
              authorization: `Bearer ${who}`,
              'mcp-session-id': sessions.get(who)!,
              'mcp-protocol-version': '2025-11-25',
            },
          )
        : await rawPost(
            url,
            { jsonrpc: '2.0', id: n, method: 'tools/list', params: { _meta: MODERN_META } },
            { authorization: `Bearer ${who}`, 'mcp-protocol-version': '2026-07-28' },
          );
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(
      Number(r.headers.get('content-length')),
      Buffer.byteLength(r.text),
      'Content-Length in bytes',
    );
    const expected = gateway.router.toolListFor(principalOf(who));
    if (era === 'session')
      assert.equal(r.text, JSON.stringify({ jsonrpc: '2.0', id: n, result: { tools: expected } }));
    const body = JSON.parse(r.text) as { id: number; result: { tools: RawObject[] } };
    assert.equal(body.id, n);
    assert.deepEqual(body.result.tools, JSON.parse(JSON.stringify(expected)));
    return body.result.tools;
  };
  const names = (tools: RawObject[]) => tools.map((x) => String(x['name']));
  /** Full and read-only, both eras, interleaved: a view never gets another view's bytes. */
  const everyView = async () => {
    const out = {
      full: await list('full', 'session'),
      read: await list('read', 'session'),
      fullModern: await list('full', 'modern'),
      readModern: await list('read', 'modern'),
    };
    assert.deepEqual(await list('full', 'session'), out.full);
    assert.deepEqual(out.fullModern, out.full);
    assert.deepEqual(out.readModern, out.read);
    return out;
  };
  const listChanged = () =>
    new Promise<void>((ok) => {
      const seen = (): void => {
        gateway.router.off('list-changed', seen);
        ok();
      };
      gateway.router.on('list-changed', seen);
    });

  const v1 = await everyView();
  assert.ok(Buffer.byteLength(JSON.stringify(v1.full)) > 8192, 'big enough to go out as cached bytes');
  assert.ok(names(v1.full).includes('big__tool_1'));
  assert.ok(!names(v1.read).includes('big__tool_1'), 'mcp:read sees only read-only tools');
  assert.ok(names(v1.read).includes('big__tool_0'));

  // The owner toggles a tool off: every view follows at once.
  gateway.setServers({ big: { command: 'x', tools: { deny: ['tool_0', 'tool_1'] } } } as never);
  const v2 = await everyView();
  assert.ok(!names(v2.full).includes('big__tool_0') && !names(v2.full).includes('big__tool_1'));
  assert.ok(!names(v2.read).includes('big__tool_0'));
  assert.ok(names(v2.read).includes('big__tool_2'));

  // The server restarts with other tool texts: the answers carry the new texts.
  const gone = listChanged();
  big.crash();
  await gone;
  assert.ok(!names(await list('full', 'session')).some((n) => n.startsWith('big__')));
  generation = 2;
  const back = listChanged();
  await big.start();
  await back;
  const v3 = await everyView();
  assert.match(String(v3.full.find((x) => x['name'] === 'big__tool_3')?.['description']), /^Génération 2/);
  assert.match(String(v3.read.find((x) => x['name'] === 'big__tool_2')?.['description']), /^Génération 2/);
  assert.ok(events.some((e) => e.method === 'tools/list' && (e.responseBytes ?? 0) > 8192));
});
