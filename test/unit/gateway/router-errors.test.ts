import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ERR_FORBIDDEN, unavailableError } from '../../../main/gateway/router/errors.js';
import { UPSTREAM_ERROR } from '../../../main/gateway/upstream/types.js';
import type { UpstreamState } from '../../../main/gateway/upstream/types.js';

const state = (status: UpstreamState['status'], extra: Partial<UpstreamState> = {}): UpstreamState => ({
  name: 'gh',
  transport: 'http',
  status,
  since: 0,
  restarts: 0,
  ...extra,
});

it('router errors use the upstream layer numbering: one code per condition, whichever layer refuses', () => {
  const restarting = unavailableError(state('restarting', { nextRetryAt: 4_000 }), 0);
  assert.equal(restarting.code, UPSTREAM_ERROR.unavailable);
  assert.match(restarting.message, /Upstream 'gh' is restarting \(next attempt in 4 s\)/);
  const signIn = unavailableError(state('needs-auth'));
  assert.equal(signIn.code, UPSTREAM_ERROR.needsAuth);
  assert.match(signIn.message, /needs you to sign in/);
  assert.equal(unavailableError(state('disabled')).code, UPSTREAM_ERROR.unavailable);
  const codes = new Set<number>([ERR_FORBIDDEN, ...Object.values(UPSTREAM_ERROR)]);
  assert.equal(codes.size, Object.values(UPSTREAM_ERROR).length + 1, 'forbidden has a code of its own');
});
