import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createTokenCodec, hashToken } from '../../../main/auth/token-codec.js';
import { pkceMatches } from '../../../main/auth/token-endpoint.js';
import { pkcePair } from '../../fixtures/auth/auth-harness.js';

const claims = {
  iss: 'https://x.example',
  aud: 'https://x.example/mcp',
  sub: 'g_1',
  client_id: 'tgc_1',
  scope: 'mcp:full',
  iat: 1,
  exp: 2,
  jti: 'j',
};

describe('access token codec (HS256)', () => {
  const codec = createTokenCodec(randomBytes(32));
  it('round-trips claims', () => assert.deepEqual(codec.verify(codec.sign(claims)), claims));
  it('refuses a token signed with another key', () =>
    assert.equal(createTokenCodec(randomBytes(32)).verify(codec.sign(claims)), null));
  it('refuses altered payloads, headers and signatures', () => {
    const [h, p, s] = codec.sign(claims).split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...claims, scope: 'mcp:full mcp:read' })).toString(
      'base64url',
    );
    assert.equal(codec.verify(`${h}.${other}.${s}`), null);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    assert.equal(codec.verify(`${none}.${p}.`), null);
    assert.equal(codec.verify(`${none}.${p}.${s}`), null);
    assert.equal(codec.verify(`${h}.${p}.${s.slice(0, -2)}`), null);
    assert.equal(codec.verify(`${h}.${p}`), null);
    assert.equal(codec.verify(''), null);
  });
  it('refuses a well-signed payload of the wrong shape', () => {
    const bad = codec.sign({ ...claims, exp: 'later' } as never);
    assert.equal(codec.verify(bad), null);
  });
  it('hashes tokens for storage', () => assert.match(hashToken('abc'), /^[0-9a-f]{64}$/));
});

describe('PKCE S256 (RFC 7636 §4.6)', () => {
  it('accepts the matching verifier only', () => {
    const { verifier, challenge } = pkcePair();
    assert.equal(pkceMatches(verifier, challenge), true);
    assert.equal(pkceMatches(pkcePair().verifier, challenge), false);
    assert.equal(pkceMatches(challenge, challenge), false, 'plain (challenge as verifier) fails');
  });
  it('checks the RFC 7636 test vector and the verifier syntax', () => {
    assert.equal(
      pkceMatches(
        'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
        'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      ),
      true,
    );
    assert.equal(pkceMatches('short', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'), false);
    assert.equal(pkceMatches(`${'a'.repeat(43)} `, 'x'), false);
  });
});
