import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CHATGPT_REDIRECT, pkcePair, startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';
import {
  callMcp,
  connect,
  followApproval,
  registerClient,
  startAuthorization,
  tokenRequest,
  type Tokens,
} from '../../fixtures/auth/oauth-steps.js';

/** Authorizes and approves; returns a fresh code with its verifier. */
async function freshCode(h: Harness, clientId: string, scopes = ['mcp:full']) {
  const { verifier, challenge } = pkcePair();
  const id = await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge });
  await h.auth.approve(id, scopes);
  const code = (await followApproval(h, id)).searchParams.get('code')!;
  return { code, verifier };
}

describe('/oauth/token', () => {
  let h: Harness;
  let clientId: string;
  before(async () => {
    h = await startHarness({ limits: { requestsPerMinute: 1000, failedAuthPerMinute: 1000 } });
    clientId = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
  });
  after(async () => h.close());

  const exchange = (code: string, verifier: string, extra: Record<string, string | undefined> = {}) =>
    tokenRequest(h, {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: CHATGPT_REDIRECT,
      resource: `${h.base}/mcp`,
      ...extra,
    });

  it('exchanges a code for bearer tokens bound to the resource, with Cache-Control: no-store', async () => {
    const { code, verifier } = await freshCode(h, clientId, ['mcp:read']);
    const res = await exchange(code, verifier);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const t = (await res.json()) as Tokens;
    assert.equal(t.token_type, 'Bearer');
    assert.equal(t.expires_in, 3600);
    assert.equal(t.scope, 'mcp:read');
    assert.ok(t.refresh_token.length > 40);
    const claims = JSON.parse(Buffer.from(t.access_token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.equal(claims.aud, `${h.base}/mcp`);
    assert.equal(claims.iss, h.base);
    assert.equal(claims.client_id, clientId);
    const grants = h.auth.listGrants();
    assert.ok(
      grants.some(
        (g) => g.clientId === clientId && g.scopes.join() === 'mcp:read' && g.redirectHost === 'chatgpt.com',
      ),
    );
  });

  it('accepts the resource with a trailing slash and without it at the token endpoint', async () => {
    const a = await freshCode(h, clientId);
    assert.equal((await exchange(a.code, a.verifier, { resource: `${h.base}/mcp/` })).status, 200);
    const b = await freshCode(h, clientId);
    assert.equal((await exchange(b.code, b.verifier, { resource: undefined })).status, 200);
  });

  const refusals: [
    string,
    (c: { code: string; verifier: string }) => Record<string, string | undefined>,
    string,
  ][] = [
    ['wrong PKCE verifier', () => ({ code_verifier: pkcePair().verifier }), 'invalid_grant'],
    ['missing verifier', () => ({ code_verifier: undefined }), 'invalid_request'],
    ['the challenge sent as verifier (plain)', () => ({}), 'invalid_grant'],
    ['another client id', () => ({ client_id: 'tgc_other' }), 'invalid_grant'],
    [
      'another redirect URI',
      () => ({ redirect_uri: 'https://chatgpt.com/connector/oauth/zzz' }),
      'invalid_grant',
    ],
    ['a wrong resource', () => ({ resource: 'https://evil.example/mcp' }), 'invalid_target'],
  ];
  for (const [what, extra, error] of refusals) {
    it(`refuses ${what} with ${error} (RFC 6749 §5.2) and burns the code`, async () => {
      const c = await freshCode(h, clientId);
      let params = extra(c);
      if (what.startsWith('the challenge')) params = { code_verifier: pkcePair().challenge };
      const res = await exchange(c.code, c.verifier, params);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.error, error);
      assert.equal(typeof body.error_description, 'string');
      // Once the code was looked at, the failed attempt consumed it: a retry with the right values fails too.
      // (A request missing the verifier is refused before the code is touched.)
      assert.equal((await exchange(c.code, c.verifier)).status, error === 'invalid_request' ? 200 : 400);
    });
  }

  it('refuses an unknown code, a missing grant_type and an unsupported one', async () => {
    assert.equal(
      (
        (await (
          await tokenRequest(h, {
            grant_type: 'authorization_code',
            code: 'nope',
            code_verifier: pkcePair().verifier,
            client_id: clientId,
          })
        ).json()) as { error: string }
      ).error,
      'invalid_grant',
    );
    assert.equal(
      ((await (await tokenRequest(h, { code: 'x' })).json()) as { error: string }).error,
      'invalid_request',
    );
    assert.equal(
      ((await (await tokenRequest(h, { grant_type: 'password' })).json()) as { error: string }).error,
      'unsupported_grant_type',
    );
    const json = await fetch(`${h.base}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 400);
  });

  it('refuses an expired code', async () => {
    const c = await freshCode(h, clientId);
    h.clock.advance(3 * 60_000);
    const res = await exchange(c.code, c.verifier);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_grant');
  });

  it('a reused code fails with invalid_grant and revokes the tokens issued from it', async () => {
    const c = await freshCode(h, clientId);
    const first = (await (await exchange(c.code, c.verifier)).json()) as Tokens;
    assert.equal((await callMcp(h, first.access_token)).status, 200);
    const again = await exchange(c.code, c.verifier);
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, 'invalid_grant');
    const after = await callMcp(h, first.access_token);
    assert.equal(after.status, 401);
    assert.match(after.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    const refresh = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      client_id: clientId,
    });
    assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant');
  });

  it('rotates refresh tokens; a replayed refresh token fails and revokes the grant', async () => {
    const { tokens } = await connect(h, { clientId, redirectUri: CHATGPT_REDIRECT });
    const r1 = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: clientId,
    });
    assert.equal(r1.status, 200);
    assert.equal(r1.headers.get('cache-control'), 'no-store');
    const t1 = (await r1.json()) as Tokens;
    assert.notEqual(t1.refresh_token, tokens.refresh_token);
    assert.notEqual(t1.access_token, tokens.access_token);
    assert.equal((await callMcp(h, t1.access_token)).status, 200);
    // Past the retry grace window (a retry within it is answered: refresh-grace.test.ts).
    h.clock.advance(61_000);
    const replay = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: clientId,
    });
    assert.equal(replay.status, 400);
    const body = (await replay.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_grant');
    assert.match(body.error_description, /^refresh token reused; sign in again/);
    // The whole grant is gone: the newest tokens fail as well.
    assert.equal((await callMcp(h, t1.access_token)).status, 401);
    const r2 = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: t1.refresh_token,
      client_id: clientId,
    });
    assert.equal(r2.status, 400);
  });

  it('refresh checks the client, may narrow scopes but never widen them', async () => {
    const { tokens } = await connect(h, { clientId, redirectUri: CHATGPT_REDIRECT, scopes: ['mcp:read'] });
    const other = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: 'tgc_other',
    });
    assert.equal(((await other.json()) as { error: string }).error, 'invalid_grant');
    const widen = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: clientId,
      scope: 'mcp:full',
    });
    assert.equal(((await widen.json()) as { error: string }).error, 'invalid_scope');
    const ok = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: clientId,
      scope: 'mcp:read',
    });
    assert.equal(ok.status, 200);
  });

  it('refreshes with no scope (reconnect) and keeps the granted scopes', async () => {
    const { tokens } = await connect(h, {
      clientId,
      redirectUri: CHATGPT_REDIRECT,
      scopes: ['mcp:read', 'mcp:full'],
    });
    const res = await tokenRequest(h, {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
      client_id: clientId,
    });
    assert.equal(((await res.json()) as Tokens).scope, 'mcp:read mcp:full');
  });
});

describe('/oauth/revoke (RFC 7009)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ limits: { requestsPerMinute: 1000 } });
  });
  after(async () => h.close());

  const revoke = (token: string, extra: Record<string, string> = {}) =>
    fetch(`${h.base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...extra }),
    });

  it('revoking a refresh token revokes the grant: its access tokens fail on the next call', async () => {
    const { tokens, clientId } = await connect(h);
    assert.equal((await callMcp(h, tokens.access_token)).status, 200);
    const res = await revoke(tokens.refresh_token, { token_type_hint: 'refresh_token', client_id: clientId });
    assert.equal(res.status, 200);
    assert.equal((await callMcp(h, tokens.access_token)).status, 401);
    assert.equal(h.auth.listGrants().length, 0);
  });

  it('revoking an access token stops that token only', async () => {
    const { tokens } = await connect(h);
    const res = await revoke(tokens.access_token);
    assert.equal(res.status, 200);
    assert.equal((await callMcp(h, tokens.access_token)).status, 401);
    const r = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    const t = (await r.json()) as Tokens;
    assert.equal((await callMcp(h, t.access_token)).status, 200);
  });

  it('answers 200 for an unknown token and 400 without one', async () => {
    assert.equal((await revoke('garbage')).status, 200);
    const none = await fetch(`${h.base}/oauth/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    assert.equal(none.status, 400);
  });
});

describe('authorization code replayed concurrently', () => {
  it('two simultaneous exchanges of one code: at most one answer carries tokens, and no grant survives', async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 1000, failedAuthPerMinute: 1000 } });
    try {
      const clientId = await registerClient(h, [CHATGPT_REDIRECT]);
      const { code, verifier } = await freshCode(h, clientId);
      const body = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: clientId,
        redirect_uri: CHATGPT_REDIRECT,
      };
      const answers = await Promise.all([tokenRequest(h, body), tokenRequest(h, body)]);
      const statuses = answers.map((a) => a.status).sort();
      assert.equal(statuses[1], 400, 'the replay is refused');
      const ok = answers.find((a) => a.status === 200);
      if (ok) {
        const t = (await ok.json()) as Tokens;
        assert.equal(
          (await callMcp(h, t.access_token)).status,
          401,
          'tokens from a replayed code are revoked',
        );
      }
      assert.equal(h.auth.listGrants().length, 0);
    } finally {
      await h.close();
    }
  });
});
