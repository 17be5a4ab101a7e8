import { StartError, plainError } from './messages.js';
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
  fetch?: typeof fetch;
}

/**
 * fetch() with the upstream's configured headers and OAuth: asks UpstreamAuth for the Authorization
 * header on each request, and on 401 (or 403 insufficient_scope, RFC 6750 section 3.1) lets it try a
 * silent fix once ('retry') or stops with NeedsSignInError. The client's own token is never sent here.
 */
export function createRemoteFetch(opts: RemoteFetchOptions) {
  const doFetch = opts.fetch ?? fetch;
  const { name, auth } = opts;

  async function headersFor(extra: Record<string, string>): Promise<Headers> {
    const h = new Headers(opts.headers ?? {});
    for (const [k, v] of Object.entries(extra)) h.set(k, v);
    const value = auth ? await auth.authorization() : undefined;
    if (value) h.set('Authorization', value);
    return h;
  }

  /** One request; also returns the Authorization header it carried, so a 401 can say which token was refused. */
  async function once(url: string, init: RequestInit, extra: Record<string, string>): Promise<[Response, string | undefined]> {
    const headers = await headersFor(extra);
    const sent = headers.get('authorization') ?? undefined;
    try {
      return [await doFetch(url, { ...init, headers }), sent];
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new UnreachableError(`is unreachable at ${safeUrl(url)} (${causeOf(err)})`);
    }
  }

  return async function remoteFetch(url: string, init: RequestInit, extra: Record<string, string> = {}): Promise<Response> {
    const first = await once(url, init, extra);
    let res = first[0];
    const refused = first[1];
    if (!needsAuth(res)) return res;
    const wwwAuthenticate = res.headers.get('www-authenticate') ?? undefined;
    await res.body?.cancel().catch(() => {});
    if (!auth) {
      throw new StartError(
        `Upstream '${name}' answered HTTP ${res.status} (not authorized) at ${safeUrl(url)}. Check the credentials in mcpServers.${name}.headers, or remove them to sign in with OAuth.`,
        true,
      );
    }
    const verdict = await auth.unauthorized({ url, wwwAuthenticate, status: res.status, ...(refused ? { authorization: refused } : {}) });
    if (verdict === 'retry') {
      [res] = await once(url, init, extra);
      if (!needsAuth(res)) return res;
      await res.body?.cancel().catch(() => {});
    }
    throw new NeedsSignInError(`the server at ${safeUrl(url)} answered HTTP ${res.status}. Sign in to it from the Servers page`);
  };
}

export type RemoteFetch = ReturnType<typeof createRemoteFetch>;

function needsAuth(res: Response): boolean {
  if (res.status === 401) return true;
  return res.status === 403 && /insufficient_scope/.test(res.headers.get('www-authenticate') ?? '');
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

/** "CODE: words" for a fetch failure (undici puts the system error in `cause`). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code) return CAUSES[code] ? `${code}: ${CAUSES[code]}` : code;
  return cause?.message ?? plainError(err);
}

/** First bytes of an error body, for messages (never a whole page). */
export async function bodyExcerpt(res: Response): Promise<string> {
  try {
    const text = (await res.text()).replace(/\s+/g, ' ').trim();
    return text.length > 200 ? `${text.slice(0, 200)}...` : text;
  } catch {
    return '';
  }
}
