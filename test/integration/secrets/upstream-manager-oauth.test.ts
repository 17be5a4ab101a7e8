import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUpstreamAuthFactory } from '../../../main/auth/upstream/upstream-oauth.js';
import { createUpstreamManager, type UpstreamManager } from '../../../main/gateway/upstream/manager.js';
import { UpstreamError, UPSTREAM_ERROR, type UpstreamState } from '../../../main/gateway/upstream/types.js';
import { createKeychainSecretStore } from '../../../main/secrets/keychain-secret-store.js';
import { resolveSecretRefs } from '../../../main/secrets/secret-refs.js';
import { startApiKeyMcpServer } from '../../fixtures/oauth-upstream/api-key-server.js';
import { startOAuthUpstreamFixture, type OAuthUpstreamFixture } from '../../fixtures/oauth-upstream/index.js';
import { createLeapClock } from '../../fixtures/manual-clock.js';
import { createFetchBrowserOpener } from '../../helpers/browser-opener.js';
import { tsFixtureArgs } from '../../helpers/ts-fixture.js';
import { waitUntil } from '../../helpers/wait.js';

const service = `tunnelgate-mgr-test-${randomBytes(6).toString('hex')}`;
const stdioServer = join(import.meta.dirname, '../../fixtures/oauth-upstream/secret-stdio-server.ts');
const secrets = {
  fixture_api_key: `key-${randomBytes(16).toString('hex')}`,
  url_key: `url-${randomBytes(16).toString('hex')}`,
  env_key: `env-${randomBytes(16).toString('hex')}`,
  arg_key: `arg-${randomBytes(16).toString('hex')}`,
};

async function until(what: string, check: () => boolean, timeoutMs = 15_000) {
  await waitUntil(check, what, { timeoutMs });
}

describe('upstream manager with keychain secrets and upstream OAuth', { timeout: 120_000 }, () => {
  let fx: OAuthUpstreamFixture;
  let api: Awaited<ReturnType<typeof startApiKeyMcpServer>>;
  let manager: UpstreamManager;
  const redacted = new Set<string>();
  const store = createKeychainSecretStore({ service });
  // The fixture and the OAuth client share a clock: a token's lifetime passes at once.
  const clock = createLeapClock();
  const status = (name: string) => manager.get(name)?.state().status;

  before(async () => {
    fx = await startOAuthUpstreamFixture({ accessTokenTtlSec: 600, now: clock.now });
    api = await startApiKeyMcpServer({ header: secrets.fixture_api_key, query: secrets.url_key });
    const a = await store.availability();
    assert.ok(a.available, `needs a real keychain (scripts/test.sh): ${a.reason}`);
    for (const [k, v] of Object.entries(secrets)) await store.set(k, v);
    const onSecretValues = (v: string[]) => v.forEach((x) => redacted.add(x));
    manager = createUpstreamManager({
      resolve: (name, config) => resolveSecretRefs(config, store, { serverName: name, onSecretValues }),
      authFor: createUpstreamAuthFactory({
        store,
        opener: createFetchBrowserOpener(),
        onSecretValues,
        now: clock.now,
      }),
      backoff: { baseMs: 100, maxMs: 500 },
      shutdown: { stdinGraceMs: 300, termGraceMs: 1000 },
    });
  });
  after(async () => {
    await manager?.close();
    await Promise.all([fx?.close(), api?.close()]);
    const s = createKeychainSecretStore({ service });
    for (const n of await s.list()) await s.delete(n);
  });

  it('starts what it can, signs in, refreshes silently, and on revocation only that upstream needs sign-in', async () => {
    await manager.apply({
      oauthy: { url: fx.mcpUrl },
      keyed: {
        url: `${api.url}?k=\${secret:url_key}`,
        headers: { 'X-Api-Key': '${secret:fixture_api_key}' },
      },
      local: {
        command: process.execPath,
        args: tsFixtureArgs(stdioServer, '--token=${secret:arg_key}'),
        env: { FIXTURE_ENV_SECRET: '${secret:env_key}' },
      },
      missing: { url: api.url, headers: { 'X-Api-Key': '${secret:not_there}' } },
    });
    await until('all settled', () =>
      ['oauthy', 'keyed', 'local', 'missing'].every(
        (n) => !['starting', 'restarting'].includes(status(n) ?? 'starting'),
      ),
    );
    assert.equal(status('keyed'), 'ready');
    assert.equal(status('local'), 'ready');
    assert.equal(status('missing'), 'misconfigured');
    assert.match(manager.get('missing')?.state().error ?? '', /not_there/);
    assert.equal(status('oauthy'), 'needs-auth', manager.get('oauthy')?.state().error);

    // The 401 reaches the caller as "needs sign-in", never as an HTTP 401.
    await assert.rejects(
      manager.get('oauthy')!.request('tools/list', {}),
      (e: unknown) =>
        e instanceof UpstreamError && e.code === UPSTREAM_ERROR.needsAuth && !/\b401\b/.test(String(e.code)),
    );

    // Secrets in headers, URL, env and args all arrived.
    const lengths = await manager.get('local')!.request('tools/call', { name: 'has_secrets', arguments: {} });
    assert.deepEqual(JSON.parse((lengths.content as Array<{ text: string }>)[0]!.text), {
      argLength: secrets.arg_key.length,
      envLength: secrets.env_key.length,
    });
    const keyed = await manager
      .get('keyed')!
      .request('tools/call', { name: 'echo', arguments: { text: 'k' } });
    assert.deepEqual(keyed.content, [{ type: 'text', text: 'echo: k' }]);
    assert.equal(api.stats.rejected, 0);

    await manager.signIn('oauthy');
    await until('oauthy ready', () => status('oauthy') === 'ready');
    assert.deepEqual(
      manager
        .get('oauthy')!
        .tools()
        .map((t) => t.name)
        .sort(),
      ['add', 'echo'],
    );
    const sum = await manager
      .get('oauthy')!
      .request('tools/call', { name: 'add', arguments: { a: 40, b: 2 } });
    assert.deepEqual(sum.structuredContent, { sum: 42 });

    // Past the token's lifetime: refreshed before the request, the caller sees nothing.
    const unauthorized = fx.mcp.stats.unauthorized;
    clock.advance(601_000);
    const echo = await manager
      .get('oauthy')!
      .request('tools/call', { name: 'echo', arguments: { text: 'later' } });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'echo: later' }]);
    assert.ok(fx.auth.stats.refreshes >= 1);
    assert.equal(fx.mcp.stats.unauthorized, unauthorized);

    // Refresh token revoked: this upstream goes to needs-auth; the others keep serving.
    fx.auth.revokeRefreshTokens();
    fx.auth.expireAccessTokens();
    await manager
      .get('oauthy')!
      .request('tools/call', { name: 'echo', arguments: { text: 'x' } })
      .catch((e: unknown) => e);
    await until('oauthy needs-auth', () => status('oauthy') === 'needs-auth');
    assert.ok(fx.auth.stats.failedRefreshes >= 1);
    assert.equal(status('keyed'), 'ready');
    assert.equal(status('local'), 'ready');
    const stillKeyed = await manager
      .get('keyed')!
      .request('tools/call', { name: 'add', arguments: { a: 1, b: 1 } });
    assert.deepEqual(stillKeyed.structuredContent, { sum: 2 });
    assert.ok(await manager.get('local')!.request('tools/call', { name: 'has_secrets', arguments: {} }));

    // No secret or token value in any state or error message; every one was reported for redaction.
    const everything = [...Object.values(secrets), ...fx.auth.issuedTokens()];
    const states = JSON.stringify(manager.states() satisfies UpstreamState[]);
    for (const v of everything) assert.ok(!states.includes(v), 'a secret value leaked into upstream states');
    for (const v of Object.values(secrets)) assert.ok(redacted.has(v));
    const used = fx.auth.issuedTokens().filter((t) => redacted.has(t));
    assert.ok(used.length >= 4, 'access and refresh tokens were reported for redaction');
  });
});
