import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JWT_BEARER_ASSERTION } from '../../../main/auth/client-assertion.js';
import { pkcePair, startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';
import {
  authorizeUrl,
  callMcp,
  followApproval,
  getManual,
  revokeRequest,
  startAuthorization,
  tokenRequest,
  type Tokens,
} from '../../fixtures/auth/oauth-steps.js';
import { PRIVATE_HOST, startChatGptSite, type ChatGptSite } from '../../fixtures/chatgpt/chatgpt-site.js';

// ChatGPT's Client ID Metadata Document declares private_key_jwt (RFC 7523 §2.2) and never falls back
// to "none": the token endpoint must verify its client assertions, and refuse every broken one with
// invalid_client and a reason.
describe('private_key_jwt clients (RFC 7523) with a Client ID Metadata Document', () => {
  let site: ChatGptSite;
  let h: Harness;
  const tokenEndpoint = () => `${h.base}/oauth/token`;
  before(async () => {
    site = await startChatGptSite({ clock: { now: () => h.clock.now() } });
    h = await startHarness({
      cimdTransport: site.transport,
      limits: { requestsPerMinute: 1000, failedAuthPerMinute: 1000 },
    });
  });
  after(async () => {
    await h.close();
    await site.close();
  });

  /** Authorization with the owner's approval; returns the code (not yet exchanged). */
  async function approvedCode(clientId = site.clientId, scopes = ['mcp:full']) {
    const { verifier, challenge } = pkcePair();
    const id = await startAuthorization(h, { clientId, redirectUri: site.redirectUri, challenge });
    await h.auth.approve(id, scopes);
    const back = await followApproval(h, id);
    assert.equal(back.searchParams.get('iss'), h.base, 'RFC 9207 iss on the authorization response');
    return { code: back.searchParams.get('code')!, verifier };
  }

  const exchange = (
    c: { code: string; verifier: string },
    auth: Record<string, string | undefined>,
    clientId: string | undefined = site.clientId,
  ) =>
    tokenRequest(h, {
      grant_type: 'authorization_code',
      code: c.code,
      code_verifier: c.verifier,
      client_id: clientId,
      redirect_uri: site.redirectUri,
      resource: `${h.base}/mcp`,
      ...auth,
    });

  const withAssertion = async (o: Parameters<ChatGptSite['assertion']>[1] = {}, clientId?: string) => ({
    client_assertion_type: JWT_BEARER_ASSERTION,
    client_assertion: await site.assertion(tokenEndpoint(), o, clientId),
  });

  async function connected(): Promise<Tokens> {
    const res = await exchange(await approvedCode(), await withAssertion());
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Tokens;
  }

  async function refuses(res: Response, pattern: RegExp): Promise<void> {
    const body = (await res.json()) as { error: string; error_description: string };
    assert.equal(res.status, 401, JSON.stringify(body));
    assert.equal(body.error, 'invalid_client');
    assert.match(body.error_description, pattern);
  }

  it("accepts ChatGPT's document and issues tokens for a valid assertion, at /token and on refresh", async () => {
    const t = await connected();
    assert.equal((await callMcp(h, t.access_token)).status, 200);
    const r = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
      client_id: site.clientId,
      ...(await withAssertion({ aud: h.base })), // the issuer is an accepted audience too
    });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal((await callMcp(h, ((await r.json()) as Tokens).access_token)).status, 200);
  });

  it('lets the assertion name the client when client_id is left out (RFC 7523 §3)', async () => {
    const res = await exchange(await approvedCode(), await withAssertion(), undefined);
    assert.equal(res.status, 200, await res.clone().text());
  });

  it('refuses a missing assertion, and the code survives for the real client', async () => {
    const c = await approvedCode();
    await refuses(await exchange(c, {}), /private_key_jwt.*client_assertion/);
    assert.equal((await exchange(c, await withAssertion())).status, 200, 'the code was not spent');
  });

  it('a replayed code without the assertion is refused as invalid_client and does not revoke the grant', async () => {
    const c = await approvedCode();
    const t = (await (await exchange(c, await withAssertion())).json()) as Tokens;
    await refuses(await exchange(c, {}), /private_key_jwt/);
    assert.equal((await callMcp(h, t.access_token)).status, 200, 'the grant lives');
  });

  it('refuses a refresh without the assertion (no fallback to "none")', async () => {
    const t = await connected();
    await refuses(
      await tokenRequest(h, {
        grant_type: 'refresh_token',
        refresh_token: t.refresh_token,
        client_id: site.clientId,
      }),
      /private_key_jwt/,
    );
  });

  const broken: [string, () => Promise<Record<string, string | undefined>>, RegExp][] = [
    ['a wrong aud', () => withAssertion({ aud: 'https://other.example/oauth/token' }), /"aud" must be/],
    ['an expired assertion', () => withAssertion({ expiresIn: -120 }), /expired/],
    ['an assertion valid for an hour', () => withAssertion({ expiresIn: 3600 }), /at most 300 s/],
    ['no exp', () => withAssertion({ omit: ['exp'] }), /no "exp" claim/],
    ['no jti', () => withAssertion({ omit: ['jti'] }), /no "jti" claim/],
    [
      'iss not the client_id',
      () => withAssertion({ iss: 'https://chatgpt.com/x' }),
      /"iss" must be the client_id/,
    ],
    ['alg none', () => withAssertion({ alg: 'none' }), /"alg" is not accepted/],
    ['HS256 keyed with the RSA public key', () => withAssertion({ alg: 'HS256' }), /"alg" is not accepted/],
    [
      'a signature by another key under the published kid',
      async () => withAssertion({ key: (await site.newKey()).privateKey }),
      /signature does not verify/,
    ],
    [
      'a wrong client_assertion_type',
      async () => ({ ...(await withAssertion()), client_assertion_type: 'x' }),
      /client_assertion_type must be/,
    ],
    [
      'garbage',
      async () => ({ client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: 'a.b.c' }),
      /not a valid signed JWT/,
    ],
  ];
  for (const [what, auth, pattern] of broken) {
    it(`refuses ${what} with invalid_client`, async () => {
      await refuses(await exchange(await approvedCode(), await auth()), pattern);
    });
  }

  it('refuses a replayed jti', async () => {
    const t = await connected();
    const auth = await withAssertion();
    const first = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
      client_id: site.clientId,
      ...auth,
    });
    assert.equal(first.status, 200);
    const next = (await first.json()) as Tokens;
    await refuses(
      await tokenRequest(h, {
        grant_type: 'refresh_token',
        refresh_token: next.refresh_token,
        client_id: site.clientId,
        ...auth,
      }),
      /already used/,
    );
  });

  it('refuses an unknown kid without hammering the JWKS, and follows a key rotation once', async () => {
    await connected(); // the JWKS is cached now
    const before = site.jwksFetches;
    const stranger = await site.newKey();
    await refuses(
      await exchange(
        await approvedCode(),
        await withAssertion({ kid: stranger.kid, key: stranger.privateKey }),
      ),
      /No key in the client's JWKS matches/,
    );
    await refuses(
      await exchange(
        await approvedCode(),
        await withAssertion({ kid: stranger.kid, key: stranger.privateKey }),
      ),
      /No key in the client's JWKS matches/,
    );
    assert.equal(site.jwksFetches, before, 'no refetch right after a fetch (rate limit)');
    // ChatGPT rotates its key; the cached JWKS lacks the new kid: one refetch finds it.
    h.clock.advance(31_000);
    await site.rotate();
    const res = await exchange(await approvedCode(), await withAssertion());
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(site.jwksFetches, before + 1);
  });

  it('refuses a JWKS at a private address without contacting it', async () => {
    const clientId = site.publish('/oauth/private-jwks/client.json', {
      jwks_uri: `https://${PRIVATE_HOST}/jwks.json`,
    });
    const c = await approvedCode(clientId);
    await refuses(
      await exchange(c, await withAssertion({}, clientId), clientId),
      new RegExp(`${PRIVATE_HOST.replace(/\./g, '\\.')} resolves to a private, loopback or reserved address`),
    );
  });

  it('accepts inline jwks in the document', async () => {
    const key = await site.newKey();
    const clientId = site.publish('/oauth/inline/client.json', {
      jwks_uri: undefined,
      jwks: { keys: [key.publicJwk] },
    });
    const res = await exchange(
      await approvedCode(clientId),
      await withAssertion({ kid: key.kid, key: key.privateKey }, clientId),
      clientId,
    );
    assert.equal(res.status, 200, await res.clone().text());
  });

  for (const [what, over, pattern] of [
    ['client_secret_basic', { token_endpoint_auth_method: 'client_secret_basic' }, /needs a shared secret/],
    ['client_secret_post', { token_endpoint_auth_method: 'client_secret_post' }, /needs a shared secret/],
    ['client_secret_jwt', { token_endpoint_auth_method: 'client_secret_jwt' }, /needs a shared secret/],
    ['private_key_jwt without keys', { jwks_uri: undefined }, /neither jwks_uri nor jwks/],
    ['an HS256 signing alg', { token_endpoint_auth_signing_alg: 'HS256' }, /HS256.{0,12} is not accepted/],
  ] as const) {
    it(`refuses a document declaring ${what}, on the page and at /token`, async () => {
      const clientId = site.publish(`/oauth/${what.replace(/\W/g, '-')}/client.json`, over);
      const page = await getManual(
        authorizeUrl(h, { clientId, redirectUri: site.redirectUri, challenge: pkcePair().challenge }),
      );
      assert.equal(page.status, 400);
      assert.match(await page.text(), pattern);
      await refuses(
        await tokenRequest(h, {
          grant_type: 'authorization_code',
          code: 'x',
          code_verifier: pkcePair().verifier,
          client_id: clientId,
          ...(await withAssertion({}, clientId)),
        }),
        pattern,
      );
    });
  }

  it('refuses an assertion from a public client', async () => {
    const clientId = site.publish('/oauth/public/client.json', {
      token_endpoint_auth_method: 'none',
      token_endpoint_auth_signing_alg: undefined,
      jwks_uri: undefined,
    });
    const c = await approvedCode(clientId);
    await refuses(await exchange(c, await withAssertion({}, clientId), clientId), /public client/);
    assert.equal((await exchange(c, {}, clientId)).status, 200, 'as a public client it still connects');
  });

  it('revocation (RFC 7009) needs the client assertion too: a leaked refresh token alone cannot disconnect ChatGPT', async () => {
    const t = await connected();
    const revoke = (params: Record<string, string | undefined>) => revokeRequest(h, params);
    await refuses(await revoke({ token: t.refresh_token, client_id: site.clientId }), /private_key_jwt/);
    await refuses(await revoke({ token: t.access_token }), /private_key_jwt/);
    await refuses(
      await revoke({ token: t.refresh_token, ...(await withAssertion({ expiresIn: -120 })) }),
      /expired/,
    );
    assert.equal((await callMcp(h, t.access_token)).status, 200, 'the grant lives');
    const ok = await revoke({ token: t.refresh_token, ...(await withAssertion()) });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal((await callMcp(h, t.access_token)).status, 401, 'revoked with the assertion');
  });
});
