// isolation: "per-client" on a real stdio server (server-memory, one memory file per client through
// the `${client}` placeholder): each client gets its own process, state does not leak, the limit is
// told to the client that goes over it, idle processes are reaped (a manual clock moves time), and
// the merged tool list is the one a shared server gives.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createGateway } from '../../../main/gateway/gateway.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/index.js';
import { clientIdOf, PerClientUpstream } from '../../../main/gateway/upstream/per-client-upstream.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import { ManualClock } from '../../fixtures/manual-clock.js';
import { isAlive, MEMORY, until } from '../upstream/helpers.js';

const IDLE_MS = 60_000;
const fast = { stdinGraceMs: 300, termGraceMs: 1000 };
type Text = { content: { type: string; text: string }[]; isError?: boolean };

async function startGateway(servers: Record<string, ServerConfig>, clock?: ManualClock) {
  const manager = createUpstreamManager({ shutdown: fast, ...(clock ? { clock } : {}) });
  const gateway = createGateway({ upstreams: manager, servers, callTimeoutMs: 30_000 });
  await manager.apply(servers);
  for (const s of manager.states()) assert.equal(s.status, 'ready', `${s.name}: ${s.error ?? ''}`);
  const { port } = await gateway.listen(0);
  const clients: Client[] = [];
  return {
    manager,
    async connect(name: string): Promise<Client> {
      const client = new Client({ name, version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
      clients.push(client);
      return client;
    },
    async close(): Promise<void> {
      for (const c of clients) await c.close().catch(() => {});
      await gateway.close();
      await manager.close();
    },
  };
}

const graphOf = async (c: Client): Promise<string> =>
  ((await c.callTool({ name: 'memory__read_graph', arguments: {} })) as Text).content[0]!.text;

const remember = (c: Client, who: string) =>
  c.callTool({
    name: 'memory__create_entities',
    arguments: { entities: [{ name: `${who}-secret`, entityType: 'note', observations: [`only ${who}`] }] },
  });

describe(
  'isolation "per-client": one process per client, bounded, reaped when idle',
  { timeout: 90_000 },
  () => {
    let dir: string;
    const clock = new ManualClock();
    let env: Awaited<ReturnType<typeof startGateway>>;
    let memory: PerClientUpstream;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tg-per-client-'));
      env = await startGateway(
        {
          memory: {
            command: process.execPath,
            args: [MEMORY],
            env: { MEMORY_FILE_PATH: join(dir, 'memory-${client}.jsonl') },
            isolation: 'per-client',
            perClient: { maxProcesses: 2, idleMs: IDLE_MS },
          },
        },
        clock,
      );
      const up = env.manager.get('memory');
      assert.ok(up instanceof PerClientUpstream, 'a per-client server is a PerClientUpstream');
      memory = up;
    });
    after(async () => {
      await env?.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('the merged tool list is the one the same server gives shared', async () => {
      const shared = await startGateway({
        memory: {
          command: process.execPath,
          args: [MEMORY],
          env: { MEMORY_FILE_PATH: join(dir, 'shared.jsonl') },
        },
      });
      try {
        const expected = (await (await shared.connect('lister')).listTools()).tools;
        const got = (await (await env.connect('lister')).listTools()).tools;
        assert.ok(got.length > 3);
        assert.deepEqual(got, expected);
        // Listing starts no client process: lists come from the listing process.
        assert.deepEqual(memory.clients(), []);
      } finally {
        await shared.close();
      }
    });

    test("two clients get two processes, and neither sees the other one's memory", async () => {
      const alice = await env.connect('alice');
      const bob = await env.connect('bob');
      await remember(alice, 'alice');
      await remember(bob, 'bob');
      const [ga, gb] = [await graphOf(alice), await graphOf(bob)];
      assert.match(ga, /alice-secret/);
      assert.doesNotMatch(ga, /bob-secret/);
      assert.match(gb, /bob-secret/);
      assert.doesNotMatch(gb, /alice-secret/);

      const procs = memory.clients();
      assert.equal(procs.length, 2);
      const pids = procs.map((p) => p.pid);
      assert.ok(
        pids.every((p) => typeof p === 'number' && isAlive(p)),
        `live pids ${pids.join(', ')}`,
      );
      assert.notEqual(pids[0], pids[1], 'each client has its own process');
      assert.ok(!pids.includes(memory.pid), 'the listing process runs no client call');
      // `${client}` is a hash of the client, never its name: one file each.
      const ids = [clientIdOf('local:alice'), clientIdOf('local:bob')];
      assert.deepEqual(procs.map((p) => p.clientId).sort(), [...ids].sort());
      const files = (await readdir(dir)).filter((f) => f.startsWith('memory-') && !f.includes('lists'));
      assert.deepEqual(files.sort(), ids.map((id) => `memory-${id}.jsonl`).sort());
      assert.doesNotMatch(await readFile(join(dir, `memory-${ids[0]}.jsonl`), 'utf8'), /bob/);
    });

    test('a third client over maxProcesses gets a clear error, and nothing is started for it', async () => {
      const carol = await env.connect('carol');
      const res = (await carol.callTool({ name: 'memory__read_graph', arguments: {} }).then(
        (r) => r as Text,
        (err: unknown) => ({ content: [{ type: 'text', text: String(err) }], isError: true }),
      )) as Text;
      assert.equal(res.isError, true);
      assert.match(res.content[0]!.text, /one process per client.*all 2 are in use.*perClient\.maxProcesses/);
      assert.equal(memory.clients().length, 2);
    });

    test("idle processes are reaped; the next call starts a fresh one that still has the client's memory", async () => {
      const pids = memory.clients().map((p) => p.pid!);
      clock.advance(IDLE_MS - 1);
      assert.equal(memory.clients().length, 2, 'not yet idle long enough');
      clock.advance(1);
      assert.deepEqual(memory.clients(), []);
      await until(() => pids.every((p) => !isAlive(p)), 10_000, 'reaped processes to exit');

      // The slot is free again for carol, and alice's memory is in her file, not in a process.
      const carol = await env.connect('carol');
      assert.doesNotMatch(await graphOf(carol), /secret/);
      const alice = await env.connect('alice');
      assert.match(await graphOf(alice), /alice-secret/);
      assert.equal(memory.clients().length, 2);
    });
  },
);

test('a client process that cannot start says why, and does not hold a slot', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-per-client-'));
  // Only the listing process's folder exists: every client's `${client}` folder is missing.
  await mkdir(join(dir, 'lists'));
  const manager = createUpstreamManager({ shutdown: fast });
  try {
    await manager.apply({
      memory: {
        command: process.execPath,
        args: [MEMORY],
        cwd: join(dir, '${client}'),
        isolation: 'per-client',
        perClient: { maxProcesses: 1 },
      },
    });
    const memory = manager.get('memory') as PerClientUpstream;
    assert.equal(memory.state().status, 'ready');
    for (const key of ['grant:one', 'grant:two']) {
      await assert.rejects(
        memory.request('tools/call', { name: 'read_graph', arguments: {} }, { clientKey: key }),
        (err: Error) =>
          /could not start a process for this client/.test(err.message) &&
          err.message.includes(join(dir, clientIdOf(key))),
      );
      assert.deepEqual(memory.clients(), [], 'no slot is held by a process that failed');
    }
  } finally {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  }
});
