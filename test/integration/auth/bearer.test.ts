import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';
import { callMcp, connect } from '../../fixtures/auth/oauth-steps.js';

const tamper = (token: string, edit: (claims: Record<string, unknown>) => void) => {
  const [h, p, s] = token.split('.');
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  edit(claims);
  return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
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
    assert.equal(res.headers.get('www-authenticate'), `Bearer resource_metadata="${h.base}/.well-known/oauth-protected-resource/mcp", scope="mcp:full"`);
  });

  it('a valid token yields the oauth principal and updates the grant\'s last use', async () => {
    const { tokens, clientId } = await connect(h, { scopes: ['mcp:read'] });
    h.clock.advance(5_000);
    const res = await callMcp(h, tokens.access_token);
    assert.equal(res.status, 200);
    const { principal } = (await res.json()) as { principal: Record<string, unknown> };
    const grant = h.auth.listGrants().find((g) => g.clientId === clientId)!;
    assert.deepEqual(principal, { kind: 'oauth', clientId, clientName: 'Test client', grantId: grant.id, scopes: ['mcp:read'] });
    assert.equal(grant.lastUsedAt, h.clock.now());
    assert.ok(grant.createdAt < grant.lastUsedAt!);
  });

  const invalid: [string, (t: string) => string | Promise<string>][] = [
    ['a tampered token (scope widened)', (t) => tamper(t, (c) => (c.scope = 'mcp:read mcp:full'))],
    ['a tampered signature', (t) => `${t.slice(0, -4)}${t.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`],
    ['a token for another audience', (t) => tamper(t, (c) => (c.aud = 'https://other.example/mcp'))],
    ['garbage', () => 'not-a-token'],
    ['an empty bearer', () => ''],
  ];
  for (const [what, make] of invalid) {
    it(`${what}: 401 error="invalid_token"`, async () => {
      const { tokens } = await connect(h);
      const res = await fetch(`${h.base}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${await make(tokens.access_token)}` }, body: '{}' });
      assert.equal(res.status, 401);
      const www = res.headers.get('www-authenticate') ?? '';
      assert.match(www, /^Bearer error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="mcp:full"$/);
    });
  }

  it('an expired token: 401 invalid_token', async () => {
    const { tokens } = await connect(h);
    h.clock.advance(3600_000 + 1000);
    const res = await callMcp(h, tokens.access_token);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token", error_description="The access token expired."/);
  });

  it('wrong audience after the public URL changed: 401 invalid_token until the client reconnects', async () => {
    const { tokens } = await connect(h);
    h.setOrigin('https://new-words.trycloudflare.com');
    try {
      const res = await callMcp(h, tokens.access_token);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /public URL changed/);
      assert.match(res.headers.get('www-authenticate') ?? '', /resource_metadata="https:\/\/new-words\.trycloudflare\.com\/\.well-known\/oauth-protected-resource\/mcp"/);
    } finally {
      h.setOrigin(undefined);
    }
    assert.equal((await callMcp(h, tokens.access_token)).status, 200);
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

  it('serves MCP only at /mcp', async () => {
    assert.deepEqual(h.auth.mcpPaths(), ['/mcp']);
    const decision = await h.auth.authenticate({ headers: {}, socket: {} } as never, new URL('http://127.0.0.1/other'));
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
