import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import { UpstreamError, UPSTREAM_ERROR } from '../../../main/gateway/upstream/types.js';
import {
  directList,
  directStdioClient,
  EVERYTHING,
  freePort,
  longCall,
  startEverything,
  until,
  type Raw,
} from './helpers.js';

// One SSE server-everything for the file: the first test uses it, the second stops it and starts it
// again on its port (one start less than a server of its own).
let srv: Awaited<ReturnType<typeof startEverything>>;
before(async () => {
  srv = await startEverything('sse', await freePort());
});
after(async () => {
  await srv?.stop();
});

test('sse: lists equal a direct connection; progress, cancel and sampling relay', async () => {
  const up = createUpstream({ name: 'evs', kind: 'sse', config: { url: srv.url, type: 'sse' } });
  const seen: { method: string; callKey?: string }[] = [];
  up.setServerRequestHandler(async (req, ctx) => {
    seen.push({ method: req.method, callKey: ctx.callKey });
    if (req.method === 'sampling/createMessage')
      return { role: 'assistant', content: { type: 'text', text: 'sse-sampled' }, model: 'm' };
    return { roots: [] };
  });
  const direct = await directStdioClient(process.execPath, [EVERYTHING, 'stdio']);
  try {
    await up.start();
    assert.equal(up.state().status, 'ready');
    assert.equal(up.state().transport, 'sse');
    assert.deepEqual(up.tools(), await directList(direct, 'tools/list', 'tools'));
    assert.deepEqual(up.prompts(), await directList(direct, 'prompts/list', 'prompts'));

    const progress: Raw[] = [];
    await up.request(
      'tools/call',
      {
        name: 'trigger-long-running-operation',
        arguments: { duration: 0.4, steps: 2 },
        _meta: { progressToken: 'sse-tok' },
      },
      { onProgress: (p) => progress.push(p) },
    );
    assert.deepEqual(
      progress.map((p) => p.progressToken),
      ['sse-tok', 'sse-tok'],
    );

    const ac = new AbortController();
    const { call: p, running } = longCall(up, { signal: ac.signal });
    await running;
    ac.abort();
    await assert.rejects(
      p,
      (e: unknown) => e instanceof UpstreamError && e.code === UPSTREAM_ERROR.cancelled,
    );

    const r = await up.request(
      'tools/call',
      { name: 'trigger-sampling-request', arguments: { prompt: 'x' } },
      { callKey: 'only-one' },
    );
    assert.match(JSON.stringify(r), /sse-sampled/);
    assert.deepEqual(
      seen.filter((s) => s.method === 'sampling/createMessage'),
      [{ method: 'sampling/createMessage', callKey: 'only-one' }],
    );
  } finally {
    await direct.close();
    await up.close();
  }
});

test(
  'sse: the stream dropping fails calls in flight at once and the upstream reconnects',
  // A start of server-everything and a reconnect: 5-8 s at load 13-15 with two starts, and once over
  // 20 s in a group at load 16 (its own waits are bounded at 10 and 15 s).
  { timeout: 45_000 },
  async () => {
    const port = Number(new URL(srv.url).port);
    const m = createUpstreamManager({ backoff: { baseMs: 100, maxMs: 400 }, random: () => 1 });
    try {
      await m.apply({ legacy: { url: srv.url, type: 'sse' } });
      const r = m.get('legacy')!;
      assert.equal(r.state().status, 'ready');
      const { call, running } = longCall(r);
      // Settled handler attached now: the rejection may come before the assertion below runs.
      const inflight = call.then(
        () => Promise.reject(new Error('the call should have failed')),
        (e: unknown) => Promise.reject(e),
      );
      inflight.catch(() => {});
      await running;
      await srv.stop();
      await assert.rejects(
        inflight,
        /Upstream 'legacy' lost its SSE stream .* while tools\/call was in flight/,
      );
      await until(() => r.state().status === 'restarting', 10_000, 'restarting');
      srv = await startEverything('sse', port);
      await until(() => r.state().status === 'ready', 15_000, 'reconnected');
      assert.ok(r.tools().length > 0);
    } finally {
      await m.close();
    }
  },
);

test('sse: a URL that is not an SSE endpoint fails with advice', async () => {
  const mcp = await startEverything('streamableHttp', await freePort());
  const up = createUpstream({ name: 'wrong', kind: 'sse', config: { url: mcp.url, type: 'sse' } });
  try {
    await assert.rejects(
      up.start(),
      /Upstream 'wrong' answered HTTP \d+ when opening its SSE stream.*Check mcpServers\.wrong\.url/,
    );
    assert.equal(up.state().status, 'failed');
    // Supervised, a client error is not retried in a loop: it stays 'failed' until the config changes.
    const m = createUpstreamManager();
    await m.apply({ wrong: { url: mcp.url, type: 'sse' } });
    assert.equal(m.get('wrong')!.state().status, 'failed');
    assert.equal(m.get('wrong')!.state().nextRetryAt, undefined);
    await m.close();
  } finally {
    await up.close();
    await mcp.stop();
  }
});
