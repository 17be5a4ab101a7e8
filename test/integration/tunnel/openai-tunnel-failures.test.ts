import { after, afterEach, before, describe, test } from 'node:test';
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
  type OpenAiTunnelDeps,
} from '../../../main/tunnel/openai-tunnel-provider.js';
import type { TunnelState } from '../../../main/tunnel/tunnel-state.js';
import { createFakeControlPlane } from '../../fixtures/openai-control-plane/fake-control-plane.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

const root = resolve(import.meta.dirname, '../../..');
const TUNNEL = 'tunnel_fedcba9876543210fedcba9876543210';
const KEY = 'sk-tunnel-right-key-4242';
type Provider = ReturnType<typeof createOpenAiTunnelProvider>;

describe('OpenAI tunnel failure cases', { timeout: 90_000 }, () => {
  const servers: Record<string, ServerConfig> = {
    everything: {
      command: process.execPath,
      args: [join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
    },
  };
  const upstreams = createUpstreamManager({ builtins: { [DEMO_SERVER_NAME]: demoBuiltin } });
  const events: Omit<ActivityEvent, 'id'>[] = [];
  const gateway = createGateway({ upstreams, servers, activity: { record: (e) => events.push(e) } });
  const fake = createFakeControlPlane({ tunnelId: TUNNEL, apiKey: KEY });
  let provider: Provider | undefined;
  const outcomes = new Map<string, CommandDone['outcome']>();
  const stateWaiters: { pred: (s: TunnelState) => boolean; resolve: () => void }[] = [];

  const make = (extra: Partial<OpenAiTunnelDeps> = {}): Provider => {
    const p = createOpenAiTunnelProvider({
      tunnelId: TUNNEL,
      apiKey: async () => KEY,
      serve: (req, res) => gateway.serveAuthenticated(req, res, openAiTunnelPrincipal(TUNNEL)),
      baseUrl: fake.url,
      poll: { timeoutMs: 2000 },
      // Zero jitter: retries happen at once, so nothing here waits for real backoff.
      random: () => 0,
      ...extra,
    });
    p.on('command', (c: CommandDone) => outcomes.set(c.requestId, c.outcome));
    p.on('state', (s: TunnelState) => {
      for (const w of [...stateWaiters]) {
        if (!w.pred(s)) continue;
        stateWaiters.splice(stateWaiters.indexOf(w), 1);
        w.resolve();
      }
    });
    provider = p;
    return p;
  };
  const stateWhere = (pred: (s: TunnelState) => boolean): Promise<void> =>
    pred(provider!.state()) ? Promise.resolve() : new Promise((r) => stateWaiters.push({ pred, resolve: r }));
  const outcomeOf = async (id: string): Promise<CommandDone['outcome']> => {
    while (!outcomes.has(id)) await new Promise((r) => provider!.once('command', r));
    return outcomes.get(id)!;
  };
  const echo = (id: number, message: string) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'demo__echo',
      arguments: { text: message },
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'openai-mcp', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
  /** What a 2026-07-28 client sends with each request: headers mirroring the body (the connector forwards them). */
  const send = (msg: Record<string, unknown>, o: Parameters<typeof fake.enqueue>[1] = {}): string => {
    const params = msg['params'] as { name?: string } | undefined;
    return fake.enqueue(msg, {
      ...o,
      headers: {
        'Mcp-Protocol-Version': ['2026-07-28'],
        'Mcp-Method': [String(msg['method'])],
        ...(params?.name ? { 'Mcp-Name': [params.name] } : {}),
      },
    });
  };
  const calledWith = (text: string): number =>
    events.filter((e) => e.method === 'tools/call' && JSON.stringify(e.request ?? {}).includes(text)).length;

  before(async () => {
    await upstreams.apply(servers, { builtins: [DEMO_SERVER_NAME] });
    await fake.start();
  });
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    fake.setPollStatus(null);
  });
  after(async () => {
    await fake.close();
    await gateway.close();
    await upstreams.close();
  });

  test('a wrong key: a clear error, and no retry storm (one request, no poll, even as time passes)', async () => {
    const clock = new ManualClock();
    const before = fake.stats.requests;
    const p = make({ apiKey: async () => 'sk-wrong-key-1234', clock });
    await p.start();
    const s = p.state();
    assert.equal(s.phase, 'failed');
    assert.equal(s.errorCode, 'unauthorized');
    assert.match(s.error ?? '', /OpenAI refused the tunnel API key \(HTTP 401, tunnel_use_forbidden/);
    assert.doesNotMatch(JSON.stringify(s), /sk-wrong-key-1234/, 'the key never appears in the state');
    clock.advance(10 * 60_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(fake.stats.requests - before, 1, 'only the metadata request was made');
    assert.equal(clock.pending, 0, 'no retry is scheduled');
  });

  test('403 on poll: failed after exactly one poll', async () => {
    fake.setPollStatus({ status: 403 });
    const polls = fake.stats.polls;
    const p = make();
    await p.start();
    await stateWhere((s) => s.phase === 'failed');
    assert.equal(p.state().errorCode, 'unauthorized');
    assert.match(p.state().error ?? '', /HTTP 403/);
    assert.equal(fake.stats.polls - polls, 1);
  });

  test('the control plane goes away and comes back: backoff with full jitter, then ready again', async () => {
    const clock = new ManualClock();
    // Ready again takes a poll's answer: a short long-poll gives it without waiting out 2 s of hold.
    const p = make({
      clock,
      random: () => 0.5,
      backoff: { baseMs: 500, maxMs: 4000 },
      poll: { timeoutMs: 200 },
    });
    await p.start();
    assert.equal(p.state().phase, 'ready');
    await fake.goAway();
    await stateWhere((s) => s.phase === 'reconnecting');
    assert.match(p.state().error ?? '', /Cannot reach OpenAI's tunnel service/);
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      while (clock.pending === 0) await new Promise((r) => setImmediate(r));
      delays.push(clock.delays.at(-1)!);
      clock.advance(60_000);
    }
    // Half of each ceiling (random 0.5): 500, 1000, 2000, 4000, then capped at maxMs.
    assert.deepEqual(delays, [250, 500, 1000, 2000, 2000]);
    await fake.comeBack();
    // The attempt already under way may reach it; else the next one, once its delay has passed.
    while (p.state().phase !== 'ready') {
      if (clock.pending > 0) clock.advance(60_000);
      await new Promise((r) => setImmediate(r));
    }
    const id = send(echo(1, 'after-outage'));
    // A response POST may first meet a connection the outage closed: its retry waits on this clock.
    let posts: Awaited<ReturnType<typeof fake.answered>> | undefined;
    void fake.answered(id).then((p) => (posts = p));
    while (!posts) {
      if (clock.pending > 0) clock.advance(60_000);
      await new Promise((r) => setImmediate(r));
    }
    assert.match(JSON.stringify(posts.at(-1)!.body), /after-outage/);
  });

  test('503 with Retry-After: waits at least that long before polling again', async () => {
    const clock = new ManualClock();
    const p = make({ clock, random: () => 0, poll: { timeoutMs: 200 } });
    await p.start();
    fake.setPollStatus({ status: 503, retryAfter: '7' });
    await stateWhere((s) => s.phase === 'reconnecting');
    while (clock.pending === 0) await new Promise((r) => setImmediate(r));
    assert.equal(clock.delays.at(-1), 7000);
    fake.setPollStatus(null);
    clock.advance(7000);
    await stateWhere((s) => s.phase === 'ready');
  });

  test('an expired command (0s) is dropped: the MCP server is never asked and nothing is posted', async () => {
    make();
    await provider!.start();
    const expired = send(echo(2, 'never-run'), { responseTimeout: '0s' });
    const fine = send(echo(3, 'runs-fine'), { responseTimeout: '30s' });
    await fake.answered(fine);
    assert.equal(await outcomeOf(expired), 'expired');
    assert.deepEqual(fake.posts(expired), []);
    assert.equal(calledWith('never-run'), 0);
  });

  test('a deadline that passes during the call: cancelled upstream, no late answer', async () => {
    make();
    await provider!.start();
    const id = send(
      {
        jsonrpc: '2.0',
        id: 4,
        method: 'tools/call',
        params: {
          name: 'everything__trigger-long-running-operation',
          arguments: { duration: 5, steps: 5 },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 'openai-mcp', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
            progressToken: 'slow',
          },
        },
      },
      { responseTimeout: '400ms', expireAfterMs: 400 },
    );
    assert.equal(await outcomeOf(id), 'expired');
    assert.ok(
      fake.posts(id).every((p) => p.body['resp_type'] === 'jsonrpc_notify'),
      'no terminal answer',
    );
    // The router records the call once the upstream has let go of it (notifications/cancelled).
    const slow = (): ActivityEvent['outcome'] | undefined =>
      events.find(
        (e) => e.method === 'tools/call' && e.target === 'everything__trigger-long-running-operation',
      )?.outcome;
    for (let i = 0; i < 500 && slow() === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(slow(), 'cancelled', 'the upstream call was cancelled');
    // A later command still works, and nothing was posted late for the expired one.
    await fake.answered(send(echo(5, 'still-serving')));
    assert.deepEqual(fake.violations, []);
  });

  test('response POSTs: 503 and a dropped connection are retried with the same body; 404 is terminal', async () => {
    make();
    await provider!.start();
    fake.failNextResponses(503, 'drop');
    const id = send(echo(6, 'retried'));
    const posts = await fake.answered(id);
    assert.match(JSON.stringify(posts.at(-1)!.body), /retried/);
    assert.equal(calledWith('retried'), 1, 'the MCP call ran once');

    fake.failNextResponses(404);
    const gone = send(echo(7, 'gone-once'));
    assert.equal(await outcomeOf(gone), 'gone');
    assert.equal(calledWith('gone-once'), 1, 'not replayed');
  });

  test('headers and fields were right throughout', () => {
    assert.deepEqual(fake.violations, []);
  });
});
