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
