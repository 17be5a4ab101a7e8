import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { createUpstreamManager, type UpstreamManager } from '../../../main/gateway/upstream/manager.js';
import type { UpstreamAuth } from '../../../main/gateway/upstream/upstream-auth.js';
import type { ServerConfig } from '../../../main/config/schema.js';
import type { UpstreamState, UpstreamStatus } from '../../../main/gateway/upstream/types.js';
import { createFakeServer, type FakeServer } from '../../fixtures/upstream/fake-server.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

const tool = (name: string) => ({ name, inputSchema: { type: 'object' } });

/** A manager whose connections all go to in-process fake servers, with a hand-driven clock. */
function setup(extra: Partial<Parameters<typeof createUpstreamManager>[0]> = {}) {
  const servers = new Map<string, FakeServer>();
  const clock = new ManualClock();
  const serverFor = (name: string) => {
    if (!servers.has(name)) servers.set(name, createFakeServer({ tools: [tool(`${name}-tool`)] }));
    return servers.get(name)!;
  };
  const manager = createUpstreamManager({
    clock,
    random: () => 1,
    backoff: { baseMs: 100, maxMs: 1000 },
    connect: (spec, deps) =>
      createUpstream({ ...spec, kind: 'builtin', builtin: serverFor(spec.name).builtin }, deps),
    ...extra,
  });
  const events: { type: string; payload: unknown }[] = [];
  for (const type of ['state', 'list-changed', 'added', 'removed'] as const)
    manager.on(type, (payload: unknown) => events.push({ type, payload }));
  return { manager, clock, servers, serverFor, events };
}

function waitFor(m: UpstreamManager, name: string, status: UpstreamStatus): Promise<UpstreamState> {
  const now = m.get(name)?.state();
  if (now?.status === status) return Promise.resolve(now);
  return new Promise((resolve) => {
    const on = (s: UpstreamState) => {
      if (s.name === name && s.status === status) {
        m.off('state', on);
        resolve(s);
      }
    };
    m.on('state', on);
  });
}

const cfg = (extra: Partial<ServerConfig> = {}): ServerConfig =>
  ({ command: 'unused-by-fake', ...extra }) as ServerConfig;

test('apply starts added servers, honours enabled:false, and lists states', async () => {
  const { manager, events } = setup();
  await manager.apply({ a: cfg(), b: cfg({ enabled: false }) });
  assert.deepEqual(
    manager.states().map((s) => [s.name, s.status]),
    [
      ['a', 'ready'],
      ['b', 'disabled'],
    ],
  );
  assert.deepEqual(manager.get('a')!.tools(), [tool('a-tool')]);
  assert.deepEqual(
    events.filter((e) => e.type === 'added').map((e) => (e.payload as { name: string }).name),
    ['a', 'b'],
  );
  await assert.rejects(
    manager.get('b')!.request('tools/list', undefined),
    /Upstream 'b' is not available \(it is disabled in the config \(mcpServers\.b\.enabled\)\)/,
  );
  await manager.close();
});

test('apply restarts changed servers only and stops removed ones', async () => {
  const { manager, servers, events } = setup();
  await manager.apply({ a: cfg({ args: ['1'] }), b: cfg() });
  await manager.apply({ a: cfg({ args: ['2'] }), b: cfg() });
  assert.equal(servers.get('a')!.calls('initialize').length, 2, 'changed: restarted');
  assert.equal(servers.get('b')!.calls('initialize').length, 1, 'unchanged: left alone');
  await manager.apply({ a: cfg({ args: ['2'] }) });
  assert.equal(manager.get('b'), undefined);
  assert.deepEqual(
    events.filter((e) => e.type === 'removed').map((e) => e.payload),
    ['b'],
    'a replacement is not announced as removed',
  );
  await manager.close();
  assert.deepEqual(manager.list(), []);
});

test('changing only prefix or the tool filter does not restart the server', async () => {
  const { manager, servers } = setup();
  await manager.apply({ a: cfg() });
  const before = manager.get('a');
  await manager.apply({ a: cfg({ prefix: 'x', tools: { deny: ['secret_*'] } }) });
  assert.equal(manager.get('a'), before, 'same upstream object');
  assert.equal(servers.get('a')!.calls('initialize').length, 1);
  await manager.apply({ a: cfg({ prefix: 'x', timeoutMs: 5000 }) });
  assert.equal(servers.get('a')!.calls('initialize').length, 2, 'a connection setting restarts it');
  await manager.close();
});

test('overlapping applies (hot reload) never leave two connections for one name', async () => {
  const { manager, servers } = setup();
  const first = manager.apply({ a: cfg({ args: ['1'] }) });
  const second = manager.apply({ a: cfg({ args: ['2'] }) });
  const third = manager.apply({ a: cfg({ args: ['3'] }) });
  await Promise.all([first, second, third]);
  assert.equal(manager.list().length, 1);
  assert.equal(manager.get('a')!.state().status, 'ready');
  const fake = servers.get('a')!;
  assert.equal(fake.openLinks, 1, 'every replaced connection was closed');
  const [u] = manager.list();
  assert.deepEqual(await u!.request('tools/list', undefined), { tools: [tool('a-tool')] });
  await manager.close();
});

test(
  'a crash: tools withdrawn, calls fail at once, restart after backoff, tools back',
  { timeout: 10_000 },
  async () => {
    const { manager, clock, servers, events } = setup();
    await manager.apply({ a: cfg() });
    events.length = 0;
    servers.get('a')!.crash();
    const down = await waitFor(manager, 'a', 'restarting');
    assert.match(
      down.error!,
      /Upstream 'a' closed its in-process connection; restarting in about 1 s \(attempt 1\)/,
    );
    assert.equal(down.nextRetryAt, clock.now() + 100);
    assert.deepEqual(manager.get('a')!.tools(), []);
    assert.deepEqual(
      events.filter((e) => e.type === 'list-changed').map((e) => e.payload),
      [
        { upstream: 'a', kind: 'tools' },
        { upstream: 'a', kind: 'prompts' },
        { upstream: 'a', kind: 'resources' },
      ],
    );
    await assert.rejects(
      manager.get('a')!.request('tools/call', { name: 'x' }),
      /Upstream 'a' is not available \(Upstream 'a' closed its in-process connection; restarting/,
    );
    const back = waitFor(manager, 'a', 'ready');
    clock.advance(100);
    const s = await back;
    assert.equal(s.restarts, 1);
    assert.deepEqual(manager.get('a')!.tools(), [tool('a-tool')]);
    assert.equal(events.filter((e) => e.type === 'list-changed').length, 6);
    await manager.close();
  },
);

test('repeated start failures back off exponentially up to the cap', async () => {
  const { manager, clock, serverFor } = setup();
  serverFor('a').options.handlers = {
    initialize: () => Promise.reject({ code: -32603, message: 'database locked' }),
  };
  await manager.apply({ a: cfg() });
  const s = manager.get('a')!.state();
  assert.equal(s.status, 'restarting');
  assert.match(s.error!, /database locked; retrying in about 1 s/);
  for (let i = 0; i < 5; i++) {
    const next = new Promise((r) => manager.once('state', () => manager.once('state', r)));
    clock.advance(2000);
    await next;
  }
  assert.deepEqual(clock.delays.slice(0, 6), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(manager.get('a')!.state().restarts, 5);
  await manager.close();
  assert.equal(clock.pending, 0, 'close cancels the scheduled restart');
});

// A newcomer with no keychain read "not found in the keychain. Run `tunnelgate secrets set`, then retry",
// which the missing keychain would only refuse.
test('missing secrets with no OS keychain: the error says there is none and why, not to retry', async () => {
  const { manager } = setup({
    resolve: async () => ({ missingSecrets: ['GITHUB_TOKEN'], keychainOff: 'No Secret Service is running.' }),
  });
  await manager.apply({ gh: cfg({ env: { T: '${secret:GITHUB_TOKEN}' } }) });
  const s = manager.get('gh')!.state();
  assert.equal(s.status, 'misconfigured');
  assert.equal(
    s.error,
    "Upstream 'gh' needs the secret 'GITHUB_TOKEN', and the OS keychain is not available (No Secret Service is running): secrets are never kept in plain text. Once a keychain is running, restart Tunnelgate and run `tunnelgate secrets set GITHUB_TOKEN`.",
  );
  await manager.close();
});

test('missing secrets: misconfigured, names each secret and the command; retry after setting it', async () => {
  let missing = ['GITHUB_TOKEN', 'OTHER'];
  const { manager } = setup({
    resolve: async (_name, config) => (missing.length ? { missingSecrets: missing } : { config }),
  });
  await manager.apply({ gh: cfg({ env: { T: '${secret:GITHUB_TOKEN}' } }) });
  const s = manager.get('gh')!.state();
  assert.equal(s.status, 'misconfigured');
  assert.match(s.error!, /needs the secrets 'GITHUB_TOKEN', 'OTHER'/);
  assert.match(s.error!, /`tunnelgate secrets set GITHUB_TOKEN`, then `tunnelgate secrets set OTHER`/);
  missing = [];
  await manager.retry('gh');
  assert.equal(manager.get('gh')!.state().status, 'ready');
  await manager.close();
});

test('signIn: asks UpstreamAuth, then connects again; stdio servers have no sign-in', async () => {
  const calls: string[] = [];
  const auth: UpstreamAuth = {
    authorization: async () => undefined,
    unauthorized: async () => 'needs-sign-in',
    signIn: async () => void calls.push('signIn'),
    signOut: async () => {},
  };
  const { manager, servers } = setup({
    authFor: (name, url, o) => {
      calls.push(`authFor ${name} ${url} ${JSON.stringify(o)}`);
      return auth;
    },
  });
  await manager.apply({
    remote: { url: 'https://example.test/mcp', oauth: { scopes: ['read'] } },
    local: cfg(),
  });
  assert.deepEqual(calls, ['authFor remote https://example.test/mcp {"scopes":["read"]}']);
  await manager.signIn('remote');
  assert.equal(calls.at(-1), 'signIn');
  assert.equal(servers.get('remote')!.calls('initialize').length, 2);
  await assert.rejects(manager.signIn('local'), /not a remote server with sign-in/);
  await assert.rejects(manager.restart('nope'), /No upstream named 'nope'/);
  await manager.close();
});

test('builtins run when asked, and close stops everything', async () => {
  const demo = createFakeServer({ tools: [tool('echo')] });
  const { manager } = setup({ builtins: { demo: demo.builtin }, connect: undefined });
  await manager.apply({}, { builtins: ['demo'] });
  assert.equal(manager.get('demo')!.state().transport, 'builtin');
  assert.deepEqual(manager.get('demo')!.tools(), [tool('echo')]);
  await manager.close();
  assert.equal(demo.received.length > 0, true);
  await assert.rejects(manager.apply({}), /closed/);
});
