import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cimdUrlProblem, createCimdResolver } from '../../../main/auth/cimd.js';
import type { CimdResponse, CimdTransport } from '../../../main/auth/cimd-transport.js';
import { createTestClock } from '../../fixtures/auth/auth-harness.js';

const URL_ID = 'https://client.example.com/oauth/metadata.json';
const goodDoc = (over: Record<string, unknown> = {}) => ({
  client_id: URL_ID,
  client_name: 'Example',
  redirect_uris: ['https://client.example.com/cb'],
  token_endpoint_auth_method: 'none',
  ...over,
});

/** A transport that answers from a table and records what was contacted. */
function fakeTransport(addresses: string[], answer: Partial<CimdResponse> & { body?: string } = {}) {
  const calls: { url: string; address: string }[] = [];
  const transport: CimdTransport = {
    resolve: async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    get: async (url, address) => {
      calls.push({ url: url.toString(), address });
      return { status: 200, headers: {}, body: JSON.stringify(goodDoc()), ...answer };
    },
  };
  return { transport, calls };
}

/** A syntactically fine RSA public JWK (validation here does not check the numbers). */
const RSA_PUBLIC = { kty: 'RSA', kid: 'k1', n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri', e: 'AQAB' };

describe('Client ID Metadata Documents', () => {
  it("accepts ChatGPT's private_key_jwt document and records how it authenticates", async () => {
    const { transport } = fakeTransport(['93.184.216.34'], {
      body: JSON.stringify(
        goodDoc({
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'RS256',
          jwks_uri: 'https://chatgpt.com/oauth/jwks.json',
        }),
      ),
    });
    const c = await createCimdResolver({ transport, clock: createTestClock() }).load(URL_ID);
    assert.deepEqual(
      { m: c.authMethod, uri: c.jwksUri, alg: c.signingAlg },
      { m: 'private_key_jwt', uri: 'https://chatgpt.com/oauth/jwks.json', alg: 'RS256' },
    );
  });

  it('loads a valid document, connecting to the checked address, and caches it', async () => {
    const clock = createTestClock();
    const { transport, calls } = fakeTransport(['93.184.216.34'], {
      headers: { 'cache-control': 'max-age=120' },
    });
    const r = createCimdResolver({ transport, clock });
    const c = await r.load(URL_ID);
    assert.deepEqual(
      { id: c.clientId, name: c.clientName, uris: c.redirectUris, src: c.source, cimd: c.cimdUrl },
      { id: URL_ID, name: 'Example', uris: ['https://client.example.com/cb'], src: 'cimd', cimd: URL_ID },
    );
    assert.deepEqual(calls, [{ url: URL_ID, address: '93.184.216.34' }]);
    await r.load(URL_ID);
    assert.equal(calls.length, 1, 'cached');
    clock.advance(121_000);
    await r.load(URL_ID);
    assert.equal(calls.length, 2, 'refetched after max-age');
  });

  it('cleans the client name of bidirectional overrides and control characters', async () => {
    const { transport } = fakeTransport(['93.184.216.34'], {
      body: JSON.stringify(goodDoc({ client_name: '\u202eChatGPT\u0007\u200d' })),
    });
    const c = await createCimdResolver({ transport, clock: createTestClock() }).load(URL_ID);
    assert.equal(c.clientName, 'ChatGPT');
  });

  for (const addrs of [
    ['127.0.0.1'],
    ['10.1.2.3'],
    ['169.254.169.254'],
    ['::1'],
    ['fd00::5'],
    ['::ffff:192.168.0.1'],
    ['93.184.216.34', '192.168.0.10'],
  ]) {
    it(`refuses a host resolving to ${addrs.join(', ')} without contacting it`, async () => {
      const { transport, calls } = fakeTransport(addrs);
      const r = createCimdResolver({ transport, clock: createTestClock() });
      await assert.rejects(r.load(URL_ID), (err: Error) => {
        assert.match(err.message, /private, loopback or reserved/);
        // Shown to whoever named the client_id: never tell them what an internal name resolves to.
        for (const a of addrs)
          assert.ok(!err.message.includes(a), `the message reveals ${a}: ${err.message}`);
        return true;
      });
      assert.equal(calls.length, 0);
    });
  }

  it('refuses IP-literal URLs at private addresses without resolving', async () => {
    const { transport, calls } = fakeTransport(['93.184.216.34']);
    const r = createCimdResolver({ transport, clock: createTestClock() });
    await assert.rejects(r.load('https://127.0.0.1/client.json'), /private/);
    await assert.rejects(r.load('https://[::ffff:a9fe:a9fe]/client.json'), /private/);
    // Odd IPv4 spellings are normalized by the URL parser before the check.
    await assert.rejects(r.load('https://0x7f.1/client.json'), /127\.0\.0\.1, a private/);
    await assert.rejects(r.load('https://2130706433/client.json'), /127\.0\.0\.1, a private/);
    await assert.rejects(r.load('https://0251.0376.0251.0376/client.json'), /169\.254\.169\.254, a private/);
    assert.equal(calls.length, 0);
  });

  const badAnswers: [string, Partial<CimdResponse>, RegExp][] = [
    ['a redirect', { status: 302, headers: { location: 'https://127.0.0.1/' } }, /redirect/],
    ['a 404', { status: 404 }, /answered 404/],
    [
      'too large a body',
      { body: JSON.stringify(goodDoc({ client_name: 'x'.repeat(6000) })) },
      /larger than 5120 bytes/,
    ],
    ['not JSON', { body: '<html>' }, /not JSON/],
    [
      'a different client_id',
      { body: JSON.stringify(goodDoc({ client_id: 'https://client.example.com/other.json' })) },
      /not exactly the URL/,
    ],
    ['a client secret', { body: JSON.stringify(goodDoc({ client_secret: 's' })) }, /client_secret/],
    [
      'a confidential auth method',
      { body: JSON.stringify(goodDoc({ token_endpoint_auth_method: 'client_secret_basic' })) },
      /"client_secret_basic" needs a shared secret/,
    ],
    [
      'an unknown auth method',
      { body: JSON.stringify(goodDoc({ token_endpoint_auth_method: 'tls_client_auth' })) },
      /"tls_client_auth" is not supported/,
    ],
    [
      'private_key_jwt without keys',
      { body: JSON.stringify(goodDoc({ token_endpoint_auth_method: 'private_key_jwt' })) },
      /neither jwks_uri nor jwks/,
    ],
    [
      'private_key_jwt with both jwks_uri and jwks',
      {
        body: JSON.stringify(
          goodDoc({
            token_endpoint_auth_method: 'private_key_jwt',
            jwks_uri: 'https://client.example.com/jwks.json',
            jwks: { keys: [RSA_PUBLIC] },
          }),
        ),
      },
      /both jwks_uri and jwks/,
    ],
    [
      'an http jwks_uri',
      {
        body: JSON.stringify(
          goodDoc({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://client.example.com/k' }),
        ),
      },
      /jwks_uri must be an https URL/,
    ],
    [
      'an HS256 signing alg',
      {
        body: JSON.stringify(
          goodDoc({
            token_endpoint_auth_method: 'private_key_jwt',
            token_endpoint_auth_signing_alg: 'HS256',
            jwks: { keys: [RSA_PUBLIC] },
          }),
        ),
      },
      /"HS256" is not accepted/,
    ],
    [
      'inline jwks with a private key',
      {
        body: JSON.stringify(
          goodDoc({
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: { keys: [{ ...RSA_PUBLIC, d: 'x' }] },
          }),
        ),
      },
      /private key material/,
    ],
    [
      'inline jwks with a symmetric key',
      {
        body: JSON.stringify(
          goodDoc({
            token_endpoint_auth_method: 'private_key_jwt',
            jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] },
          }),
        ),
      },
      /kty "oct"/,
    ],
    ['no redirect_uris', { body: JSON.stringify(goodDoc({ redirect_uris: [] })) }, /redirect_uris/],
    [
      'an http redirect URI',
      { body: JSON.stringify(goodDoc({ redirect_uris: ['http://evil.example/cb'] })) },
      /redirect_uris\[0\]/,
    ],
  ];
  for (const [what, answer, message] of badAnswers) {
    it(`refuses ${what}`, async () => {
      const { transport } = fakeTransport(['93.184.216.34'], answer);
      await assert.rejects(createCimdResolver({ transport, clock: createTestClock() }).load(URL_ID), message);
    });
  }

  it('validates the client_id URL itself', () => {
    assert.equal(cimdUrlProblem(URL_ID), null);
    assert.match(cimdUrlProblem('http://client.example.com/m.json')!, /https/);
    assert.match(cimdUrlProblem('https://client.example.com/')!, /path/);
    assert.match(cimdUrlProblem('https://client.example.com/a/../m.json')!, /segments/);
    assert.match(cimdUrlProblem('https://u:p@client.example.com/m.json')!, /user name/);
    assert.match(cimdUrlProblem('https://client.example.com/m.json#x')!, /fragment/);
  });
});
