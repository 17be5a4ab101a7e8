import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createUpstreamManager } from '../../../main/gateway/upstream/manager.js';
import type { UpstreamAuth } from '../../../main/gateway/upstream/upstream-auth.js';
import { startSseFixture } from '../../fixtures/upstream/sse-fixture.js';

test('sse auth: 401 on the stream => needs-auth; after sign-in the token goes on stream and messages', async () => {
  const srv = await startSseFixture({ token: () => 'sse-token' });
  let token: string | undefined;
  const auth: UpstreamAuth = {
    authorization: async () => (token ? `Bearer ${token}` : undefined),
    unauthorized: async () => 'needs-sign-in',
    signIn: async () => void (token = 'sse-token'),
    signOut: async () => void (token = undefined),
  };
  const m = createUpstreamManager({ authFor: () => auth });
  try {
    await m.apply({ legacy: { url: srv.url, type: 'sse' } });
    const s = m.get('legacy')!.state();
    assert.equal(s.status, 'needs-auth');
    assert.match(s.error!, /Upstream 'legacy' needs you to sign in/);
    await m.signIn('legacy');
    const up = m.get('legacy')!;
    assert.equal(up.state().status, 'ready');
    assert.deepEqual(await up.request('tools/call', { name: 'ping-tool', arguments: {} }), {
      content: [{ type: 'text', text: 'pong' }],
    });
    assert.ok(srv.authorizations.length >= 4);
    assert.deepEqual(
      srv.authorizations.slice(1).filter((a) => a !== 'Bearer sse-token'),
      [],
      'every request after sign-in carried the token',
    );
  } finally {
    await m.close();
    await srv.close();
  }
});
