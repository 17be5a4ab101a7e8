import {
  AccessDeniedError,
  InvalidClientError,
  InvalidGrantError,
  InvalidScopeError,
  InvalidTargetError,
  OAuthError,
  ServerError,
  TemporarilyUnavailableError,
  TooManyRequestsError,
  UnauthorizedClientError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';

/**
 * Upstream sign-in failed for a reason that may pass (network down, 5xx, rate limited): the
 * connection should retry with backoff, and must not ask the user to sign in again.
 */
export class UpstreamAuthTransientError extends Error {
  readonly transient = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamAuthTransientError';
  }
}

/**
 * Upstream sign-in cannot work as configured (no OAuth metadata, resource mismatch, registration
 * refused): retrying will not help; the message says what to change.
 */
export class UpstreamAuthError extends Error {
  readonly transient = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamAuthError';
  }
}

/** Whether an error from a fetch or an SDK auth helper is a network-level failure. */
export function isNetworkError(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    (err instanceof Error &&
      /fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up/i.test(
        `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}`,
      ))
  );
}

/**
 * A failed token request (refresh or code exchange): 'sign-in' when the grant or client is no
 * longer accepted (RFC 6749 §5.2: invalid_grant, invalid_client, ...), 'transient' otherwise.
 */
export function classifyTokenError(err: unknown): 'sign-in' | 'transient' {
  if (isNetworkError(err)) return 'transient';
  if (
    err instanceof InvalidGrantError ||
    err instanceof InvalidClientError ||
    err instanceof UnauthorizedClientError ||
    err instanceof InvalidScopeError ||
    err instanceof InvalidTargetError ||
    err instanceof AccessDeniedError
  ) {
    return 'sign-in';
  }
  // A non-OAuth error body with a 4xx status (not 429) will not change by retrying.
  if (err instanceof ServerError && /^HTTP 4(?!29)\d\d/.test(err.message)) return 'sign-in';
  if (
    err instanceof ServerError ||
    err instanceof TemporarilyUnavailableError ||
    err instanceof TooManyRequestsError
  )
    return 'transient';
  // Any other OAuth error answer (invalid_request, unsupported_grant_type, ...) will not pass by itself.
  if (err instanceof OAuthError) return 'sign-in';
  return 'transient';
}

/** A short description of an error for a message a person reads (never includes tokens). */
export function describeError(err: unknown): string {
  if (err instanceof OAuthError)
    return `${err.errorCode}${err.message ? `: ${err.message.slice(0, 200)}` : ''}`;
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
