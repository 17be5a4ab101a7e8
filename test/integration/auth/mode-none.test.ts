import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NONE_PATH_SECRET } from '../../../main/auth/auth-service.js';
import { startHarness } from '../../fixtures/auth/auth-harness.js';

describe("mode 'none'", () => {
  it('serves MCP only at a stable secret path of at least 128 bits; anything else 404', async () => {
    const h = await startHarness({ mode: 'none' });
    try {
      const [path] = h.auth.mcpPaths();
      assert.equal(h.auth.mcpPaths().length, 1);
      const m = /^\/s\/([A-Za-z0-9_-]+)\/mcp$/.exec(path!);
      assert.ok(m, path);
      assert.ok(Buffer.from(m[1]!, 'base64url').length * 8 >= 128);
      assert.equal(await h.secrets.get(NONE_PATH_SECRET), m[1]);
      const ok = await fetch(h.base + path!, { method: 'POST', body: '{}' });
      assert.equal(ok.status, 200);
      assert.deepEqual(((await ok.json()) as { principal: unknown }).principal, {
        kind: 'anonymous',
        scopes: ['mcp:read', 'mcp:full'],
      });
      for (const p of [
        '/mcp',
        `/s/${m[1]!.slice(0, -1)}/mcp`,
        `/s/${m[1]}`,
        '/.well-known/oauth-protected-resource',
        '/oauth/register',
      ]) {
        assert.equal((await fetch(h.base + p, { method: 'POST', body: '{}' })).status, 404, p);
      }
      await h.restart();
      assert.deepEqual(h.auth.mcpPaths(), [path], 'same URL after a restart');
    } finally {
      await h.close();
    }
  });

  it('a direct loopback request with a loopback Host is never served /mcp (a proxy looks just like it)', async () => {
    const h = await startHarness({ mode: 'none' });
    try {
      assert.equal(h.auth.mcpPaths().length, 1);
      // What nginx's default proxy_pass sends: Host rewritten to the origin, no forwarding headers.
      const direct = await fetch(`${h.base}/mcp`, { method: 'POST', body: '{}' });
      assert.equal(direct.status, 404);
    } finally {
      await h.close();
    }
  });
});
