import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUpstream } from '../../../main/gateway/upstream/connection.js';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import type { UpstreamAuth } from '../../../main/gateway/upstream/upstream-auth.js';
import { UpstreamError, UPSTREAM_ERROR } from '../../../main/gateway/upstream/types.js';
import { startHttpFixture } from '../../fixtures/upstream/http-fixture.js';
import { until } from './helpers.js';

const text = (r: Record<string, unknown>) => (r.content as { text: string }[])[0]!.text;

test('http: session id and protocol version on every later request; GET stream; DELETE on close', async () => {
  const srv = await startHttpFixture();
  const up = createUpstream({
    name: 'fx',
    kind: 'http',
    config: { url: srv.url, headers: { 'X-Api-Key': 'configured-key' } },
  });
  try {
    await up.start();
    assert.equal(text(await up.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } })), '5');
    await until(() => srv.requests.some((r) => r.method === 'GET'), 5000, 'GET stream');
    // First the 2026-07-28 probe (stateless, no session); this server answers it as a session-era one.
    const [probe, init, ...rest] = srv.requests;
    assert.equal(probe!.rpcMethod, 'server/discover');
    assert.equal(probe!.sessionId, undefined);
    assert.equal(init!.rpcMethod, 'initialize');
    assert.equal(init!.sessionId, undefined);
    const sid = [...srv.sessions.keys()][0]!;
    for (const r of rest) {
      assert.equal(r.sessionId, sid, `${r.method} ${r.rpcMethod ?? ''} carries the session`);
      assert.equal(r.protocolVersion, '2025-11-25');
    }
    await up.close();
    const del = srv.requests.find((r) => r.method === 'DELETE');
    assert.ok(del, 'DELETE sent');
    assert.equal(del.sessionId, sid);
  } finally {
    await up.close();
    await srv.close();
  }
});

test('http: an expired session (404) is re-initialized and the call retried once', async () => {
  const srv = await startHttpFixture({ noGetStream: true });
  const up = createUpstream({ name: 'fx', kind: 'http', config: { url: srv.url } });
  try {
    await up.start();
    const first = text(await up.request('tools/call', { name: 'whoami', arguments: {} }));
    await srv.expireSessions();
    const second = text(await up.request('tools/call', { name: 'whoami', arguments: {} }));
    assert.notEqual(first, second, 'answered by a new session');
    assert.equal(srv.requests.filter((r) => r.rpcMethod === 'initialize').length, 2);
    assert.equal(up.state().status, 'ready');
    assert.deepEqual(
      up
        .tools()
        .map((t) => t.name)
        .sort(),
      ['add', 'slow', 'whoami'],
    );
  } finally {
    await up.close();
    await srv.close();
  }
});

function fakeAuth(initial: string | undefined) {
  const log: string[] = [];
  let token = initial;
  let onUnauthorized: () => 'retry' | 'needs-sign-in' = () => 'needs-sign-in';
  const auth: UpstreamAuth = {
    authorization: async () => (token ? `Bearer ${token}` : undefined),
    unauthorized: async (info) => {
      log.push(
        `401 ${info.status} ${info.wwwAuthenticate?.includes('invalid_token') ? 'invalid_token' : ''}${info.authorization ? ` refused=${info.authorization}` : ''}`,
      );
      return onUnauthorized();
    },
    signIn: async () => {
      log.push('signIn');
      token = 'good';
    },
    signOut: async () => {
      token = undefined;
    },
  };
  return {
    auth,
    log,
    setToken: (t: string | undefined) => (token = t),
    onUnauthorized: (f: () => 'retry' | 'needs-sign-in') => (onUnauthorized = f),
  };
}

test('http auth: Authorization from UpstreamAuth; a 401 fixed silently is retried once', async () => {
  let valid = 'good';
  const srv = await startHttpFixture({ token: () => valid, noGetStream: true });
  const a = fakeAuth('good');
  const up = createUpstream({ name: 'fx', kind: 'http', config: { url: srv.url } }, { auth: a.auth });
  try {
    await up.start();
    assert.equal(srv.requests[0]!.authorization, 'Bearer good');
    valid = 'rotated';
    a.onUnauthorized(() => {
      a.setToken('rotated');
      return 'retry';
    });
    assert.equal(text(await up.request('tools/call', { name: 'add', arguments: { a: 1, b: 1 } })), '2');
    assert.deepEqual(a.log, ['401 401 invalid_token refused=Bearer good']);
    assert.equal(srv.requests.at(-1)!.authorization, 'Bearer rotated');
  } finally {
    await up.close();
    await srv.close();
  }
});

test('http auth: needs-sign-in => status needs-auth, calls fail with a clear error; signIn brings it back', async () => {
  const srv = await startHttpFixture({ token: () => 'good', noGetStream: true });
  const a = fakeAuth(undefined);
  const m = createUpstreamManager({ authFor: () => a.auth });
  try {
    await m.apply({ fx: { url: srv.url } });
    const s = m.get('fx')!.state();
    assert.equal(s.status, 'needs-auth');
    assert.match(
      s.error!,
      /Upstream 'fx' needs you to sign in: the server at http:\/\/127\.0\.0\.1:\d+\/mcp answered HTTP 401/,
    );
    await assert.rejects(
      m.get('fx')!.request('tools/list', undefined),
      (e: unknown) => e instanceof UpstreamError && e.code === UPSTREAM_ERROR.needsAuth,
    );
    await m.signIn('fx');
    assert.equal(m.get('fx')!.state().status, 'ready');
    assert.deepEqual(a.log, ['401 401 invalid_token', 'signIn']);
  } finally {
    await m.close();
    await srv.close();
  }
});

test('http: a 401 with no sign-in configured fails permanently and names the headers field', async () => {
  const srv = await startHttpFixture({ token: () => 'good' });
  const m = createUpstreamManager();
  try {
    await m.apply({ fx: { url: srv.url, headers: { Authorization: 'Bearer wrong-secret-value' } } });
    const s = m.get('fx')!.state();
    assert.equal(s.status, 'failed');
    assert.match(s.error!, /answered HTTP 401 .*Check the credentials in mcpServers\.fx\.headers/);
    assert.doesNotMatch(s.error!, /wrong-secret-value/);
    assert.equal(srv.requests[0]!.authorization, 'Bearer wrong-secret-value');
  } finally {
    await m.close();
    await srv.close();
  }
});
