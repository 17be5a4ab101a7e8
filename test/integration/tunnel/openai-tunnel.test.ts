import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import type { ActivityEvent } from '../../../main/activity/types.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { DEMO_SERVER_NAME, demoBuiltin } from '../../../main/gateway/demo/demo-builtin.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import {
  createOpenAiTunnelProvider,
  openAiTunnelPrincipal,
  type CommandDone,
} from '../../../main/tunnel/openai-tunnel-provider.js';
import type { TunnelState } from '../../../main/tunnel/tunnel-state.js';
import {
  createFakeControlPlane,
  type Posted,
} from '../../fixtures/openai-control-plane/fake-control-plane.js';

const root = resolve(import.meta.dirname, '../../..');
const pkg = (name: string): string => join(root, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');
const TUNNEL = 'tunnel_0123456789abcdef0123456789abcdef';
const KEY = 'sk-tunnel-test-0123456789';
type Raw = Record<string, unknown>;

const json = (p: Posted): Raw => p.body['resp_json'] as Raw;
const terminal = (posts: Posted[]): Posted => posts.at(-1)!;

describe(
  'OpenAI Secure MCP Tunnel: an MCP conversation through the control plane',
  { timeout: 120_000 },
  () => {
    const servers: Record<string, ServerConfig> = {
      everything: { command: process.execPath, args: [pkg('server-everything'), 'stdio'] },
      apps: { command: process.execPath, args: [pkg('server-basic-react'), '--stdio'], prefix: '' },
    };
    const upstreams = createUpstreamManager({ builtins: { [DEMO_SERVER_NAME]: demoBuiltin } });
    const events: Omit<ActivityEvent, 'id'>[] = [];
    // No listen(): the tunnel needs no socket of the gateway's at all.
    const gateway = createGateway({ upstreams, servers, activity: { record: (e) => events.push(e) } });
    const fake = createFakeControlPlane({ tunnelId: TUNNEL, apiKey: KEY });
    const states: TunnelState[] = [];
    const done = new Map<string, CommandDone['outcome']>();
    let provider: ReturnType<typeof createOpenAiTunnelProvider>;
    let sessionId = '';

    const ask = async (message: Raw, headers: Record<string, string[]> = {}): Promise<Posted[]> =>
      fake.answered(fake.enqueue({ jsonrpc: '2.0', ...message }, { headers, responseTimeout: '60s' }));
    const inSession = (message: Raw): Promise<Posted[]> => ask(message, { 'Mcp-Session-Id': [sessionId] });

    before(async () => {
      await upstreams.apply(servers, { builtins: [DEMO_SERVER_NAME] });
      await fake.start();
      provider = createOpenAiTunnelProvider({
        tunnelId: TUNNEL,
        apiKey: async () => KEY,
        serve: (req, res) => gateway.serveAuthenticated(req, res, openAiTunnelPrincipal(TUNNEL)),
        baseUrl: fake.url,
        clientVersion: '1.2.3',
        poll: { timeoutMs: 2000 },
      });
      provider.on('state', (s: TunnelState) => states.push(s));
      provider.on('command', (c: CommandDone) => done.set(c.requestId, c.outcome));
      await provider.start();
    });
    after(async () => {
      await provider?.close();
      await fake.close();
      await gateway.close();
      await upstreams.close();
    });

    test('ready without any public URL, named after the tunnel', () => {
      const s = provider.state();
      assert.equal(s.phase, 'ready', s.error);
      assert.equal(s.mode, 'openai');
      assert.equal(s.url, null);
      assert.equal(s.tunnelId, TUNNEL);
      assert.equal(s.tunnelName, 'Fake tunnel');
      assert.equal(fake.stats.metadata, 1);
    });

    test('initialize, notifications/initialized and tools/list answer through the tunnel', async () => {
      const init = await ask({
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'openai-mcp', version: '1' },
        },
      });
      assert.equal(init.length, 1);
      const t = terminal(init);
      assert.equal(t.body['resp_type'], 'jsonrpc_response');
      assert.equal(t.body['resp_code'], 200);
      assert.equal(t.body['channel'], 'main');
      assert.equal(json(t)['id'], 1);
      const headers = t.body['resp_headers'] as Record<string, string[]>;
      sessionId = headers['Mcp-Session-Id']?.[0] ?? '';
      assert.ok(sessionId, 'the session id travels back in resp_headers');
      assert.deepEqual(headers['Content-Type'], ['application/json']);

      const ack = await inSession({ method: 'notifications/initialized' });
      assert.equal(ack.length, 1);
      assert.equal(ack[0]!.body['resp_type'], 'notify_ack');
      assert.equal(ack[0]!.body['resp_code'], 202);
      assert.equal('resp_json' in ack[0]!.body, false);

      const list = await inSession({ id: 'list-1', method: 'tools/list', params: {} });
      const tools = ((json(terminal(list))['result'] as Raw)['tools'] as Raw[]).map((x) => String(x['name']));
      for (const n of ['everything__echo', 'demo__show_clock']) assert.ok(tools.includes(n), n);
      assert.equal(json(terminal(list))['id'], 'list-1', 'the JSON-RPC id is preserved');
    });

    test('a tool call with progress: jsonrpc_notify posts first, then the terminal answer', async () => {
      const posts = await inSession({
        id: 7,
        method: 'tools/call',
        params: {
          name: 'everything__trigger-long-running-operation',
          arguments: { duration: 0.3, steps: 3 },
          _meta: { progressToken: 'p-7' },
        },
      });
      const notifies = posts.filter((p) => p.body['resp_type'] === 'jsonrpc_notify');
      assert.ok(notifies.length >= 2, `progress arrived as notifications (${notifies.length})`);
      for (const n of notifies) {
        assert.equal(json(n)['method'], 'notifications/progress');
        assert.equal((json(n)['params'] as Raw)['progressToken'], 'p-7');
      }
      const t = terminal(posts);
      assert.equal(t.body['resp_type'], 'jsonrpc_response');
      assert.equal(json(t)['id'], 7);
      assert.match(JSON.stringify(json(t)['result']), /Long running operation completed/);
      // Every POST for one command carries its shard token in the header (never in the body).
      const shards = new Set(posts.map((p) => p.shardToken));
      assert.equal(shards.size, 1);
      assert.equal(
        posts.every((p) => !('shard_token' in p.body)),
        true,
      );
    });

    test('a widget: the ui:// resource of an MCP Apps tool reads through the tunnel', async () => {
      const list = await inSession({ id: 8, method: 'tools/list', params: {} });
      const tools = (json(terminal(list))['result'] as Raw)['tools'] as Raw[];
      const appTool = tools.find(
        (x) => !String(x['name']).includes('__') && JSON.stringify(x['_meta'] ?? {}).includes('ui://'),
      );
      assert.ok(appTool, 'server-basic-react exposes a tool with a ui:// template');
      const uri = JSON.stringify(appTool['_meta']).match(/ui:\/\/[^"]+/)![0];
      const read = await inSession({ id: 9, method: 'resources/read', params: { uri } });
      const contents = ((json(terminal(read))['result'] as Raw)['contents'] as Raw[])[0]!;
      assert.equal(contents['uri'], uri);
      assert.match(String(contents['mimeType']), /text\/html/);
      assert.match(String(contents['text']), /<html|<!doctype/i);
    });

    test('the 2026-07-28 era works too: stateless server/discover and tools/call', async () => {
      const meta = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'openai-mcp', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      };
      const posts = await ask(
        {
          id: 20,
          method: 'tools/call',
          params: { name: 'demo__echo', arguments: { text: 'hi' }, _meta: meta },
        },
        { 'Mcp-Protocol-Version': ['2026-07-28'], 'Mcp-Method': ['tools/call'], 'Mcp-Name': ['demo__echo'] },
      );
      const r = json(terminal(posts));
      assert.equal(r['id'], 20);
      assert.match(JSON.stringify(r['result']), /hi/);
    });

    test('the tunnel is its own client in the activity log', () => {
      const calls = events.filter((e) => e.kind === 'request' && e.method === 'tools/call');
      assert.ok(calls.length >= 2);
      for (const e of calls) assert.equal(e.client?.id, `openai-tunnel:${TUNNEL}`);
    });

    test('several commands in one poll (more than limit asked for) all get answered, in any order', async () => {
      fake.setIgnoreLimit(true);
      try {
        const ids = Array.from({ length: 12 }, (_, i) => 30 + i).map((n) =>
          fake.enqueue(
            {
              jsonrpc: '2.0',
              id: n,
              method: 'tools/call',
              params: { name: 'everything__echo', arguments: { message: `m${n}` } },
            },
            { headers: { 'Mcp-Session-Id': [sessionId] } },
          ),
        );
        const answers = await Promise.all(ids.map((id) => fake.answered(id)));
        assert.ok(
          fake.stats.lastLimit < ids.length,
          `the poll asked for ${fake.stats.lastLimit}, got all 12`,
        );
        answers.forEach((posts, i) =>
          assert.match(JSON.stringify(json(terminal(posts))), new RegExp(`m${30 + i}`)),
        );
      } finally {
        fake.setIgnoreLimit(false);
      }
    });

    test('session_termination closes the session: 204, then the session is gone', async () => {
      const id = fake.enqueue(undefined, { headers: { 'Mcp-Session-Id': [sessionId] } });
      const posts = await fake.answered(id);
      assert.equal(posts.length, 1);
      assert.equal(posts[0]!.body['resp_type'], 'session_termination_response');
      assert.equal(posts[0]!.body['resp_code'], 204);
      assert.equal('resp_json' in posts[0]!.body, false);
      const after = await inSession({ id: 40, method: 'tools/list', params: {} });
      assert.equal(terminal(after).body['resp_code'], 404, 'a closed session answers 404 (re-initialize)');
    });

    test('an unknown command_type is skipped without an answer; polling goes on', async () => {
      const odd = fake.enqueue(
        { jsonrpc: '2.0', id: 50, method: 'tools/list' },
        { commandType: 'telepathy' },
      );
      const ok = await ask({ id: 51, method: 'server/discover', params: {} });
      assert.equal(json(terminal(ok))['id'], 51);
      assert.equal(done.get(odd), 'unsupported');
      assert.deepEqual(fake.posts(odd), []);
    });

    test('every request carried the documented headers and fields', () => {
      assert.deepEqual(fake.violations, []);
      assert.equal(fake.stats.instanceIds.size, 1, 'one stable instance id');
      assert.ok(states.every((s) => s.url === null));
    });
  },
);
