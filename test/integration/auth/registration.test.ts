import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CHATGPT_CONNECTOR_REDIRECT,
  CHATGPT_REDIRECT,
  chatgptRegistrationBody,
  startHarness,
  type Harness,
} from '../../fixtures/auth/auth-harness.js';
import { connect, register } from '../../fixtures/auth/oauth-steps.js';

describe('Dynamic Client Registration (RFC 7591)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ limits: { requestsPerMinute: 1000 } });
  });
  after(async () => h.close());

  it("accepts ChatGPT's observed body (auth method none, application_type web, no scope) with both redirect URI forms", async () => {
    const res = await register(h, chatgptRegistrationBody());
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const doc = (await res.json()) as Record<string, unknown>;
    assert.match(String(doc.client_id), /^tgc_[A-Za-z0-9_-]{20,}$/);
    assert.deepEqual(doc.redirect_uris, [CHATGPT_CONNECTOR_REDIRECT, CHATGPT_REDIRECT]);
    assert.equal(doc.token_endpoint_auth_method, 'none');
    assert.equal(doc.client_name, 'ChatGPT');
    assert.equal('client_secret' in doc, false);
    assert.equal(typeof doc.client_id_issued_at, 'number');
  });

  it('accepts the body without application_type and with a scope', async () => {
    const body = chatgptRegistrationBody([CHATGPT_REDIRECT]);
    delete body.application_type;
    const res = await register(h, { ...body, scope: 'mcp:full' });
    assert.equal(res.status, 201);
  });

  it('registers a client that asked for client_secret_post as a public client (RFC 7591 §3.2.1 may replace values)', async () => {
    const res = await register(h, {
      redirect_uris: ['http://127.0.0.1:33418/oauth/callback'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    assert.equal(res.status, 201);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.token_endpoint_auth_method, 'none');
    assert.equal('client_secret' in doc, false);
    assert.equal(doc.client_name, 'Unnamed client');
  });

  it('accepts loopback http redirect URIs for local clients', async () => {
    for (const uri of [
      'http://127.0.0.1:5555/cb',
      'http://localhost:9876/oauth/callback',
      'http://[::1]:8080/cb',
    ]) {
      assert.equal((await register(h, { redirect_uris: [uri] })).status, 201, uri);
    }
  });

  const bad: [string, unknown, string][] = [
    ['no redirect_uris', { client_name: 'x' }, 'invalid_redirect_uri'],
    ['empty redirect_uris', { redirect_uris: [] }, 'invalid_redirect_uri'],
    ['http on a public host', { redirect_uris: ['http://chatgpt.com/cb'] }, 'invalid_redirect_uri'],
    ['a fragment', { redirect_uris: ['https://chatgpt.com/cb#x'] }, 'invalid_redirect_uri'],
    ['a javascript: URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    ['a relative URI', { redirect_uris: ['/cb'] }, 'invalid_redirect_uri'],
    [
      'grant types without authorization_code',
      { redirect_uris: [CHATGPT_REDIRECT], grant_types: ['client_credentials'] },
      'invalid_client_metadata',
    ],
    [
      'response types without code',
      { redirect_uris: [CHATGPT_REDIRECT], response_types: ['token'] },
      'invalid_client_metadata',
    ],
    ['a JSON array', [CHATGPT_REDIRECT], 'invalid_client_metadata'],
  ];
  for (const [what, body, error] of bad) {
    it(`refuses ${what} with ${error}`, async () => {
      const res = await register(h, body);
      assert.equal(res.status, 400);
      const doc = (await res.json()) as Record<string, unknown>;
      assert.equal(doc.error, error);
      assert.equal(typeof doc.error_description, 'string');
    });
  }

  it('refuses a body that is not JSON or too large', async () => {
    const notJson = await fetch(`${h.base}/oauth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{',
    });
    assert.equal(notJson.status, 400);
    const huge = await fetch(`${h.base}/oauth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [CHATGPT_REDIRECT], client_name: 'x'.repeat(20_000) }),
    });
    assert.equal(huge.status, 400);
    const form = await fetch(`${h.base}/oauth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{}',
    });
    assert.equal(form.status, 400);
  });

  it('keeps a registration in memory only; clients.json lists a client once it holds a grant, and that survives a restart', async () => {
    const file = join(h.dataDir, 'auth', 'clients.json');
    const listed = async () => {
      const text = await readFile(file, 'utf8').catch(() => '');
      return {
        text,
        ids: text
          ? (JSON.parse(text) as { clients: { clientId: string }[] }).clients.map((c) => c.clientId)
          : [],
      };
    };
    const res = await register(h, chatgptRegistrationBody());
    const { client_id: waiting } = (await res.json()) as { client_id: string };
    assert.equal((await listed()).ids.includes(waiting), false, 'a registration alone is not written down');
    const { clientId: approved } = await connect(h, { redirectUri: CHATGPT_REDIRECT });
    const after = await listed();
    assert.deepEqual(after.ids, [approved], 'the approved client is stored, and only it');
    assert.equal(/secret/i.test(after.text), false);
    await h.restart();
    const authorize = (clientId: string) =>
      fetch(`${h.base}/oauth/authorize?client_id=${clientId}&response_type=code`, { redirect: 'manual' });
    // Known client (several redirect URIs, none given) => the page asks for redirect_uri, not "unknown client".
    const known = await authorize(approved);
    assert.equal(known.status, 302, 'one registered redirect URI: it is used');
    const forgotten = await authorize(waiting);
    assert.equal(forgotten.status, 400);
    assert.match(await forgotten.text(), /not registered here/);
    // Revoking its last grant takes the client out of the file again.
    await h.auth.revokeGrant(h.auth.listGrants()[0]!.id);
    assert.deepEqual((await listed()).ids, []);
  });
});

describe('registration rate limit', () => {
  it('answers 429 with Retry-After after too many registrations from one address', async () => {
    const h = await startHarness({ limits: { requestsPerMinute: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await register(h, chatgptRegistrationBody())).status);
      assert.deepEqual(statuses, [201, 201, 201, 429]);
      const res = await register(h, chatgptRegistrationBody());
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      h.clock.advance(60_000);
      assert.equal((await register(h, chatgptRegistrationBody())).status, 201);
    } finally {
      await h.close();
    }
  });
});
