import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { UpstreamAuthError, UpstreamAuthTransientError } from '../../../main/auth/upstream/errors.js';
import { SignInRefusedError } from '../../../main/auth/upstream/loopback-receiver.js';
import { createUpstreamOAuth } from '../../../main/auth/upstream/upstream-oauth.js';
import { createMemorySecretStore } from '../../../main/secrets/memory-secret-store.js';
import { findFreePort } from '../../../main/tunnel/free-port.js';
import { startApiKeyMcpServer } from '../../fixtures/oauth-upstream/api-key-server.js';
import { startOAuthUpstreamFixture, type OAuthUpstreamFixture } from '../../fixtures/oauth-upstream/index.js';
import { createLeapClock } from '../../fixtures/manual-clock.js';
import { createFetchBrowserOpener } from '../../helpers/browser-opener.js';
import { callWithAuth } from './oauth-test-client.js';

async function listenOn(port: number): Promise<Server> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
  return s;
}

describe('upstream OAuth: registration choices, refusals and failures', { timeout: 60_000 }, () => {
  let fx: OAuthUpstreamFixture;
  let noDcr: OAuthUpstreamFixture;
  before(async () => {
    fx = await startOAuthUpstreamFixture();
    noDcr = await startOAuthUpstreamFixture({ noRegistration: true });
  });
  after(async () => {
    await Promise.all([fx.close(), noDcr.close()]);
  });

  it('parallel requests share one refresh and parallel sign-ins one browser visit', async () => {
    const clock = createLeapClock();
    const short = await startOAuthUpstreamFixture({ accessTokenTtlSec: 600, now: clock.now });
    try {
      const opener = createFetchBrowserOpener();
      const auth = createUpstreamOAuth(
        { store: createMemorySecretStore(), opener, now: clock.now },
        'busy',
        short.mcpUrl,
      );
      await Promise.all([auth.signIn(), auth.signIn(), auth.signIn()]);
      assert.equal(opener.opened.length, 1);
      assert.equal(short.auth.stats.authorizations, 1);
      clock.advance(570_000); // inside the refresh margin
      const headers = await Promise.all(Array.from({ length: 5 }, () => auth.authorization()));
      assert.equal(new Set(headers).size, 1);
      assert.equal(short.auth.stats.refreshes, 1, 'rotating refresh tokens: one refresh for everyone');
      assert.equal(short.auth.stats.failedRefreshes, 0);
      const results = await Promise.all(
        Array.from({ length: 3 }, () => callWithAuth(auth, short.mcpUrl, 'tools/list')),
      );
      assert.ok(results.every((r) => r.ok));
    } finally {
      await short.close();
    }
  });

  it('authorizationNow() gives the header without waiting only when authorization() would give it at once', async () => {
    const clock = createLeapClock();
    const short = await startOAuthUpstreamFixture({ accessTokenTtlSec: 600, now: clock.now });
    try {
      const auth = createUpstreamOAuth(
        { store: createMemorySecretStore(), opener: createFetchBrowserOpener(), now: clock.now },
        'sync',
        short.mcpUrl,
      );
      assert.equal(auth.authorizationNow?.(), null, 'tokens not loaded yet: only authorization() can tell');
      assert.equal(await auth.authorization(), undefined);
      assert.equal(auth.authorizationNow?.(), undefined, 'loaded, and there are none');
      await auth.signIn();
      const header = await auth.authorization();
      assert.match(header ?? '', /^Bearer /);
      assert.equal(auth.authorizationNow?.(), header, 'in memory and fresh: the same header, now');
      clock.advance(570_000); // inside the refresh margin
      assert.equal(auth.authorizationNow?.(), null, 'a refresh is due: only authorization() does it');
      const refreshed = await auth.authorization();
      assert.notEqual(refreshed, header);
      assert.equal(short.auth.stats.refreshes, 1);
      assert.equal(auth.authorizationNow?.(), refreshed);
    } finally {
      await short.close();
    }
  });

  it('uses a Client ID Metadata Document when the server supports it and we have one', async () => {
    const clock = createLeapClock();
    const cimd = await startOAuthUpstreamFixture({
      cimd: true,
      noRegistration: true,
      accessTokenTtlSec: 600,
      now: clock.now,
    });
    const docServer = createHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          client_id: docUrl,
          client_name: 'Tunnelgate',
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((r) => docServer.listen(0, '127.0.0.1', r));
    const docUrl = `http://127.0.0.1:${(docServer.address() as { port: number }).port}/client.json`;
    try {
      const store = createMemorySecretStore();
      const auth = createUpstreamOAuth(
        { store, opener: createFetchBrowserOpener(), clientMetadataUrl: docUrl, now: clock.now },
        'cimd',
        cimd.mcpUrl,
      );
      await auth.signIn();
      assert.equal(cimd.auth.stats.lastAuthorizeParams?.client_id, docUrl);
      assert.ok(cimd.auth.stats.cimdFetches >= 1);
      assert.equal(cimd.auth.stats.registrations, 0);
      assert.deepEqual(
        await store.list(),
        ['oauth:cimd:tokens'],
        'nothing to keep about the client: its id is the URL',
      );
      assert.ok((await callWithAuth(auth, cimd.mcpUrl, 'tools/list')).ok);
      clock.advance(570_000); // inside the refresh margin
      assert.ok((await callWithAuth(auth, cimd.mcpUrl, 'tools/list')).ok);
      assert.equal(cimd.auth.stats.refreshes, 1, 'refreshed with the CIMD client id');
    } finally {
      docServer.closeAllConnections();
      docServer.close();
      await cimd.close();
    }
  });

  it('no registration endpoint and no client id: says what to configure, opens no browser', async () => {
    const opener = createFetchBrowserOpener();
    const auth = createUpstreamOAuth({ store: createMemorySecretStore(), opener }, 'acme', noDcr.mcpUrl);
    await assert.rejects(
      auth.signIn(),
      (e: unknown) =>
        e instanceof UpstreamAuthError &&
        /does not allow automatic client registration.*servers\.acme\.oauth\.clientId/.test(e.message),
    );
    assert.equal(opener.opened.length, 0);
  });

  it('a pre-registered client id with a fixed redirect port signs in without registration', async () => {
    const port = await findFreePort();
    const clientId = noDcr.auth.preRegister([`http://127.0.0.1:${port}/callback`]);
    const store = createMemorySecretStore();
    const auth = createUpstreamOAuth({ store, opener: createFetchBrowserOpener() }, 'acme', noDcr.mcpUrl, {
      clientId,
      redirectPort: port,
      scopes: ['mcp:tools'],
    });
    await auth.signIn();
    assert.equal(noDcr.auth.stats.lastAuthorizeParams?.client_id, clientId);
    assert.equal(noDcr.auth.stats.lastAuthorizeParams?.redirect_uri, `http://127.0.0.1:${port}/callback`);
    assert.deepEqual(await store.list(), ['oauth:acme:tokens']);
    assert.ok((await callWithAuth(auth, noDcr.mcpUrl, 'tools/list')).ok);
    // The configured port taken by another program: a message naming the setting.
    const blocker = await listenOn(port);
    try {
      await assert.rejects(
        auth.signIn(),
        (e: unknown) =>
          e instanceof UpstreamAuthError &&
          new RegExp(`port ${port}.*servers\\.acme\\.oauth\\.redirectPort`).test(e.message),
      );
    } finally {
      blocker.close();
    }
  });

  it('the user refuses: sign-in fails with the reason, nothing is stored but the registration', async () => {
    const store = createMemorySecretStore();
    const auth = createUpstreamOAuth({ store, opener: createFetchBrowserOpener() }, 'deny', fx.mcpUrl);
    fx.auth.denyNextAuthorization();
    await assert.rejects(
      auth.signIn(),
      (e: unknown) => e instanceof SignInRefusedError && /access_denied/.test(e.message),
    );
    assert.deepEqual(await store.list(), ['oauth:deny:client']);
    assert.equal(await auth.authorization(), undefined);
  });

  it('a taken registered redirect port leads to a new registration on a free port', async () => {
    const store = createMemorySecretStore();
    const auth = createUpstreamOAuth({ store, opener: createFetchBrowserOpener() }, 'moved', fx.mcpUrl);
    const before = fx.auth.stats.registrations;
    await auth.signIn();
    const first = JSON.parse((await store.get('oauth:moved:client')) ?? '{}') as { redirectUri: string };
    const blocker = await listenOn(Number(new URL(first.redirectUri).port));
    try {
      await auth.signOut();
      assert.equal(await store.get('oauth:moved:tokens'), undefined);
      await auth.signIn();
    } finally {
      blocker.close();
    }
    const second = JSON.parse((await store.get('oauth:moved:client')) ?? '{}') as { redirectUri: string };
    assert.notEqual(second.redirectUri, first.redirectUri);
    assert.equal(fx.auth.stats.registrations, before + 2);
    assert.ok((await callWithAuth(auth, fx.mcpUrl, 'tools/list')).ok);
  });

  it('tokens are bound to the URL they were issued for', async () => {
    const store = createMemorySecretStore();
    await createUpstreamOAuth({ store, opener: createFetchBrowserOpener() }, 'bound', fx.mcpUrl).signIn();
    const moved = createUpstreamOAuth(
      { store, opener: createFetchBrowserOpener() },
      'bound',
      'http://127.0.0.1:9/mcp',
    );
    assert.equal(await moved.authorization(), undefined);
  });

  it('no keychain: refuses before opening the browser', async () => {
    const opener = createFetchBrowserOpener();
    const auth = createUpstreamOAuth(
      { store: createMemorySecretStore({ unavailableReason: 'No Secret Service is running' }), opener },
      'nokc',
      fx.mcpUrl,
    );
    await assert.rejects(
      auth.signIn(),
      (e: unknown) =>
        e instanceof UpstreamAuthError &&
        /keychain is not available \(No Secret Service is running\)/.test(e.message),
    );
    assert.equal(opener.opened.length, 0);
  });

  it('a 401 from a server without OAuth metadata is not mistaken for a sign-in', async () => {
    const api = await startApiKeyMcpServer({ header: 'h', query: 'q' });
    try {
      const auth = createUpstreamOAuth(
        { store: createMemorySecretStore(), opener: createFetchBrowserOpener() },
        'keyed',
        api.url,
      );
      await assert.rejects(
        auth.unauthorized({ url: api.url, status: 401 }),
        (e: unknown) =>
          e instanceof UpstreamAuthError &&
          /offers no OAuth sign-in.*servers\.keyed\.headers/.test(e.message),
      );
    } finally {
      await api.close();
    }
  });

  it('an unreachable server is a transient failure, not a sign-in', async () => {
    const url = `http://127.0.0.1:${await findFreePort()}/mcp`;
    const auth = createUpstreamOAuth(
      { store: createMemorySecretStore(), opener: createFetchBrowserOpener() },
      'down',
      url,
    );
    await assert.rejects(auth.unauthorized({ url, status: 401 }), UpstreamAuthTransientError);
  });

  it('authorization server metadata naming another issuer is refused (RFC 8414 §3.3)', async () => {
    const server = createHttpServer((req, res) => {
      const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      if (req.url === '/.well-known/oauth-protected-resource/mcp') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ resource: `${origin}/mcp`, authorization_servers: [origin] }));
      } else if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            issuer: fx.issuer,
            authorization_endpoint: `${fx.issuer}/authorize`,
            token_endpoint: `${fx.issuer}/token`,
            response_types_supported: ['code'],
          }),
        );
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp`;
    try {
      const auth = createUpstreamOAuth(
        { store: createMemorySecretStore(), opener: createFetchBrowserOpener() },
        'mixup',
        url,
      );
      await assert.rejects(
        auth.unauthorized({ url, status: 401 }),
        (e: unknown) => e instanceof UpstreamAuthError && /another issuer/.test(e.message),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('protected-resource metadata for another resource is refused (RFC 9728 §7.3)', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ resource: 'https://evil.example/mcp', authorization_servers: [fx.issuer] }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // A key resolved from ${secret:...} into the URL must not reach the error shown to the user.
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/mcp?api_key=sk-live-do-not-show-123`;
    try {
      const auth = createUpstreamOAuth(
        { store: createMemorySecretStore(), opener: createFetchBrowserOpener() },
        'phish',
        url,
      );
      await assert.rejects(
        auth.unauthorized({ url, status: 401 }),
        (e: unknown) =>
          e instanceof UpstreamAuthError &&
          /different resource/.test(e.message) &&
          !e.message.includes('sk-live-do-not-show-123'),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
