import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuthContext } from '../../../main/auth/auth-context.js';
import { authenticateBearer } from '../../../main/auth/bearer-auth.js';
import { recordClientAddress } from '../../../main/auth/http-util.js';
import { createGrantStore, type Grant } from '../../../main/auth/grant-store.js';
import { createRateLimiter } from '../../../main/auth/rate-limiter.js';
import { createTokenCodec, type AccessClaims } from '../../../main/auth/token-codec.js';
import { ManualClock } from '../../fixtures/manual-clock.js';

const ORIGIN = 'https://abc.trycloudflare.com';
/**
 * A request that came through the tunnel: cloudflared connects from loopback, and the public listener
 * records the caller's address (Cf-Connecting-Ip) before auth runs, as publicClientAddress does.
 */
const request = (authorization?: string, ip = '203.0.113.9') => {
  const req = {
    headers: { 'cf-connecting-ip': ip, ...(authorization === undefined ? {} : { authorization }) },
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  recordClientAddress(req, ip);
  return req;
};

/**
 * authenticateBearer on its own: each claim it checks (RFC 9068 §4, RFC 8707 audience) is changed
 * alone in a token signed with the right key, so a refusal can only come from that check.
 */
describe('authenticateBearer', () => {
  const codec = createTokenCodec(randomBytes(32));
  const clock = new ManualClock();
  let dataDir: string;
  let grants: Awaited<ReturnType<typeof createGrantStore>>;
  let grant: Grant;
  let origin: string | null = ORIGIN;
  const context = (limits: { failures?: number; calls?: number } = {}): AuthContext =>
    ({
      clock,
      origin: () => origin,
      grants,
      codec,
      limits: {
        failures: createRateLimiter({ limit: limits.failures ?? 100, windowMs: 60_000, clock }),
        calls: createRateLimiter({ limit: limits.calls ?? 100, windowMs: 60_000, clock }),
      },
      // The parts authenticateBearer never reads (clients, codes, pending) stay out.
    }) as unknown as AuthContext;
  const claims = (edit: Partial<AccessClaims> = {}): AccessClaims => ({
    iss: ORIGIN,
    aud: `${ORIGIN}/mcp`,
    sub: grant.id,
    client_id: grant.clientId,
    scope: 'mcp:read mcp:full',
    iat: Math.floor(clock.now() / 1000),
    exp: Math.floor(clock.now() / 1000) + 3600,
    jti: randomBytes(8).toString('hex'),
    ...edit,
  });
  const bearer = (edit?: Partial<AccessClaims>) => `Bearer ${codec.sign(claims(edit))}`;
  const refusal = (decision: ReturnType<typeof authenticateBearer>) => {
    assert.equal(decision.ok, false);
    if (decision.ok) throw new Error('unreachable');
    return decision;
  };
  const invalidBecause = (decision: ReturnType<typeof authenticateBearer>, why: RegExp) => {
    const d = refusal(decision);
    assert.equal(d.status, 401);
    assert.match(d.headers?.['WWW-Authenticate'] ?? '', /^Bearer error="invalid_token", error_description="/);
    assert.match((d.body as { error_description: string }).error_description, why);
  };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tg-bearer-'));
    grants = await createGrantStore({ dataDir, clock });
    ({ grant } = await grants.create({
      clientId: 'client-1',
      clientName: 'ChatGPT',
      redirectHost: 'chatgpt.com',
      scopes: ['mcp:read'],
      resource: `${ORIGIN}/mcp`,
    }));
  });
  after(async () => {
    await grants.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a well-formed token: the grant as principal, scopes capped by the grant, last use recorded', () => {
    clock.advance(5_000);
    const d = authenticateBearer(context(), request(bearer()));
    assert.deepEqual(d, {
      ok: true,
      principal: {
        kind: 'oauth',
        clientId: 'client-1',
        clientName: 'ChatGPT',
        grantId: grant.id,
        scopes: ['mcp:read'],
      },
    });
    assert.equal(grants.get(grant.id)?.lastUsedAt, clock.now());
  });

  it('the resource may carry a trailing slash (RFC 8707 resources compare as URLs)', () => {
    assert.equal(authenticateBearer(context(), request(bearer({ aud: `${ORIGIN}/mcp/` }))).ok, true);
  });

  it('a token for another audience or issuer, signed with the right key: 401 naming the address change', () => {
    for (const edit of [
      { aud: 'https://other.example/mcp' },
      { aud: `${ORIGIN}/other` },
      { iss: 'https://other.example' },
    ])
      invalidBecause(authenticateBearer(context(), request(bearer(edit))), /another server address/);
  });

  it('expired at exactly exp (RFC 7519 §4.1.4: on or after)', () => {
    const exp = Math.floor(clock.now() / 1000);
    invalidBecause(authenticateBearer(context(), request(bearer({ exp }))), /expired/);
  });

  it('a grant the owner revoked, or a token naming another client for the grant: 401', () => {
    invalidBecause(authenticateBearer(context(), request(bearer({ sub: 'g_gone' }))), /revoked by the owner/);
    invalidBecause(
      authenticateBearer(context(), request(bearer({ client_id: 'client-2' }))),
      /revoked by the owner/,
    );
  });

  it('a revoked jti (RFC 7009): 401', async () => {
    const c = claims();
    await grants.revokeJti(c.jti, c.exp);
    invalidBecause(authenticateBearer(context(), request(`Bearer ${codec.sign(c)}`)), /token was revoked/);
  });

  it('a token signed with another key, or not a bearer header: 401', () => {
    const foreign = createTokenCodec(randomBytes(32)).sign(claims());
    invalidBecause(authenticateBearer(context(), request(`Bearer ${foreign}`)), /not valid/);
    invalidBecause(authenticateBearer(context(), request('Basic dXNlcjpwYXNz')), /not a bearer token/);
  });

  it('no Authorization header: a bare challenge without an error code (RFC 6750 §3.1)', () => {
    const d = refusal(authenticateBearer(context(), request()));
    assert.equal(d.status, 401);
    assert.equal(
      d.headers?.['WWW-Authenticate'],
      `Bearer resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource/mcp", scope="mcp:full"`,
    );
  });

  it('failures are limited per address, and a valid token still passes from there', () => {
    const ctx = context({ failures: 1 });
    invalidBecause(authenticateBearer(ctx, request('Bearer nope')), /not valid/);
    const limited = refusal(authenticateBearer(ctx, request('Bearer nope')));
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers?.['Retry-After']) > 0);
    assert.equal(authenticateBearer(ctx, request(bearer())).ok, true);
    assert.equal(refusal(authenticateBearer(ctx, request('Bearer nope', '198.51.100.1'))).status, 401);
  });

  it('failures count per IPv6 /64: varying the host part does not escape the limit', () => {
    const ctx = context({ failures: 1 });
    invalidBecause(authenticateBearer(ctx, request('Bearer nope', '2001:db8:1:2::1')), /not valid/);
    assert.equal(refusal(authenticateBearer(ctx, request('Bearer nope', '2001:db8:1:2::99'))).status, 429);
    assert.equal(refusal(authenticateBearer(ctx, request('Bearer nope', '2001:db8:1:3::1'))).status, 401);
  });

  it('calls are limited per client', () => {
    const ctx = context({ calls: 1 });
    assert.equal(authenticateBearer(ctx, request(bearer())).ok, true);
    assert.equal(refusal(authenticateBearer(ctx, request(bearer()))).status, 429);
  });

  it('the public URL not known yet: 503 with Retry-After, nothing checked', () => {
    origin = null;
    try {
      const d = refusal(authenticateBearer(context(), request(bearer())));
      assert.equal(d.status, 503);
      assert.equal(d.headers?.['Retry-After'], '5');
    } finally {
      origin = ORIGIN;
    }
  });
});
