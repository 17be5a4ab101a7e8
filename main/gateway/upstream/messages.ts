import { messageShape } from '../json-rpc.js';
import { UpstreamError, UPSTREAM_ERROR, type RawObject } from './types.js';

/** A JSON-RPC response (has an id and a result or an error, no method). */
export function isResponse(msg: RawObject): boolean {
  return messageShape(msg) === 'response';
}

/** A JSON-RPC request (method and id). */
export function isRequest(msg: RawObject): boolean {
  return messageShape(msg) === 'request';
}

/** The upstream's JSON-RPC error, code and data kept; the message says which upstream answered. */
export function errorFromResponse(error: unknown, upstream: string, method: string): UpstreamError {
  const e = (error ?? {}) as RawObject;
  const code = typeof e.code === 'number' ? e.code : UPSTREAM_ERROR.internal;
  const message =
    typeof e.message === 'string'
      ? e.message
      : `Upstream '${upstream}' answered ${method} with a malformed error`;
  return new UpstreamError(code, message, e.data);
}

export function plainError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Words for a failed start: keeps messages that already name the upstream. */
export function describeFailure(name: string, err: unknown, fallback?: string): string {
  const text = plainError(err);
  if (text.startsWith(`Upstream '${name}'`)) return text;
  if (fallback && !text) return fallback;
  return `Upstream '${name}' failed to start: ${text}`;
}

/** A start failure; `permanent` ones (command not found, unsupported protocol) are not retried on their own. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

export function isPermanent(err: unknown): boolean {
  return err instanceof StartError && err.permanent;
}
