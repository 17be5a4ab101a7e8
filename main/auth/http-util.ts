import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request body larger than the endpoint accepts. */
export class BodyTooLargeError extends Error {
  constructor(limit: number) {
    super(`The request body is larger than ${limit} bytes, which this endpoint does not accept.`);
    this.name = 'BodyTooLargeError';
  }
}

/** A request body that did not arrive in time (a stalled or deliberately slow client). */
export class BodyTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`The request body did not arrive within ${Math.round(timeoutMs / 1000)} s; send it in one go.`);
    this.name = 'BodyTimeoutError';
  }
}

/**
 * Reads the whole body as UTF-8, refusing more than `limit` bytes (OAuth bodies are small) or a body
 * that takes longer than `timeoutMs`: the gateway's server has no request timeout (long-lived MCP
 * streams), so without this deadline a client could hold public connections open by sending slowly.
 */
export function readBody(req: IncomingMessage, limit = 16 * 1024, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      if (!err) return resolve(Buffer.concat(chunks).toString('utf8'));
      // Stop reading; the caller answers (with Connection: close) and Node drops the rest.
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(new BodyTooLargeError(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => stop();
    const onError = (err: Error) => stop(err);
    const onAborted = () => stop(new Error('The client closed the connection before the body was complete.'));
    const timer = setTimeout(() => stop(new BodyTimeoutError(timeoutMs)), timeoutMs);
    timer.unref();
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
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

/** Sends a JSON body. `noStore` for anything carrying tokens or codes (RFC 6749 §5.1). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  options: { headers?: Record<string, string>; noStore?: boolean; head?: boolean } = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'X-Content-Type-Options': 'nosniff',
    ...(options.noStore ? NO_STORE : {}),
    ...options.headers,
  });
  res.end(options.head ? undefined : text);
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
