import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Principal } from '../../../main/auth/types.js';
import { isSharedJson } from '../../../main/common/json-text.js';
import { createRouter, type Router } from '../../../main/gateway/router/router.js';
import type { RouteContext } from '../../../main/gateway/router/types.js';
import type { RawObject } from '../../../main/gateway/upstream/types.js';
import { FakeUpstream, FakeUpstreamSource } from '../../helpers/mcp-fake-upstream.js';
import { rawInitialize, rawPost, startFakeGateway } from '../../helpers/mcp-gateway-fixture.js';
import { buildTestServer } from '../../helpers/mcp-test-server.js';

// Issue 16: the merged lists are built once per change of the merged view and their answers are
// shared (and serialised once); these tests pin that sharing never serves a stale or wrong list.

const full: Principal = { kind: 'local', scopes: ['mcp:full'] };
const readOnly: Principal = { kind: 'oauth', clientId: 'c1', scopes: ['mcp:read'] };
const ctx = (principal: Principal): RouteContext => ({
  client: { protocolVersion: '2025-11-25', principal, capabilities: {}, sessionId: 's1' },
  signal: new AbortController().signal,
  notify: () => {},
  ask: () => Promise.reject(new Error('no ask')),
});
/** The router's next 'list-changed' event. */
const listChanged = (router: { on: Router['on']; off: Router['off'] }): Promise<void> =>
  new Promise((ok) => {
    const seen = (): void => {
      router.off('list-changed', seen);
      ok();
    };
    router.on('list-changed', seen);
  });
const names = (r: RawObject): string[] => (r['tools'] as RawObject[]).map((t) => String(t['name'])).sort();

test('tools/list is one shared answer per scope until list_changed or a config edit', async (t) => {
  let serverA: McpServer | undefined;
  const source = new FakeUpstreamSource();
  source.add(await new FakeUpstream('a', () => (serverA = buildTestServer('a'))).start());
  source.add(await new FakeUpstream('b', () => buildTestServer('b')).start());
  const router = createRouter({ upstreams: source });
  t.after(() => router.close());
  const list = (p: Principal) => router.request('tools/list', {}, ctx(p));

  const f1 = await list(full);
  assert.ok(isSharedJson(f1));
  assert.equal(await list(full), f1, 'the same answer while nothing changed');
  const r1 = await list(readOnly);
  assert.notEqual(r1, f1, 'a read-only grant has its own answer');
  assert.equal(await list(readOnly), r1);
  assert.deepEqual(names(r1), ['a__echo', 'b__echo'], 'only read-only tools for mcp:read');
  assert.ok(names(f1).includes('a__write'));

  // The upstream adds a tool (notifications/tools/list_changed): both answers are rebuilt.
  const changed = listChanged(router);
  serverA!.registerTool('added', { description: 'New', inputSchema: { q: z.string() } }, async () => ({
    content: [],
  }));
  await changed;
  const f2 = await list(full);
  assert.notEqual(f2, f1);
  assert.ok(names(f2).includes('a__added'));
  assert.ok(!names(await list(readOnly)).includes('a__added'), 'not read-only: not for mcp:read');

  // The owner edits the config (deny a tool, rename a prefix): the next answer follows at once.
  router.setServers({ a: { command: 'x', prefix: 'first', tools: { deny: ['echo'] } } } as never);
  const f3 = await list(full);
  assert.notEqual(f3, f2);
  assert.ok(!names(f3).includes('first__echo') && names(f3).includes('first__added'));
  assert.ok(!names(f3).some((n) => n.startsWith('a__')));
  assert.deepEqual(names(await list(readOnly)), ['b__echo']);
});

test('through the front: both eras send the current list; the activity log gets the shared answer', async (t) => {
  const fx = await startFakeGateway();
  t.after(() => fx.gateway.close());
  const { sessionId } = await rawInitialize(fx.url);
  const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
  let id = 1;
  const sessionList = async () =>
    (await rawPost(fx.url, { jsonrpc: '2.0', id: id++, method: 'tools/list' }, session)).body;
  const modernList = async () =>
    (
      await rawPost(
        fx.url,
        {
          jsonrpc: '2.0',
          id: id++,
          method: 'tools/list',
          params: {
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        },
        { 'mcp-protocol-version': '2026-07-28' },
      )
    ).body;
  const listed = (body: Record<string, unknown>) => names(body['result'] as RawObject);

  const s1 = await sessionList();
  const s2 = await sessionList();
  assert.deepEqual(s2, { ...s1, id: 2 }, 'the same list, each answer with its own id');
  assert.ok(listed(s1).includes('b__echo'));
  const m1 = await modernList();
  assert.deepEqual(
    { ...(m1['result'] as RawObject), tools: undefined },
    { resultType: 'complete', ttlMs: 0, cacheScope: 'private', tools: undefined },
  );
  assert.deepEqual(listed(m1), listed(s1));
  const logged = fx.events.filter((e) => e.method === 'tools/list').map((e) => e.response);
  assert.equal(logged.length, 3);
  assert.ok(logged[0] === logged[1] && logged[1] === logged[2], 'one shared answer, logged as is');

  fx.gateway.setServers({ b: { command: 'x', tools: { deny: ['echo'] } } } as never);
  assert.ok(!listed(await sessionList()).includes('b__echo'), 'session era follows a config edit');
  assert.ok(!listed(await modernList()).includes('b__echo'), '2026-07-28 follows a config edit');

  const gone = listChanged(fx.gateway.router);
  fx.a.crash();
  await gone;
  assert.ok(!listed(await sessionList()).some((n) => n.startsWith('a__')), 'a crashed server leaves');
  assert.ok(!listed(await modernList()).some((n) => n.startsWith('a__')));
});
