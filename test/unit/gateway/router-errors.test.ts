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

// A newcomer saw "is restarting (next attempt in 13 s); last error: ... retrying in about 28 s
// (attempt 8)." The supervisor's note was written when the attempt failed; the countdown is now's.
it("a restarting upstream's error counts down once: the supervisor's own retry note is taken off", () => {
  const error =
    "Upstream 'gh' is unreachable at http://127.0.0.1:1/mcp (ECONNREFUSED: connection refused: nothing listens there); retrying in about 28 s (attempt 8).";
  const e = unavailableError(state('restarting', { nextRetryAt: 13_000, error }), 0);
  assert.equal(
    e.message,
    "Upstream 'gh' is restarting (next attempt in 13 s, after 8 failed); last error: Upstream 'gh' is unreachable at http://127.0.0.1:1/mcp (ECONNREFUSED: connection refused: nothing listens there).",
  );
  // An error without the note (a builtin's, a test's) is kept whole.
  assert.match(
    unavailableError(state('restarting', { error: 'it crashed' }), 0).message,
    /; last error: it crashed$/,
  );
});
