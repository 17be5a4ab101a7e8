import { UPSTREAM_ERROR, UpstreamError } from '../upstream/types.js';
import type { UpstreamState } from '../upstream/types.js';
import { RETRY_NOTE } from '../upstream/supervised-upstream.js';

/** JSON-RPC error codes the router uses (server-defined range, JSON-RPC 2.0 section 5.1). */
export const ERR_METHOD_NOT_FOUND = -32601;
export const ERR_INVALID_PARAMS = -32602;
export const ERR_INTERNAL = -32603;
/**
 * The caller's scopes do not allow this (e.g. a read-only client calling a write tool). Distinct from
 * the upstream codes (UPSTREAM_ERROR: -32003 unavailable, -32004 needs sign-in), so a client sees
 * one code per condition whichever layer refuses the call.
 */
export const ERR_FORBIDDEN = -32005;

/** A clear error for a call to an upstream that is not ready, naming it and what happens next. */
export function unavailableError(state: UpstreamState, now = Date.now()): UpstreamError {
  const name = state.name;
  let text: string;
  let error = state.error;
  switch (state.status) {
    case 'restarting': {
      const wait =
        state.nextRetryAt === undefined
          ? undefined
          : Math.max(0, Math.ceil((state.nextRetryAt - now) / 1000));
      // The supervisor's own note ("retrying in about 28 s (attempt 8)") was right when the attempt
      // failed, and contradicts the countdown here seconds later: only its count stays.
      const note = state.error?.match(RETRY_NOTE);
      if (note) error = state.error!.slice(0, note.index) + '.';
      const failed = note ? `, after ${note[1]} failed` : '';
      text = `Upstream '${name}' is restarting${wait === undefined ? '' : ` (next attempt in ${wait} s${failed})`}`;
      break;
    }
    case 'starting':
      text = `Upstream '${name}' is starting; try again in a moment`;
      break;
    case 'needs-auth':
      text = `Upstream '${name}' needs you to sign in: open Tunnelgate's Servers page and choose Sign in`;
      break;
    case 'disabled':
    case 'stopped':
      text = `Upstream '${name}' is ${state.status}; enable it in the config to use its tools`;
      break;
    default:
      text = `Upstream '${name}' is not available (${state.status})`;
  }
  if (error !== undefined && state.status !== 'restarting') text += `: ${error}`;
  else if (error !== undefined) text += `; last error: ${error}`;
  const code = state.status === 'needs-auth' ? UPSTREAM_ERROR.needsAuth : UPSTREAM_ERROR.unavailable;
  return new UpstreamError(code, text, {
    upstream: name,
    status: state.status,
    nextRetryAt: state.nextRetryAt,
  });
}
