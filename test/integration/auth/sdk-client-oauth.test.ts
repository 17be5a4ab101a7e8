import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { collectErrors, openContext } from '../../e2e/renderer/browser.js';
import { startAuthGateway } from '../../fixtures/auth/gateway-harness.js';

/** A minimal OAuthClientProvider for the official SDK client, with a loopback redirect URI. */
class LoopbackProvider implements OAuthClientProvider {
  info?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  constructor(readonly redirect: string) {}
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'SDK test client',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** The client's loopback redirect listener: resolves with the query it receives. */
async function startCallback(): Promise<{
  url: string;
  next: () => Promise<URLSearchParams>;
  server: Server;
}> {
  let waiting: ((q: URLSearchParams) => void) | undefined;
  const server = createServer((req, res) => {
    const q = new URL(req.url ?? '/', 'http://127.0.0.1').searchParams;
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>Signed in; you can close this window.</p>');
    waiting?.(q);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
    next: () => new Promise((r) => (waiting = r)),
    server,
  };
}

describe(
  'official SDK client OAuth + real Chromium on the approval page, through the real gateway',
  { timeout: 120_000 },
  () => {
    let gw: Awaited<ReturnType<typeof startAuthGateway>>;
    let cb: Awaited<ReturnType<typeof startCallback>>;
    before(async () => {
      gw = await startAuthGateway();
      cb = await startCallback();
    });
    after(async () => {
      cb.server.closeAllConnections();
      await new Promise<void>((r) => cb.server.close(() => r()));
      await gw.close();
    });

    it('discovers, registers, waits on the page for the owner, exchanges the code, lists and calls tools; revocation stops it', async (t) => {
      const provider = new LoopbackProvider(cb.url);
      const mcpUrl = new URL(`${gw.base}/mcp`);
      const first = new Client({ name: 'sdk-oauth', version: '1.0.0' });
      await assert.rejects(
        first.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider })),
        /Unauthorized/,
      );
      const authUrl = provider.authorizationUrl!;
      assert.ok(authUrl, 'the SDK asked to open the authorization URL');
      assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authUrl.searchParams.get('resource'), `${gw.base}/mcp`);

      // A fresh context for each flow (the shared Chromium: browser.ts openContext).
      const context = await openContext();
      t.after(() => context.close());
      const page = await context.newPage();
      const errors = collectErrors(page);
      const callback = cb.next();
      // The page's long-poll for the owner's decision (approval-page.ts), so that approving below
      // wakes a held request rather than racing the page's first poll.
      const polling = page.waitForRequest((r) => /\/oauth\/approval\/status\?.*wait=1/.test(r.url()));
      await page.goto(authUrl.toString());
      await page.waitForSelector('#code');
      const shown = (await page.textContent('#code'))!.trim();
      const pending = gw.auth.listPending();
      assert.equal(pending.length, 1);
      assert.equal(pending[0]!.pairingCode, shown, 'the page and the app show the same pairing code');
      assert.match(
        (await page.textContent('body'))!,
        /SDK test client[\s\S]*127\.0\.0\.1[\s\S]*registered dynamically[\s\S]*Waiting for the owner to approve in Tunnelgate/,
      );
      await polling;
      await gw.auth.approve(pending[0]!.id, ['mcp:full']);
      const q = await callback;
      assert.equal(q.get('state'), authUrl.searchParams.get('state'));
      const code = q.get('code')!;
      assert.ok(code);
      assert.deepEqual(errors, [], 'no page errors or CSP violations');

      const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
      await transport.finishAuth(code);
      assert.ok(provider.saved?.refresh_token);
      const client = new Client({ name: 'sdk-oauth', version: '1.0.0' });
      await client.connect(transport);
      try {
        const { tools } = await client.listTools();
        assert.ok(
          tools.some((t) => t.name === 'memory__create_entities'),
          tools.map((t) => t.name).join(', '),
        );
        const created = await client.callTool({
          name: 'memory__create_entities',
          arguments: {
            entities: [{ name: 'sdk', entityType: 'test', observations: ['via the SDK OAuth client'] }],
          },
        });
        assert.notEqual(created.isError, true, JSON.stringify(created));
        const grant = gw.auth.listGrants()[0]!;
        assert.equal(grant.clientName, 'SDK test client');
        await gw.auth.revokeGrant(grant.id);
        await assert.rejects(client.listTools());
      } finally {
        await client.close().catch(() => undefined);
      }
    });

    it('shows the denial in the browser and returns access_denied to the client', async (t) => {
      const provider = new LoopbackProvider(cb.url);
      await assert.rejects(
        new Client({ name: 'sdk-deny', version: '1.0.0' }).connect(
          new StreamableHTTPClientTransport(new URL(`${gw.base}/mcp`), { authProvider: provider }),
        ),
      );
      const context = await openContext();
      t.after(() => context.close());
      const page = await context.newPage();
      const errors = collectErrors(page);
      const callback = cb.next();
      await page.goto(provider.authorizationUrl!.toString());
      await page.waitForSelector('#code');
      await gw.auth.deny(gw.auth.listPending()[0]!.id);
      // A selector, not waitForFunction: a string predicate is eval'd in the page, which the page's CSP
      // (no 'unsafe-eval') refuses, so that check failed now and then depending on timing.
      await page.waitForSelector('#status.bad:has-text("denied")');
      // RFC 9700 §4.11.2: this client's loopback URI was never approved, so the page does not send the
      // browser there by itself; the person follows the link to tell the waiting client.
      assert.equal(new URL(page.url()).pathname, '/oauth/approval');
      await page.click('#return');
      const q = await callback;
      assert.equal(q.get('error'), 'access_denied');
      assert.deepEqual(errors, []);
    });
  },
);
