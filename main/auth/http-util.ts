import { addressGroup } from './address-filter.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson as sendJsonBody } from '../common/http-body.js';

const OAUTH_BODY_LIMIT = 16 * 1024;

/**
 * Reads an OAuth request body (they are small: at most 16 KiB, within `timeoutMs`) or answers the
 * failure itself as an OAuth error named `error` and resolves null: 408 when the body came too slowly,
 * 400 otherwise, with Connection: close since the rest of the body is not read.
 */
export async function readOAuthBody(
  req: IncomingMessage,
  res: ServerResponse,
  error: string,
  timeoutMs = 10_000,
): Promise<string | null> {
  const body = await readBody(req, OAUTH_BODY_LIMIT, { timeoutMs });
  if (body.ok) return body.text;
  const what =
    body.reason === 'too-large'
      ? `The request body is larger than ${OAUTH_BODY_LIMIT} bytes, which this endpoint does not accept.`
      : body.reason === 'timeout'
        ? `The request body did not arrive within ${Math.round(timeoutMs / 1000)} s; send it in one go.`
        : 'The body could not be read.';
  sendOAuthError(res, body.reason === 'timeout' ? 408 : 400, error, what, {
    ...CORS_HEADERS,
    Connection: 'close',
  });
  return null;
}

/** Parses an application/x-www-form-urlencoded body; a repeated parameter is an error (RFC 6749 §3.1). */
export function parseForm(body: string): { params: Map<string, string>; repeated?: string } {
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) {
    if (params.has(key)) return { params, repeated: key };
    params.set(key, value);
  }
  return { params };
}

/** The media type of the request without parameters, lower-cased. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/**
 * Sends a JSON body (common/http-body.ts) with the headers every OAuth answer carries: a charset and
 * nosniff, and `noStore` for anything carrying tokens or codes (RFC 6749 §5.1).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  options: { headers?: Record<string, string>; noStore?: boolean; head?: boolean } = {},
): void {
  sendJsonBody(
    res,
    status,
    body,
    {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
      ...(options.noStore ? NO_STORE : {}),
      ...options.headers,
    },
    { head: options.head },
  );
}

/** An OAuth error response (RFC 6749 §5.2), never cached. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, { error, error_description: description }, { noStore: true, headers });
}

/** Cross-origin access to the OAuth JSON endpoints: they carry no cookies, so any origin may call them. */
export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version',
  'Access-Control-Max-Age': '600',
};

/** Answers a CORS preflight. */
export function sendPreflight(res: ServerResponse): void {
  res.writeHead(204, CORS_HEADERS);
  res.end();
}

const recordedAddress = new WeakMap<IncomingMessage, string>();

/**
 * Records the caller's address as the public listener established it (gateway/front/client-address.ts):
 * Cf-Connecting-Ip only where a Cloudflare tunnel is the one forwarder, else the socket's address.
 */
export function recordClientAddress(req: IncomingMessage, address: string): void {
  recordedAddress.set(req, address);
}

/**
 * The caller's address for rate limits and the approval queue: the one the public listener recorded,
 * else the socket's. Client-supplied forwarding headers are never read here: X-Forwarded-For is
 * written by whoever sends the request, so trusting it would let one sender pose as many.
 */
/**
 * The key the per-address rate limits count under: IPv6 by /64, since one host commonly holds a whole
 * /64 and could otherwise rotate addresses past every limit (and flush other callers' buckets).
 */
export function rateKey(req: IncomingMessage): string {
  return addressGroup(clientIp(req));
}

export function clientIp(req: IncomingMessage): string {
  return recordedAddress.get(req) ?? req.socket.remoteAddress ?? 'unknown';
}

/** A single header value (first one if repeated). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
