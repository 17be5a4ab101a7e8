import { StartError, plainError } from './messages.js';
import type { HttpResponse, HttpSend, RequestHandle } from './http-client.js';
import type { UpstreamAuth } from './upstream-auth.js';

/** The user must sign in; the connection moves to 'needs-auth'. */
export class NeedsSignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NeedsSignInError';
  }
}

/** The server could not be reached at all (refused, reset, DNS): the link is down. */
export class UnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

export interface RemoteFetchOptions {
  name: string;
  /** Headers from the config (secret refs resolved); sent on every request. */
  headers?: Record<string, string>;
  auth?: UpstreamAuth;
  /** The HTTP client to send with (the transport's keep-alive client). */
  send: HttpSend;
}

/** One request of a transport; the header names in `extra` are lower case. */
export interface RemoteInit {
  method: string;
  body?: string;
  signal?: AbortSignal;
  /** Also hears of each response first (RequestHandle.onResponse), a 401 that is then retried too. */
  handle?: RequestHandle;
}

/**
 * A request with the upstream's configured headers and OAuth: asks UpstreamAuth for the Authorization
 * header on each request, and on 401 (or 403 insufficient_scope, RFC 6750 section 3.1) lets it try a
 * silent fix once ('retry') or stops with NeedsSignInError. The client's own token is never sent here.
 */
export function createRemoteFetch(opts: RemoteFetchOptions) {
  const { name, auth, send } = opts;
  // Header names are case-insensitive (RFC 9110 section 5.1): lower-cased once so later keys override.
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers ?? {})) base[k.toLowerCase()] = v;

  /** The last headers made, for the `extra` object and Authorization value they were made of. */
  let last:
    { extra: Record<string, string>; value: string | undefined; headers: Record<string, string> } | undefined;

  /**
   * The request's headers: configured ones, then the transport's, then the Authorization value. The
   * same object as last time for the same `extra` object and value (a transport's POSTs), so that the
   * HTTP client can reuse its list form too (issue 16).
   */
  function headersFor(extra: Record<string, string>, value: string | undefined): Record<string, string> {
    if (last !== undefined && last.extra === extra && last.value === value) return last.headers;
    const headers: Record<string, string> = { ...base, ...extra };
    if (value) headers.authorization = value;
    last = { extra, value, headers };
    return headers;
  }

  /**
   * One request carrying Authorization `value`; a failure to reach the server as UnreachableError.
   * With `recovering`, a 401 (or 403 insufficient_scope) goes to recover(), which is told the refused
   * header. One `then` between the answer and the caller (issue 16).
   */
  function attempt(
    url: string,
    init: RemoteInit,
    extra: Record<string, string>,
    value: string | undefined,
    recovering: boolean,
  ): Promise<HttpResponse> {
    // The header it carries may also be a configured one: that is the one a 401 refused.
    const headers = headersFor(extra, value);
    let sent: Promise<HttpResponse>;
    try {
      sent = send(url, {
        method: init.method,
        headers,
        body: init.body,
        signal: init.signal,
        handle: init.handle,
      });
    } catch (err) {
      return Promise.reject(unreachable(url, err));
    }
    return sent.then(
      (res) => (recovering && needsAuth(res) ? recover(url, init, extra, res, headers.authorization) : res),
      (err: unknown) => {
        throw unreachable(url, err);
      },
    );
  }

  /** A request after asking UpstreamAuth for its header (it may have to load or refresh tokens). */
  async function afterLookup(
    url: string,
    init: RemoteInit,
    extra: Record<string, string>,
    recovering: boolean,
  ): Promise<HttpResponse> {
    return attempt(url, init, extra, await auth?.authorization(), recovering);
  }

  /** A 401 (or 403 insufficient_scope): a silent fix and one more try, or the sign-in error. */
  async function recover(
    url: string,
    init: RemoteInit,
    extra: Record<string, string>,
    refusedRes: HttpResponse,
    refused: string | undefined,
  ): Promise<HttpResponse> {
    let res = refusedRes;
    const wwwAuthenticate = res.header('www-authenticate');
    res.discard();
    if (!auth) {
      throw new StartError(
        `Upstream '${name}' answered HTTP ${res.status} (not authorized) at ${safeUrl(url)}. Check the credentials in mcpServers.${name}.headers, or remove them to sign in with OAuth.`,
        true,
      );
    }
    const verdict = await auth.unauthorized({
      url,
      wwwAuthenticate,
      status: res.status,
      ...(refused ? { authorization: refused } : {}),
    });
    if (verdict === 'retry') {
      res = await afterLookup(url, init, extra, false);
      if (!needsAuth(res)) return res;
      res.discard();
    }
    throw new NeedsSignInError(
      `the server at ${safeUrl(url)} answered HTTP ${res.status}. Sign in to it from the Servers page`,
    );
  }

  /** `extra`: the transport's headers, not changed once passed (a transport reuses one object). */
  return function remoteFetch(
    url: string,
    init: RemoteInit,
    extra: Record<string, string> = NO_HEADERS,
  ): Promise<HttpResponse> {
    // The header known without waiting (no OAuth, or tokens in memory and fresh): the request is
    // made now, in this turn, instead of after the awaits of a token lookup (issue 16: at c=1 every
    // microsecond before the upstream write is added to the call).
    const now =
      auth === undefined ? undefined : auth.authorizationNow === undefined ? null : auth.authorizationNow();
    if (now === null) return afterLookup(url, init, extra, true);
    return attempt(url, init, extra, now, true);
  };
}

const NO_HEADERS: Record<string, string> = Object.freeze({});

/** A failed request (refused, reset, DNS) as UnreachableError; an abort stays an abort. */
function unreachable(url: string, err: unknown): Error {
  if ((err as Error).name === 'AbortError') return err as Error;
  return new UnreachableError(`is unreachable at ${safeUrl(url)} (${causeOf(err)})`);
}

export type RemoteFetch = ReturnType<typeof createRemoteFetch>;

function needsAuth(res: HttpResponse): boolean {
  if (res.status === 401) return true;
  return res.status === 403 && /insufficient_scope/.test(res.header('www-authenticate') ?? '');
}

/** The URL without query or credentials: query strings sometimes carry API keys. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: nothing listens there',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'the server closed the connection',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** "CODE: words" for a request failure (node:http puts the system error code on the error itself). */
function causeOf(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code) return CAUSES[code] ? `${code}: ${CAUSES[code]}` : code;
  return e.cause?.message ?? plainError(err);
}

/** First bytes of an error body, for messages (never a whole page). */
export async function bodyExcerpt(res: HttpResponse): Promise<string> {
  try {
    const text = (await res.text()).replace(/\s+/g, ' ').trim();
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return '';
  }
}
