import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SIGNING_KEY_SECRET } from '../../../main/auth/auth-service.js';
import { createTokenCodec, type AccessClaims } from '../../../main/auth/token-codec.js';
import { pkcePair, startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';
import { authorizeUrl, callMcp, connect, type Tokens } from '../../fixtures/auth/oauth-steps.js';

/** Headers cloudflared adds: the request then counts as coming through the tunnel. */
const TUNNEL = { 'Cf-Connecting-Ip': '203.0.113.7' };

const tamper = (token: string, edit: (claims: Record<string, unknown>) => void) => {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  edit(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
};

/** Edits a token's claims and signs it again with the gateway's own key: only the edited claim is wrong. */
const resign = async (h: Harness, token: string, edit: (claims: AccessClaims) => void) => {
  const key = await h.secrets.get(SIGNING_KEY_SECRET);
  if (!key) throw new Error('the harness has no signing key');
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as AccessClaims;
  edit(claims);
  return createTokenCodec(Buffer.from(key, 'base64url')).sign(claims);
};

describe('authenticate() on /mcp', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ limits: { requestsPerMinute: 1000, failedAuthPerMinute: 1000 } });
  });
  after(async () => h.close());

  it('no token: 401 with WWW-Authenticate naming the resource metadata and the scope', async () => {
    const res = await callMcp(h);
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get('www-authenticate'),
      `Bearer resource_metadata="${h.base}/.well-known/oauth-protected-resource/mcp", scope="mcp:full"`,
    );
  });

  it("a valid token yields the oauth principal and updates the grant's last use", async () => {
    const { tokens, clientId } = await connect(h, { scopes: ['mcp:read'] });
    h.clock.advance(5_000);
    const res = await callMcp(h, tokens.access_token);
    assert.equal(res.status, 200);
    const { principal } = (await res.json()) as { principal: Record<string, unknown> };
    const grant = h.auth.listGrants().find((g) => g.clientId === clientId)!;
    assert.deepEqual(principal, {
      kind: 'oauth',
      clientId,
      clientName: 'Test client',
      grantId: grant.id,
      scopes: ['mcp:read'],
    });
    assert.equal(grant.lastUsedAt, h.clock.now());
    assert.ok(grant.createdAt < grant.lastUsedAt!);
  });

  it('a correctly signed token for another issuer or client is refused; the same claims re-signed pass', async () => {
    const { tokens } = await connect(h);
    for (const edit of [{ iss: 'https://other.example' }, { client_id: 'tgc_someone_else' }]) {
      const res = await callMcp(h, await resign(h, tokens.access_token, (c) => Object.assign(c, edit)));
      assert.equal(res.status, 401, JSON.stringify(edit));
      assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/);
    }
    const same = await resign(h, tokens.access_token, () => {});
    assert.equal((await callMcp(h, same)).status, 200, 'control: the same claims pass');
  });

  const invalid: [string, (t: string) => string | Promise<string>, RegExp?][] = [
    ['a tampered token (scope widened)', (t) => tamper(t, (c) => (c.scope = 'mcp:read mcp:full'))],
    ['a tampered signature', (t) => `${t.slice(0, -4)}${t.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`],
    [
      'a token for another audience',
      (t) => resign(h, t, (c) => (c.aud = 'https://other.example/mcp')),
      /issued for another server address/,
    ],
    ['garbage', () => 'not-a-token'],
    ['an empty bearer', () => ''],
  ];
  for (const [what, make, why] of invalid) {
    it(`${what}: 401 error="invalid_token"`, async () => {
      const { tokens } = await connect(h);
      const res = await fetch(`${h.base}/mcp`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${await make(tokens.access_token)}` },
        body: '{}',
      });
      assert.equal(res.status, 401);
      const www = res.headers.get('www-authenticate') ?? '';
      assert.match(
        www,
        /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="mcp:full"$/,
      );
      if (why) assert.match(www, why);
    });
  }

  it('an expired token: 401 invalid_token', async () => {
    const { tokens } = await connect(h);
    h.clock.advance(3600_000 + 1000);
    const res = await callMcp(h, tokens.access_token);
    assert.equal(res.status, 401);
    assert.match(
      res.headers.get('www-authenticate') ?? '',
      /error="invalid_token", error_description="The access token expired."/,
    );
  });

  it('wrong audience after the public URL changed: 401 invalid_token until the client reconnects', async () => {
    const { tokens } = await connect(h);
    h.setOrigin('https://new-words.trycloudflare.com');
    try {
      const res = await callMcp(h, tokens.access_token, TUNNEL);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /public URL changed/);
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /resource_metadata="https:\/\/new-words\.trycloudflare\.com\/\.well-known\/oauth-protected-resource\/mcp"/,
      );
    } finally {
      h.setOrigin(undefined);
    }
    assert.equal((await callMcp(h, tokens.access_token)).status, 200);
  });

  it('a tunnel URL change: refresh fails with invalid_grant, waiting requests expire', async () => {
    h.setOrigin('https://first-words.trycloudflare.com');
    try {
      // A tunnelled client gets tokens for the first URL (requests carry the tunnel headers).
      const redirectUri = 'https://chatgpt.com/connector/oauth/t1';
      const reg = await fetch(`${h.base}/oauth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...TUNNEL },
        body: JSON.stringify({ redirect_uris: [redirectUri] }),
      });
      const { client_id } = (await reg.json()) as { client_id: string };
      const { verifier, challenge } = pkcePair();
      const u = authorizeUrl(h, {
        clientId: client_id,
        redirectUri,
        challenge,
        resource: 'https://first-words.trycloudflare.com/mcp',
      });
      const approval = new URL(
        (await fetch(u, { redirect: 'manual', headers: TUNNEL })).headers.get('location')!,
        h.base,
      );
      const id = approval.searchParams.get('request')!;
      await h.auth.approve(id, ['mcp:full']);
      const code = new URL(
        (await fetch(approval, { redirect: 'manual', headers: TUNNEL })).headers.get('location')!,
      ).searchParams.get('code')!;
      const tok = await fetch(`${h.base}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...TUNNEL },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          client_id,
          redirect_uri: redirectUri,
        }),
      });
      const tunnelTokens = (await tok.json()) as Tokens;
      assert.equal((await callMcp(h, tunnelTokens.access_token, TUNNEL)).status, 200);
      // Nothing on the public listener is local: without tunnel headers the same origin applies.
      assert.equal((await callMcp(h, tunnelTokens.access_token)).status, 200, 'whatever the Host says');

      // Another request is waiting when the URL changes.
      const waiting = new URL(
        (
          await fetch(
            authorizeUrl(h, {
              clientId: client_id,
              redirectUri,
              challenge,
              resource: 'https://first-words.trycloudflare.com/mcp',
            }),
            { redirect: 'manual', headers: TUNNEL },
          )
        ).headers.get('location')!,
        h.base,
      );
      const changes: unknown[] = [];
      const off = h.auth.on('url-changed', (e) => changes.push(e));
      h.setOrigin('https://second-words.trycloudflare.com');
      assert.equal(h.auth.refreshOrigin(), 'https://second-words.trycloudflare.com');
      off();
      assert.deepEqual(changes, [
        {
          previous: 'https://first-words.trycloudflare.com',
          current: 'https://second-words.trycloudflare.com',
        },
      ]);
      assert.equal(
        h.auth.listPending().some((p) => p.id === waiting.searchParams.get('request')),
        false,
        'expired with the old URL',
      );
      assert.equal((await callMcp(h, tunnelTokens.access_token, TUNNEL)).status, 401);
      const refresh = await fetch(`${h.base}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...TUNNEL },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tunnelTokens.refresh_token,
          client_id,
        }),
      });
      assert.equal(refresh.status, 400);
      assert.match(
        ((await refresh.json()) as { error_description: string }).error_description,
        /public URL changed/,
      );
      assert.equal((await callMcp(h, tunnelTokens.access_token)).status, 401, 'the old URL token is refused');
    } finally {
      h.setOrigin(undefined);
      h.auth.refreshOrigin();
    }
  });

  it('a grant revoked by the owner fails on the next call, and the grants event fires', async () => {
    const { tokens, clientId } = await connect(h);
    assert.equal((await callMcp(h, tokens.access_token)).status, 200);
    const seen: number[] = [];
    const off = h.auth.on('grants', (g) => seen.push(g.length));
    const grant = h.auth.listGrants().find((g) => g.clientId === clientId)!;
    await h.auth.revokeGrant(grant.id);
    off();
    assert.equal(seen.length, 1);
    const res = await callMcp(h, tokens.access_token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /revoked/);
    await assert.rejects(h.auth.revokeGrant(grant.id), /already revoked/);
  });

  it('through the tunnel before the public URL is known: 503 with Retry-After, not a broken challenge', async () => {
    h.setOrigin(null);
    try {
      const res = await callMcp(h, undefined, TUNNEL);
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal((await callMcp(h)).status, 503, 'a request with a loopback Host is not local either');
    } finally {
      h.setOrigin(undefined);
    }
  });

  it('serves MCP only at /mcp', async () => {
    assert.deepEqual(h.auth.mcpPaths(), ['/mcp']);
    const decision = await h.auth.authenticate(
      { headers: {}, socket: {} } as never,
      new URL('http://127.0.0.1/other'),
    );
    assert.equal(decision.ok, false);
    assert.equal(!decision.ok && decision.status, 404);
  });
});

describe('rate limits', () => {
  it('failed authentications per IP (from Cf-Connecting-Ip) get 429 with Retry-After; other IPs are unaffected', async () => {
    const h = await startHarness({ limits: { failedAuthPerMinute: 3 } });
    try {
      const bad = (ip: string) => callMcp(h, 'bad-token', { 'Cf-Connecting-Ip': ip });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await bad('203.0.113.9')).status);
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      const limited = await bad('203.0.113.9');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal((await bad('198.51.100.7')).status, 401);
      h.clock.advance(60_000);
      assert.equal((await bad('203.0.113.9')).status, 401);
    } finally {
      await h.close();
    }
  });

  it('calls per client get 429 with Retry-After', async () => {
    const h = await startHarness({ limits: { callsPerMinute: 2 } });
    try {
      const { tokens } = await connect(h);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await callMcp(h, tokens.access_token)).status);
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.ok(Number((await callMcp(h, tokens.access_token)).headers.get('retry-after')) >= 1);
    } finally {
      await h.close();
    }
  });
});
