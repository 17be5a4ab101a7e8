import type { ServerResponse } from 'node:http';
import type { JsonRpcId } from '../upstream/types.js';
import { sendJson } from '../../common/http-body.js';
import { INTERNAL_ERROR } from './protocol.js';

// The front's handlers import it from here beside the JSON-RPC error helpers.
export { sendJson };

/** A JSON-RPC error response object. */
function rpcError(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): Record<string, unknown> {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** Sends an HTTP error whose body is a JSON-RPC error, so every MCP client can show the reason. */
export function sendRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  id: JsonRpcId | null = null,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, rpcError(id, code, message), headers);
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Answers a failure inside the gateway (a bug) on one request: a 500 whose JSON-RPC error says so,
 * ending the connection, or the connection cut when an answer is already under way. One request
 * fails; the listener goes on.
 */
export function answerInternalError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendRpcError(
    res,
    500,
    INTERNAL_ERROR,
    `Internal error in the gateway: ${err instanceof Error ? err.message : String(err)}`,
    null,
    { Connection: 'close' },
  );
}
