import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type UpstreamConnection,
  type UpstreamState,
} from '../../../main/gateway/upstream/types.js';
import { directList, directStdioClient, EVERYTHING, isAlive, longCall, until, type Raw } from './helpers.js';

const fast = { stdinGraceMs: 300, termGraceMs: 1000 };
const everything = { command: process.execPath, args: [EVERYTHING, 'stdio'] };
let up: UpstreamConnection;

before(async () => {
  up = createUpstream({ name: 'ev', kind: 'stdio', config: everything }, { shutdown: fast });
  up.setServerRequestHandler(async (req) =>
    req.method === 'roots/list'
      ? { roots: [] }
      : Promise.reject(new UpstreamError(-32601, 'not in this test')),
  );
  await up.start();
});
after(async () => {
  await up?.close();
});

test('stdio: initialize state and raw lists equal a direct SDK client on the wire', async () => {
  const s = up.state();
  assert.equal(s.status, 'ready');
  assert.equal(s.protocolVersion, '2025-11-25');
  assert.equal((s.serverInfo as Raw).name, 'mcp-servers/everything');
  const direct = await directStdioClient(process.execPath, [EVERYTHING, 'stdio']);
  try {
    assert.deepEqual(up.tools(), await directList(direct, 'tools/list', 'tools'));
    assert.deepEqual(up.prompts(), await directList(direct, 'prompts/list', 'prompts'));
    assert.deepEqual(up.resources(), await directList(direct, 'resources/list', 'resources'));
    assert.ok(up.tools().length >= 10);
    assert.ok(
      up.tools().some((t) => t.annotations && t.title),
      'annotations and title present',
    );
    // A call result: the same raw bytes as direct.
    const params = { name: 'get-structured-content', arguments: { location: 'New York' } };
    const ours = await up.request('tools/call', params);
    const before = direct.wire.length;
    await direct.client.callTool(params);
    const theirs = direct.wire.slice(before).find((m) => 'result' in m)!.result;
    assert.deepEqual(ours, theirs);
    assert.ok((ours as Raw).structuredContent);
  } finally {
    await direct.close();
  }
});

test('stdio: progress reaches onProgress with the caller token; the call resolves', async () => {
  const seen: Raw[] = [];
  const result = await up.request(
    'tools/call',
    {
      name: 'trigger-long-running-operation',
      arguments: { duration: 0.6, steps: 3 },
      _meta: { progressToken: 'client-1' },
    },
    { onProgress: (p) => seen.push(p), timeoutMs: 400 },
  );
  assert.deepEqual(
    seen.map((p) => [p.progressToken, p.progress, p.total]),
    [
      ['client-1', 1, 3],
      ['client-1', 2, 3],
      ['client-1', 3, 3],
    ],
  );
  assert.match(JSON.stringify(result), /Long running operation completed/);
});

test('stdio: abort cancels at once; the upstream keeps serving', { timeout: 20_000 }, async () => {
  const ac = new AbortController();
  const started = Date.now();
  const { call: p, running } = longCall(up, { signal: ac.signal });
  await running;
  ac.abort('stop');
  await assert.rejects(p, (e: unknown) => e instanceof UpstreamError && e.code === UPSTREAM_ERROR.cancelled);
  assert.ok(Date.now() - started < 3000);
  assert.deepEqual(await up.request('tools/call', { name: 'echo', arguments: { message: 'still here' } }), {
    content: [{ type: 'text', text: 'Echo: still here' }],
  });
});

test('stdio: sampling and elicitation reach the handler with the callKey; answers go back', async () => {
  const seen: { method: string; callKey?: string }[] = [];
  up.setServerRequestHandler(async (req, ctx) => {
    seen.push({ method: req.method, callKey: ctx.callKey });
    if (req.method === 'sampling/createMessage')
      return { role: 'assistant', content: { type: 'text', text: 'sampled!' }, model: 'test-model' };
    if (req.method === 'elicitation/create')
      return {
        action: 'accept',
        content: {
          name: 'Ada',
          check: true,
          firstLine: 'x',
          integer: 1,
          number: 1.5,
          enum: 'value1',
          untitledSingleSelectEnum: 'value1',
          titledSingleSelectEnum: 'value1',
          untitledMultipleSelectEnum: ['value1'],
          titledMultipleSelectEnum: ['value1'],
          legacyTitledEnum: 'value1',
        },
      };
    return { roots: [] };
  });
  const sampled = await up.request(
    'tools/call',
    { name: 'trigger-sampling-request', arguments: { prompt: 'hi' } },
    { callKey: 'sess-A:7' },
  );
  assert.match(JSON.stringify(sampled), /sampled!/);
  const elicited = await up.request(
    'tools/call',
    { name: 'trigger-elicitation-request', arguments: {} },
    { callKey: 'sess-B:9' },
  );
  assert.match(JSON.stringify(elicited), /Ada/);
  assert.deepEqual(
    seen.filter((s) => s.method !== 'roots/list'),
    [
      { method: 'sampling/createMessage', callKey: 'sess-A:7' },
      { method: 'elicitation/create', callKey: 'sess-B:9' },
    ],
  );
});

test('stdio: the child gets only a safe environment plus the configured env', async () => {
  process.env.TG_TEST_GATEWAY_SECRET = 'must-not-leak';
  const e = createUpstream(
    { name: 'env', kind: 'stdio', config: { ...everything, env: { FROM_CONFIG: 'yes' } } },
    { shutdown: fast },
  );
  try {
    await e.start();
    const text = JSON.stringify(await e.request('tools/call', { name: 'get-env', arguments: {} }));
    assert.match(text, /FROM_CONFIG/);
    assert.doesNotMatch(text, /must-not-leak/);
  } finally {
    delete process.env.TG_TEST_GATEWAY_SECRET;
    await e.close();
  }
});

test('stdio: a command that does not exist fails with a clear, permanent error', async () => {
  const m = createUpstreamManager({ shutdown: fast });
  await m.apply({ ghost: { command: 'tunnelgate-no-such-command-xyz' } });
  const s = m.get('ghost')!.state();
  assert.equal(s.status, 'failed');
  assert.match(
    s.error!,
    /Upstream 'ghost' could not start: command 'tunnelgate-no-such-command-xyz' was not found\. Check mcpServers\.ghost\.command/,
  );
  assert.equal(s.nextRetryAt, undefined);
  await m.close();
});

test('stdio: a server that dies at start is described from its stderr and retried', async () => {
  const m = createUpstreamManager({ shutdown: fast, backoff: { baseMs: 60_000 } });
  await m.apply({ broken: { command: process.execPath, args: ['/nonexistent/tunnelgate/server.js'] } });
  const s = m.get('broken')!.state();
  assert.equal(s.status, 'restarting');
  assert.match(
    s.error!,
    /Upstream 'broken' exited with code 1 while initialize was in flight: Error: Cannot find module '\/nonexistent\/tunnelgate\/server\.js'/,
  );
  assert.ok(s.nextRetryAt! > Date.now() - 1);
  assert.ok(
    m
      .get('broken')!
      .logs()
      .some((l) => l.includes("Cannot find module '/nonexistent/tunnelgate/server.js'")),
    'stderr kept for the Servers page',
  );
  await m.close();
});

test('stdio: killed mid-call => immediate clear rejection, restart with backoff, tools back; close leaves no process', async () => {
  const m = createUpstreamManager({ shutdown: fast, backoff: { baseMs: 50, maxMs: 200 } });
  const states: UpstreamState[] = [];
  m.on('state', (s: UpstreamState) => states.push(s));
  await m.apply({ ev: everything });
  const ev = m.get('ev')!;
  const firstPid = ev.pid!;
  assert.ok(isAlive(firstPid));
  const { call: p, running } = longCall(ev);
  await running;
  process.kill(firstPid, 'SIGKILL');
  const t0 = Date.now();
  await assert.rejects(
    p,
    (e: unknown) =>
      e instanceof UpstreamError &&
      /^Upstream 'ev' was killed by signal SIGKILL while tools\/call was in flight/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 5000, 'no hang');
  assert.ok(states.some((s) => s.status === 'restarting'));
  await until(() => ev.state().status === 'ready', 15_000, 'restart');
  assert.equal(ev.state().restarts, 1);
  assert.notEqual(ev.pid, firstPid);
  assert.ok(ev.tools().length > 0);
  const pid = ev.pid!;
  await m.close();
  assert.equal(isAlive(pid), false);
  assert.equal(ev.state().status, 'stopped');
});

test('stdio: a cwd that does not exist is named in the error', async () => {
  const e = createUpstream(
    { name: 'nocwd', kind: 'stdio', config: { ...everything, cwd: '/nonexistent/tunnelgate-cwd' } },
    { shutdown: fast },
  );
  await assert.rejects(
    e.start(),
    /Upstream 'nocwd' could not start: the folder '\/nonexistent\/tunnelgate-cwd' \(mcpServers\.nocwd\.cwd\) does not exist/,
  );
  assert.equal(e.state().status, 'failed');
  await e.close();
});

test('stdio: stderr is kept with configured secret values masked', async () => {
  const secret = 'sk-test-0123456789';
  const e = createUpstream(
    {
      name: 'chatty',
      kind: 'stdio',
      config: {
        command: process.execPath,
        args: ['-e', 'console.error("using token " + process.env.API_TOKEN); process.exit(3)'],
        env: { API_TOKEN: secret },
      },
    },
    { shutdown: fast },
  );
  await assert.rejects(
    e.start(),
    (err: Error) => /exited with code 3/.test(err.message) && !err.message.includes(secret),
  );
  assert.deepEqual(e.logs(), ['using token ***']);
  await e.close();
});
