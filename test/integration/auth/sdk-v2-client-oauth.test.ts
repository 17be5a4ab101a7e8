import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Client,
  StreamableHTTPClientTransport,
  type OAuthClientProvider,
} from '@modelcontextprotocol/client';
import { startAuthGateway } from '../../fixtures/auth/gateway-harness.js';

type Provider = OAuthClientProvider & { authorizationUrl?: URL };

/** The SDK v2 client's provider contract, minimal, with a loopback redirect URI it never listens on. */
function loopbackProvider(redirect: string): Provider {
  let info: unknown;
  let tokens: unknown;
  let verifier = '';
  let discovery: unknown;
  const p: Provider = {
    get redirectUrl() {
      return redirect;
    },
    get clientMetadata() {
      return {
        client_name: 'SDK v2 client',
        redirect_uris: [redirect],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      };
    },
    clientInformation: () => info as never,
    saveClientInformation: (i) => void (info = i),
    tokens: () => tokens as never,
    saveTokens: (t) => void (tokens = t),
    redirectToAuthorization: (url) => void (p.authorizationUrl = url),
    saveCodeVerifier: (v) => void (verifier = v),
    codeVerifier: () => verifier,
    // Lets the SDK check that the code is redeemed at the authorization server it discovered (SEP-2352).
    saveDiscoveryState: (d) => void (discovery = d),
    discoveryState: () => discovery as never,
  };
  return p;
}

describe('official SDK v2 client (2026-07-28) OAuth through the real gateway', { timeout: 90_000 }, () => {
  let gw: Awaited<ReturnType<typeof startAuthGateway>>;
  before(async () => {
    gw = await startAuthGateway();
  });
  after(async () => gw.close());

  it('completes discovery, DCR, PKCE and the owner approval, then lists and calls tools', async () => {
    const provider = loopbackProvider('http://127.0.0.1:9/callback');
    const url = new URL(`${gw.base}/mcp`);
    await assert.rejects(
      new Client({ name: 'v2-oauth', version: '1.0.0' }).connect(
        new StreamableHTTPClientTransport(url, { authProvider: provider }),
      ),
    );
    const authUrl = provider.authorizationUrl!;
    assert.ok(authUrl, 'the client asked to open the authorization URL');
    assert.equal(authUrl.searchParams.get('resource'), `${gw.base}/mcp`);

    // The user's browser: authorization URL -> approval page; the owner approves; the page redirects.
    const approval = new URL(
      (await fetch(authUrl, { redirect: 'manual' })).headers.get('location')!,
      gw.base,
    );
    const [pending] = gw.auth.listPending();
    assert.equal(pending?.clientName, 'SDK v2 client');
    await gw.auth.approve(pending!.id, ['mcp:full']);
    const callback = new URL((await fetch(approval, { redirect: 'manual' })).headers.get('location')!);
    assert.equal(`${callback.origin}${callback.pathname}`, 'http://127.0.0.1:9/callback');

    const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
    await transport.finishAuth(callback.searchParams);
    const client = new Client({ name: 'v2-oauth', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.ok(
        tools.some((t) => t.name === 'memory__read_graph'),
        tools.map((t) => t.name).join(', '),
      );
      const result = await client.callTool({ name: 'memory__read_graph', arguments: {} });
      assert.notEqual(result.isError, true, JSON.stringify(result));
    } finally {
      await client.close();
    }
    assert.equal(gw.auth.listGrants()[0]?.clientName, 'SDK v2 client');
  });
});
