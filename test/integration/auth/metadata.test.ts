import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../../fixtures/auth/auth-harness.js';

describe('well-known metadata (RFC 9728, RFC 8414)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
    it(`serves protected-resource metadata at ${path} with resource = origin + /mcp`, async () => {
      const res = await fetch(h.base + path);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const doc = (await res.json()) as Record<string, unknown>;
      assert.equal(doc.resource, `${h.base}/mcp`);
      assert.deepEqual(doc.authorization_servers, [h.base]);
      assert.deepEqual(doc.scopes_supported, ['mcp:read', 'mcp:full']);
    });
  }

  it('serves RFC 8414 metadata with exactly the advertised capabilities', async () => {
    const res = await fetch(`${h.base}/.well-known/oauth-authorization-server`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.issuer, h.base);
    assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
    assert.ok((doc.grant_types_supported as string[]).includes('authorization_code'));
    assert.ok((doc.grant_types_supported as string[]).includes('refresh_token'));
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['none', 'private_key_jwt']);
    assert.deepEqual(doc.token_endpoint_auth_signing_alg_values_supported, ['RS256', 'PS256', 'ES256']);
    assert.equal(doc.registration_endpoint, `${h.base}/oauth/register`);
    assert.equal(doc.client_id_metadata_document_supported, true);
    assert.deepEqual(doc.scopes_supported, ['mcp:read', 'mcp:full']);
    assert.deepEqual(doc.response_types_supported, ['code']);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'revocation_endpoint'])
      assert.ok(String(doc[k]).startsWith(`${h.base}/oauth/`), k);
    // RFC 9207: every authorization response carries iss, and that is advertised.
    assert.equal(doc.authorization_response_iss_parameter_supported, true);
  });

  it('answers HEAD on the RFC 8414 document with headers and no body', async () => {
    const res = await fetch(`${h.base}/.well-known/oauth-authorization-server`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.ok(Number(res.headers.get('content-length')) > 100);
    assert.equal(await res.text(), '');
  });

  it('answers /.well-known/openid-configuration with 404, never 5xx', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${h.base}/.well-known/openid-configuration`, { method });
      assert.equal(res.status, 404);
    }
  });

  it('refuses POST on metadata with 405 and allows CORS preflight', async () => {
    assert.equal(
      (await fetch(`${h.base}/.well-known/oauth-authorization-server`, { method: 'POST' })).status,
      405,
    );
    const pre = await fetch(`${h.base}/oauth/token`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  });

  it('follows the public origin: issuer and resource change with it, and url-changed is emitted', async () => {
    const events: { previous: string; current: string }[] = [];
    const off = h.auth.on('url-changed', (e) => events.push(e));
    h.setOrigin('https://words-here.trycloudflare.com/');
    // What cloudflared forwards: the public Host and Cloudflare's client-address header.
    const tunnel = { headers: { Host: 'words-here.trycloudflare.com', 'Cf-Connecting-Ip': '203.0.113.7' } };
    try {
      const prm = (await (
        await fetch(`${h.base}/.well-known/oauth-protected-resource`, tunnel)
      ).json()) as Record<string, unknown>;
      assert.equal(prm.resource, 'https://words-here.trycloudflare.com/mcp');
      const as = (await (
        await fetch(`${h.base}/.well-known/oauth-authorization-server`, tunnel)
      ).json()) as Record<string, unknown>;
      assert.equal(as.issuer, 'https://words-here.trycloudflare.com');
      assert.equal(as.token_endpoint, 'https://words-here.trycloudflare.com/oauth/token');
      assert.deepEqual(events, [{ previous: h.base, current: 'https://words-here.trycloudflare.com' }]);
      // Nothing on the public listener is local: a loopback Host with no tunnel headers (what a
      // reverse proxy rewriting Host sends) is served the public origin too.
      const local = (await (
        await fetch(`${h.base}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      assert.equal(local.issuer, 'https://words-here.trycloudflare.com');
    } finally {
      h.setOrigin(undefined);
      off();
    }
  });

  it('before the public URL is known, serves no metadata, not even to a request with a loopback Host', async () => {
    h.setOrigin(null);
    try {
      const direct = await fetch(`${h.base}/.well-known/oauth-authorization-server`);
      assert.equal(direct.status, 404);
      const tunnelled = await fetch(`${h.base}/.well-known/oauth-authorization-server`, {
        headers: { 'Cf-Connecting-Ip': '203.0.113.1' },
      });
      assert.equal(tunnelled.status, 404);
    } finally {
      h.setOrigin(undefined);
    }
  });

  it('does not claim paths outside the OAuth surface', async () => {
    assert.equal((await fetch(`${h.base}/admin`)).status, 404);
    assert.equal((await fetch(`${h.base}/.well-known/other`)).status, 404);
  });
});
