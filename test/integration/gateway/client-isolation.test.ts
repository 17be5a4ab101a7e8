import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import type { ActivityEvent } from '../../../main/activity/types.js';
import { startHttpFixture } from '../../fixtures/upstream/http-fixture.js';
import { buildTrafficServer } from '../../fixtures/upstream/traffic-server.js';
import { tsFixtureArgs } from '../../helpers/ts-fixture.js';

const root = resolve(import.meta.dirname, '../../..');
const trafficScript = join(root, 'test/fixtures/upstream/traffic-server.ts');
const everything = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

interface Seen {
  logs: string[];
  progress: string[];
  samplingPrompts: string[];
  rootsAsked: number;
}

/** One client of the gateway, with its own roots (or none), sampling answers and a record of all it saw. */
async function connectClient(url: URL, tag: string, roots: string[] | undefined) {
  const seen: Seen = { logs: [], progress: [], samplingPrompts: [], rootsAsked: 0 };
  const client = new Client(
    { name: `client-${tag}`, version: '1' },
    { capabilities: { sampling: {}, ...(roots ? { roots: {} } : {}) } },
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.logs.push(String(n.params.data));
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    // The prompt text, wherever the message puts it (one content block or a list).
    seen.samplingPrompts.push(JSON.stringify(req.params.messages[0]?.content ?? ''));
    return {
      role: 'assistant',
      model: `model-${tag}`,
      content: { type: 'text', text: `answer from ${tag}` },
    };
  });
  if (roots)
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      seen.rootsAsked++;
      return { roots: roots.map((uri) => ({ uri })) };
    });
  await client.connect(new StreamableHTTPClientTransport(url));
  await client.setLoggingLevel('debug');
  const traffic = async (tool: string, args: Record<string, unknown>) => {
    const res = await client.callTool({ name: tool, arguments: args }, undefined, {
      onprogress: (p) => void seen.progress.push(String(p.message ?? p.progress)),
    });
    const text = (res.content as { type: string; text: string }[])[0]!.text;
    return JSON.parse(text) as { tag: string; roots: string[] | string; sampled: string };
  };
  return { client, seen, traffic };
}

describe('two clients on shared upstreams see only their own traffic', { timeout: 90_000 }, () => {
  let httpUpstream: Awaited<ReturnType<typeof startHttpFixture>>;
  const events: Omit<ActivityEvent, 'id'>[] = [];
  let manager: ReturnType<typeof createUpstreamManager>;
  let gateway: ReturnType<typeof createGateway>;
  let a: Awaited<ReturnType<typeof connectClient>>;
  let b: Awaited<ReturnType<typeof connectClient>>;
  let gatewayUrl: URL;

  before(async () => {
    httpUpstream = await startHttpFixture({ build: buildTrafficServer });
    const servers: Record<string, ServerConfig> = {
      stdio: { command: process.execPath, args: tsFixtureArgs(trafficScript, '--stdio') },
      http: { url: httpUpstream.url },
      everything: { command: process.execPath, args: [everything, 'stdio'] },
    };
    manager = createUpstreamManager({});
    gateway = createGateway({
      upstreams: manager,
      servers,
      callTimeoutMs: 30_000,
      activity: { record: (e) => void events.push(e) },
    });
    await manager.apply(servers);
    for (const s of manager.states()) assert.equal(s.status, 'ready', `${s.name}: ${s.error ?? ''}`);
    const { port } = await gateway.listen(0);
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    gatewayUrl = url;
    a = await connectClient(url, 'A', ['file:///home/a']);
    b = await connectClient(url, 'B', undefined);
  });
  after(async () => {
    await a?.client.close();
    await b?.client.close();
    await gateway?.close();
    await manager?.close();
    await httpUpstream?.close();
  });

  const isolated = (who: Seen, own: string, other: string): void => {
    for (const list of [who.logs, who.progress, who.samplingPrompts])
      assert.ok(!list.some((s) => s.includes(`of ${other}`) || s.includes(`for ${other}`)), list.join(' | '));
    assert.ok(who.logs.includes(`log of ${own}`), `own log missing: ${who.logs.join(' | ')}`);
    assert.ok(
      who.progress.includes(`progress of ${own}`),
      `own progress missing: ${who.progress.join(' | ')}`,
    );
    assert.ok(
      who.samplingPrompts.some((s) => s.includes(`sample for ${own}`)),
      who.samplingPrompts.join(' | '),
    );
  };

  for (const upstream of ['stdio', 'http'] as const) {
    test(`${upstream} upstream: one call each, each gets its own log, progress, roots and sampling`, async () => {
      for (const c of [a, b])
        Object.assign(c.seen, { logs: [], progress: [], samplingPrompts: [], rootsAsked: 0 });
      const ra = await a.traffic(`${upstream}__traffic`, { tag: 'A' });
      const rb = await b.traffic(`${upstream}__traffic`, { tag: 'B' });
      assert.deepEqual(ra.roots, ['file:///home/a']);
      assert.equal(ra.sampled, 'answer from A');
      assert.equal(rb.sampled, 'answer from B');
      // B declared no roots: its call's roots/list is refused, never answered with A's roots.
      assert.match(String(rb.roots), /^error: .*roots/);
      assert.equal(a.seen.rootsAsked, 1);
      isolated(a.seen, 'A', 'B');
      isolated(b.seen, 'B', 'A');
    });
  }

  test('http upstream: two calls in flight at once are still told apart by their streams', async () => {
    for (const c of [a, b])
      Object.assign(c.seen, { logs: [], progress: [], samplingPrompts: [], rootsAsked: 0 });
    const [ra, rb] = await Promise.all([
      a.traffic('http__traffic', { tag: 'A', together: 2 }),
      b.traffic('http__traffic', { tag: 'B', together: 2 }),
    ]);
    assert.deepEqual(ra.roots, ['file:///home/a']);
    assert.equal(ra.sampled, 'answer from A');
    assert.equal(rb.sampled, 'answer from B');
    isolated(a.seen, 'A', 'B');
    isolated(b.seen, 'B', 'A');
  });

  test('stdio upstream: with two calls in flight nothing is guessed', async () => {
    for (const c of [a, b])
      Object.assign(c.seen, { logs: [], progress: [], samplingPrompts: [], rootsAsked: 0 });
    events.length = 0;
    const [ra, rb] = await Promise.all([
      a.traffic('stdio__traffic', { tag: 'A', together: 2 }),
      b.traffic('stdio__traffic', { tag: 'B', together: 2 }),
    ]);
    // stdio cannot say which call a message belongs to: roots and sampling are refused, not guessed.
    for (const r of [ra, rb]) {
      assert.match(String(r.roots), /^error: /);
      assert.match(r.sampled, /^error: /);
    }
    assert.equal(a.seen.rootsAsked, 0);
    assert.deepEqual([...a.seen.samplingPrompts, ...b.seen.samplingPrompts], []);
    // Progress carries its own token, so it still reaches the right client.
    assert.deepEqual(a.seen.progress, ['progress of A']);
    assert.deepEqual(b.seen.progress, ['progress of B']);
    // Log messages go to nobody but the activity log.
    assert.deepEqual([...a.seen.logs, ...b.seen.logs], []);
    const logged = events.filter((e) => e.kind === 'notification' && e.method === 'notifications/message');
    assert.deepEqual(logged.map((e) => (e.request as { data: string }).data).sort(), [
      'log of A',
      'log of B',
    ]);
  });

  for (const upstream of ['stdio', 'http'] as const) {
    test(`2026-07-28 over ${upstream}: each request gets log messages at its own _meta level, or none`, async () => {
      const post = async (tag: string, level?: string): Promise<string> => {
        const meta: Record<string, unknown> = {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': { name: `modern-${tag}`, version: '1' },
          ...(level ? { 'io.modelcontextprotocol/logLevel': level } : {}),
        };
        const res = await fetch(gatewayUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2026-07-28',
            'mcp-method': 'tools/call',
            'mcp-name': `${upstream}__traffic`,
          },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 1,
            method: 'tools/call',
            params: { name: `${upstream}__traffic`, arguments: { tag, logOnly: true }, _meta: meta },
          }),
        });
        assert.equal(res.status, 200);
        return res.text();
      };
      // On stdio, calls must be one at a time to be told apart (see the test above); HTTP needs no such care.
      const [info, none, error] =
        upstream === 'http'
          ? await Promise.all([post('M1', 'info'), post('M2'), post('M3', 'error')])
          : [await post('M1', 'info'), await post('M2'), await post('M3', 'error')];
      assert.match(info, /log of M1/);
      for (const other of ['M2', 'M3']) assert.doesNotMatch(info, new RegExp(`log of ${other}`));
      assert.doesNotMatch(none, /notifications\/message/);
      assert.doesNotMatch(
        error,
        /notifications\/message/,
        'an info message is below the asked-for error level',
      );
    });
  }

  test('server-everything over stdio: progress and sampling reach only the caller', async () => {
    for (const c of [a, b])
      Object.assign(c.seen, { logs: [], progress: [], samplingPrompts: [], rootsAsked: 0 });
    await a.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } },
      undefined,
      { onprogress: (p) => void a.seen.progress.push(`A:${p.progress}`) },
    );
    const sampled = await b.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'hello from B', maxTokens: 5 },
    });
    assert.deepEqual(a.seen.progress, ['A:1', 'A:2']);
    assert.deepEqual(b.seen.progress, []);
    assert.deepEqual(a.seen.samplingPrompts, []);
    assert.equal(b.seen.samplingPrompts.length, 1);
    assert.match(b.seen.samplingPrompts[0]!, /hello from B/);
    assert.match(JSON.stringify(sampled.content), /answer from B/);
  });
});
