import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GrantRevocationView } from '../../../preload/contract.js';
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

// A refresh answer lost in the tunnel, or two workers refreshing at once, send the same refresh token
// twice. Within 60 s the same client gets the same successor and the grant lives; after that, or from
// anyone else, it is a replay (RFC 9700 §4.14.2): the grant is revoked and the owner is told.
describe('refresh token rotation with a retry grace window', () => {
  let h: Harness;
  let clientId: string;
  const revoked: GrantRevocationView[] = [];
  before(async () => {
    h = await startHarness({ limits: { requestsPerMinute: 1000, failedAuthPerMinute: 1000 } });
    clientId = await registerClient(h, [CHATGPT_REDIRECT], 'ChatGPT');
    h.auth.on('grant-revoked', (r) => revoked.push(r));
  });
  after(async () => h.close());

  const refresh = (token: string) =>
    tokenRequest(h, { grant_type: 'refresh_token', refresh_token: token, client_id: clientId });
  const fresh = async () => (await connect(h, { clientId, redirectUri: CHATGPT_REDIRECT })).tokens;
  const grantIds = () => h.auth.listGrants().map((g) => g.id);

  it('two concurrent refreshes with one token both succeed with the same successor; the grant lives', async () => {
    const t = await fresh();
    const grants = grantIds();
    const [a, b] = await Promise.all([refresh(t.refresh_token), refresh(t.refresh_token)]);
    assert.equal(a.status, 200, await a.clone().text());
    assert.equal(b.status, 200, await b.clone().text());
    const [ta, tb] = [(await a.json()) as Tokens, (await b.json()) as Tokens];
    assert.equal(ta.refresh_token, tb.refresh_token, 'whichever answer the client keeps, it works');
    assert.equal((await callMcp(h, ta.access_token)).status, 200);
    assert.equal((await callMcp(h, tb.access_token)).status, 200);
    assert.deepEqual(grantIds(), grants);
    const next = await refresh(ta.refresh_token);
    assert.equal(next.status, 200, 'the successor keeps rotating');
    assert.equal(revoked.length, 0);
  });

  it('a retry after a lost answer, 59 s later, gets the same successor', async () => {
    const t = await fresh();
    const first = (await (await refresh(t.refresh_token)).json()) as Tokens;
    h.clock.advance(59_000);
    const retry = await refresh(t.refresh_token);
    assert.equal(retry.status, 200);
    assert.equal(((await retry.json()) as Tokens).refresh_token, first.refresh_token);
  });

  it('reuse after the window revokes the grant, says why, and tells the owner', async () => {
    const t = await fresh();
    const first = (await (await refresh(t.refresh_token)).json()) as Tokens;
    const grant = h.auth.listGrants().at(-1)!;
    h.clock.advance(61_000);
    const late = await refresh(t.refresh_token);
    assert.equal(late.status, 400);
    const body = (await late.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_grant');
    assert.match(body.error_description, /^refresh token reused; sign in again/);
    assert.ok(!grantIds().includes(grant.id), 'the grant is revoked');
    // The access token from the successor fails and says who revoked it (not "the owner").
    const call = await callMcp(h, first.access_token);
    assert.equal(call.status, 401);
    assert.match(
      ((await call.json()) as { error_description: string }).error_description,
      /refresh token reused/,
    );
    const after = await refresh(first.refresh_token);
    assert.match(
      ((await after.json()) as { error_description: string }).error_description,
      /refresh token reused/,
    );
    // The owner: an event, and the list the window shows.
    assert.deepEqual(
      revoked.map((r) => [r.grantId, r.clientName, r.reason]),
      [[grant.id, 'ChatGPT', 'refresh-reuse']],
    );
    assert.match(revoked[0]!.message, /^refresh token reused; sign in again/);
    assert.equal(h.auth.recentRevocations()[0]?.grantId, grant.id);
    revoked.length = 0;
  });

  it('only the just-rotated token gets the grace: an older one revokes at once', async () => {
    const t0 = await fresh();
    const t1 = (await (await refresh(t0.refresh_token)).json()) as Tokens;
    assert.equal((await refresh(t1.refresh_token)).status, 200);
    const old = await refresh(t0.refresh_token);
    assert.equal(old.status, 400);
    assert.equal(revoked.at(-1)?.reason, 'refresh-reuse');
    revoked.length = 0;
  });

  it('a retry that does not name the client is not the same client: revoked', async () => {
    const t = await fresh();
    assert.equal((await refresh(t.refresh_token)).status, 200);
    const anonymous = await tokenRequest(h, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    assert.equal(anonymous.status, 400);
    assert.equal(revoked.at(-1)?.reason, 'refresh-reuse');
    revoked.length = 0;
  });

  it('a reused authorization code is reported as such, not as the owner revoking', async () => {
    const before = revoked.length;
    const { verifier, challenge } = pkcePair();
    const id = await startAuthorization(h, { clientId, redirectUri: CHATGPT_REDIRECT, challenge });
    await h.auth.approve(id, ['mcp:full']);
    const code = (await followApproval(h, id)).searchParams.get('code')!;
    const body = {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      client_id: clientId,
      redirect_uri: CHATGPT_REDIRECT,
    };
    const t = (await (await tokenRequest(h, body)).json()) as Tokens;
    const again = await tokenRequest(h, body);
    assert.match(
      ((await again.json()) as { error_description: string }).error_description,
      /^authorization code reused/,
    );
    assert.equal(revoked.length, before + 1);
    assert.equal(revoked.at(-1)?.reason, 'code-reuse');
    const call = await callMcp(h, t.access_token);
    assert.match(
      ((await call.json()) as { error_description: string }).error_description,
      /authorization code reused/,
    );
  });

  it('after a restart inside the window the successor is unknown: refused, but the grant is kept', async () => {
    const t = await fresh();
    const first = (await (await refresh(t.refresh_token)).json()) as Tokens;
    const grants = grantIds();
    await h.restart();
    h.auth.on('grant-revoked', (r) => revoked.push(r));
    const retry = await refresh(t.refresh_token);
    assert.equal(retry.status, 400);
    assert.match(((await retry.json()) as { error_description: string }).error_description, /grant is kept/);
    assert.deepEqual(grantIds(), grants);
    assert.equal((await refresh(first.refresh_token)).status, 200, 'the successor still works');
  });
});
