import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { UpstreamAuthTransientError } from '../../../main/auth/upstream/errors.js';
import { createUpstreamOAuth } from '../../../main/auth/upstream/upstream-oauth.js';
import { createKeychainSecretStore } from '../../../main/secrets/keychain-secret-store.js';
import { startOAuthUpstreamFixture, type OAuthUpstreamFixture } from '../../fixtures/oauth-upstream/index.js';
import { createLeapClock } from '../../fixtures/manual-clock.js';
import { createFetchBrowserOpener } from '../../helpers/browser-opener.js';
import { callWithAuth } from './oauth-test-client.js';

const service = `tunnelgate-oauth-test-${randomBytes(6).toString('hex')}`;

async function cleanupKeychain() {
  const s = createKeychainSecretStore({ service });
  for (const n of await s.list()) await s.delete(n);
}

describe('upstream OAuth against a real authorization server', { timeout: 90_000 }, () => {
  let fx: OAuthUpstreamFixture;
  const redacted: string[] = [];
  const opener = createFetchBrowserOpener();
  // The fixture and the client share a clock, so a token's lifetime passes without waiting for it.
  const clock = createLeapClock();

  before(async () => {
    fx = await startOAuthUpstreamFixture({ accessTokenTtlSec: 600, now: clock.now });
    const a = await createKeychainSecretStore({ service }).availability();
    assert.ok(a.available, `needs a real keychain (scripts/test.sh): ${a.reason}`);
  });
  after(async () => {
    await fx.close();
    await cleanupKeychain();
  });

  const makeAuth = () =>
    createUpstreamOAuth(
      {
        store: createKeychainSecretStore({ service }),
        opener,
        onSecretValues: (v) => redacted.push(...v),
        now: clock.now,
      },
      'linear-ish',
      fx.mcpUrl,
    );

  it('401 => needs sign-in => browser sign-in => tokens in the keychain => authorized calls => silent refresh => revoked => needs sign-in', async () => {
    const auth = makeAuth();
    assert.equal(await auth.authorization(), undefined);
    const first = await callWithAuth(auth, fx.mcpUrl, 'tools/list');
    assert.deepEqual(first, { ok: false, needsSignIn: true, status: 401 });
    assert.equal(fx.mcp.stats.unauthorized, 1);

    await auth.signIn();
    // The flow really ran: DCR, authorize with PKCE S256 + resource + state, redirect to loopback, code exchange.
    assert.deepEqual(
      [fx.auth.stats.registrations, fx.auth.stats.authorizations, fx.auth.stats.codeExchanges],
      [1, 1, 1],
    );
    const q = fx.auth.stats.lastAuthorizeParams ?? {};
    assert.equal(q.code_challenge_method, 'S256');
    assert.equal(q.resource, fx.mcpUrl);
    assert.equal(q.scope, 'mcp:tools', 'scope from the WWW-Authenticate challenge');
    assert.match(q.redirect_uri ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    assert.ok((q.state ?? '').length >= 32);
    assert.equal(opener.opened.length, 1);
    assert.ok(opener.opened[0]?.startsWith(`${fx.issuer}/authorize?`));
    assert.equal(opener.lastPage?.status, 200);
    assert.match(opener.lastPage?.body ?? '', /You can close this tab/);

    // Stored in the keychain, readable by a fresh store (another process would see the same).
    const fresh = createKeychainSecretStore({ service });
    assert.deepEqual(await fresh.list(), ['oauth:linear-ish:client', 'oauth:linear-ish:tokens']);
    const record = JSON.parse((await fresh.get('oauth:linear-ish:tokens')) ?? '{}') as {
      accessToken: string;
      refreshToken: string;
      serverUrl: string;
    };
    assert.ok(fx.auth.issuedTokens().includes(record.accessToken));
    assert.equal(record.serverUrl, fx.mcpUrl);
    assert.ok(
      redacted.includes(record.accessToken) && redacted.includes(record.refreshToken),
      'token values are reported for redaction',
    );

    const echo = await callWithAuth(auth, fx.mcpUrl, 'tools/call', {
      name: 'echo',
      arguments: { text: 'hi' },
    });
    assert.ok(echo.ok);
    assert.deepEqual(echo.result.content, [{ type: 'text', text: 'echo: hi' }]);
    const unauthorizedBefore = fx.mcp.stats.unauthorized;

    // The access token (10 min) is 30 s from expiry, inside the refresh margin: refreshed before use,
    // the caller never sees a 401.
    clock.advance(570_000);
    const add = await callWithAuth(auth, fx.mcpUrl, 'tools/call', { name: 'add', arguments: { a: 2, b: 3 } });
    assert.ok(add.ok);
    assert.deepEqual(add.result.structuredContent, { sum: 5 });
    assert.equal(fx.auth.stats.refreshes, 1);
    assert.equal(fx.mcp.stats.unauthorized, unauthorizedBefore, 'no request went out with an expired token');

    // The server drops access tokens early: one 401, refreshed, retried, still no error for the caller.
    fx.auth.expireAccessTokens();
    const again = await callWithAuth(auth, fx.mcpUrl, 'tools/call', {
      name: 'echo',
      arguments: { text: 'after 401' },
    });
    assert.ok(again.ok);
    assert.equal(fx.auth.stats.refreshes, 2);
    assert.equal(fx.mcp.stats.unauthorized, unauthorizedBefore + 1);

    // A restart: a new UpstreamAuth on a new store instance uses the stored tokens, no new sign-in.
    const restarted = makeAuth();
    const afterRestart = await callWithAuth(restarted, fx.mcpUrl, 'tools/call', {
      name: 'echo',
      arguments: { text: 'restart' },
    });
    assert.ok(afterRestart.ok);
    assert.equal(fx.auth.stats.authorizations, 1);

    // The refresh token is revoked: 'needs-sign-in', and the dead tokens are forgotten.
    fx.auth.revokeRefreshTokens();
    fx.auth.expireAccessTokens();
    const revoked = await callWithAuth(restarted, fx.mcpUrl, 'tools/call', {
      name: 'echo',
      arguments: { text: 'x' },
    });
    assert.deepEqual(revoked, { ok: false, needsSignIn: true, status: 401 });
    assert.equal(fx.auth.stats.failedRefreshes, 1);
    assert.deepEqual(await createKeychainSecretStore({ service }).list(), ['oauth:linear-ish:client']);
    assert.equal(await restarted.authorization(), undefined);

    // Signing in again reuses the registered client (same redirect port): no second registration.
    await restarted.signIn();
    assert.equal(fx.auth.stats.registrations, 1);
    assert.equal(fx.auth.stats.authorizations, 2);
    assert.ok((await callWithAuth(restarted, fx.mcpUrl, 'tools/list')).ok);
  });

  it('tells a transient failure (authorization server down) apart from needs-sign-in, and keeps the tokens', async () => {
    const fx2 = await startOAuthUpstreamFixture({ accessTokenTtlSec: 600, now: clock.now });
    const store = createKeychainSecretStore({ service });
    const auth = createUpstreamOAuth(
      { store, opener: createFetchBrowserOpener(), now: clock.now },
      'flaky',
      fx2.mcpUrl,
    );
    try {
      assert.equal((await callWithAuth(auth, fx2.mcpUrl, 'tools/list')).ok, false);
      await auth.signIn();
      assert.ok((await callWithAuth(auth, fx2.mcpUrl, 'tools/list')).ok);
      await fx2.auth.close(); // the authorization server goes away; the MCP server stays
      clock.advance(570_000); // the token is due for a refresh
      await assert.rejects(
        auth.authorization(),
        (e: unknown) =>
          e instanceof UpstreamAuthTransientError &&
          /Could not refresh the sign-in for "flaky".*Will retry/.test(e.message),
      );
      const stale = JSON.parse((await store.get('oauth:flaky:tokens')) ?? '{}') as { accessToken: string };
      await assert.rejects(
        auth.unauthorized({ url: fx2.mcpUrl, status: 401, authorization: `Bearer ${stale.accessToken}` }),
        UpstreamAuthTransientError,
      );
      assert.ok(await store.get('oauth:flaky:tokens'), 'a network failure does not throw the tokens away');
    } finally {
      await fx2.close().catch(() => undefined);
    }
  });
});
