import assert from 'node:assert/strict';
import { it } from 'node:test';
import { secretEquals } from '../../../main/auth/secret-equals.js';

it('secretEquals: equal only for the same string, whatever the lengths', () => {
  const secret = '/s/3q2-7fQe0Yk1nV9zA_bc/mcp';
  assert.equal(secretEquals(secret, secret), true);
  assert.equal(secretEquals(`${secret}x`, secret), false);
  assert.equal(secretEquals(secret.slice(0, -1), secret), false);
  assert.equal(secretEquals('', secret), false);
  assert.equal(secretEquals('/mcp', '/mcp'), true);
  assert.equal(secretEquals('/MCP', '/mcp'), false);
});

it('createSecretMatcher: matches any expected value, follows a changed set', async () => {
  const { createSecretMatcher } = await import('../../../main/auth/secret-equals.js');
  const match = createSecretMatcher();
  assert.equal(match('/s/abc/mcp', ['/s/abc/mcp', '/mcp']), true);
  assert.equal(match('/mcp', ['/s/abc/mcp', '/mcp']), true);
  assert.equal(match('/s/abd/mcp', ['/s/abc/mcp', '/mcp']), false);
  assert.equal(
    match('/s/abc/mcp', ['/s/xyz/mcp']),
    false,
    'a new set (e.g. a new secret) replaces the cached one',
  );
  assert.equal(match('/s/xyz/mcp', ['/s/xyz/mcp']), true);
  assert.equal(match('/mcp', []), false);
});
