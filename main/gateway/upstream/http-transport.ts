import { CallMap } from '../../common/call-tables.js';
import { isRequest, isResponse, StartError } from './messages.js';
import {
  bodyExcerpt,
  createRemoteFetch,
  NeedsSignInError,
  safeUrl,
  UnreachableError,
} from './remote-fetch.js';
import { AbortGroup, sleep } from './abort-group.js';
import { CallExchange, isEventStream, type ExchangeLink } from './call-exchange.js';
import { createHttpClient, RequestHandle, type HttpResponse } from './http-client.js';
import { listenForServerMessages } from './http-get-stream.js';
import { HttpSession, INIT_HEADERS } from './http-session.js';
import { LingerSweep } from './linger-sweep.js';
import { readInitAnswer } from './sse-answer.js';
import type { UpstreamAuth } from './upstream-auth.js';
import type { JsonRpcId, RawObject } from './types.js';
import { parseMessage, type WireTransport } from './wire-transport.js';

export interface HttpTransportOptions {
  name: string;
  url: string;
  headers?: Record<string, string>;
  auth?: UpstreamAuth;
  /** Open the optional GET stream for server-initiated messages (default true). */
  openGetStream?: boolean;
  /** Sockets to this upstream, i.e. calls forwarded at once (default 128; more wait their turn). */
  maxSockets?: number;
  /**
   * Speak a stateless revision (2026-07-28) on this link: no session, no GET stream, no DELETE; every
   * POST carries MCP-Protocol-Version, Mcp-Method and, where the body names one, Mcp-Name.
   */
  stateless?: string;
}

const MAX_RESUMES = 3;

/** How long an answered SSE stream may stay open before we close it (and lose its keep-alive socket). */
const LINGER_MS = 1000;

/**
 * Streamable HTTP client (spec 2025-11-25 "Transports: Streamable HTTP"): every message is a POST;
 * a request's answer comes as JSON or as an SSE stream that may carry server-to-client requests tied to
 * that call (hence `origin`); Mcp-Session-Id and MCP-Protocol-Version go on every later request; an
 * optional GET stream carries unrelated server messages; 404 on a session means it expired, so we
 * initialize again and retry once; DELETE ends the session.
 */
export function createHttpTransport(opts: HttpTransportOptions): WireTransport {
  const { name, url } = opts;
  const client = createHttpClient({ maxSockets: opts.maxSockets });
  const remoteFetch = createRemoteFetch({ name, headers: opts.headers, auth: opts.auth, send: client.send });
  const requests = new AbortGroup();
  const session = new HttpSession();
  const lingering = new LingerSweep(LINGER_MS);
  let reinit: Promise<void> | undefined;
  let getStream: AbortController | undefined;
  let closed = false;
  let dead = false;
  /**
   * Calls in flight (their POST, then their response stream) by request id, so a cancelled or
   * timed-out call's stream can be closed, and every one when the transport stops. A CallMap: it lets
   * go of a call when it ends (call-tables.ts).
   */
  const streams = new CallMap<JsonRpcId, CallExchange>();

  function stopAll(): void {
    requests.abortAll();
    for (const ex of streams.values()) ex.abort();
    lingering.closeAll();
  }

  function die(reason: string): void {
    if (dead || closed) return;
    dead = true;
    stopAll();
    client.close();
    transport.onclose?.(reason);
  }

  function deliver(msg: RawObject, origin?: JsonRpcId): void {
    session.noteAnswer(msg);
    transport.onmessage?.(msg, origin);
  }

  /** What each call's exchange needs of this transport (made once, not per call). */
  const link: ExchangeLink = {
    deliver,
    linger: (body) => lingering.add(body),
    lost: (id, reason) => transport.onrequestlost?.(id, reason),
  };

  async function post(message: RawObject, retried: boolean): Promise<void> {
    const id = isRequest(message) ? (message.id as JsonRpcId) : undefined;
    const method = typeof message.method === 'string' ? message.method : 'a response';
    // A request's exchange also reads its answer from the response event on (call-exchange.ts).
    const ex = id === undefined ? undefined : new CallExchange(link, id, method);
    const ctl = ex ?? new RequestHandle();
    // A call's exchange is stopped through `streams` (forget, stopAll); the rest through `requests`.
    if (ex === undefined) requests.add(ctl);
    else if (requests.aborted) ex.abort();
    else streams.set(ex.id, ex);
    let streaming = false;
    try {
      const res = await remoteFetch(
        url,
        { method: 'POST', body: JSON.stringify(message), handle: ctl },
        opts.stateless === undefined ? session.postHeaders() : statelessHeaders(opts.stateless, message),
      );
      if (ex !== undefined && ex.aborted) return; // forgotten while the headers were on their way (the abort closed it)
      // Answered already, in the response's own turn (the usual case): nothing left to do.
      if (ex?.finished === true && res.ok) return;
      streaming = await answer(res, message, method, retried, ex);
    } finally {
      if (!streaming) {
        if (ex === undefined) requests.release(ctl);
        else if (streams.get(ex.id) === ex) streams.delete(ex.id);
      }
    }
  }

  /** Handles the POST's response; true when an SSE answer keeps streaming (it releases `ex` itself). */
  async function answer(
    res: HttpResponse,
    message: RawObject,
    method: string,
    retried: boolean,
    ex: CallExchange | undefined,
  ): Promise<boolean> {
    if (res.status === 404 && session.id && !retried && method !== 'initialize') {
      res.discard();
      await reinitialize();
      await post(message, true);
      return false;
    }
    if (method === 'initialize' && res.ok) session.id = res.header('mcp-session-id');
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const reply = parseMessage(text);
      // A JSON-RPC error in an HTTP error (e.g. 400) is still the answer to this request.
      if (ex !== undefined && reply && isResponse(reply) && reply.id === ex.id) {
        deliver(reply, ex.id);
        return false;
      }
      const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 200);
      const words = `Upstream '${name}' answered HTTP ${res.status} to ${method} at ${safeUrl(url)}${excerpt ? `: ${excerpt}` : ''}`;
      // A client error on initialize (wrong path, not an MCP endpoint) will not fix itself: no retry loop.
      if (method === 'initialize' && isPermanentStatus(res.status))
        throw new StartError(`${words}. Check mcpServers.${name}.url (and "type").`, true);
      throw new Error(words);
    }
    if (ex === undefined) {
      res.discard();
      return false;
    }
    if (isEventStream(res)) {
      // The reader the response event started (or one started now: initialize's).
      void streamAnswer(ex, ex.read ?? ex.consume(res.body));
      return true;
    }
    if (ex.read !== undefined) await ex.read;
    else ex.takeJson(await res.text(), res.status);
    return false;
  }

  /**
   * An SSE answer; if it breaks before the answer, resume with Last-Event-ID (spec: "Resumability").
   * Releases the call's exchange when done.
   */
  async function streamAnswer(ex: CallExchange, first: Promise<boolean>): Promise<void> {
    const { id, method } = ex;
    try {
      if (await first) return;
      // An answer too long to read is not asked for again (resuming would replay it).
      if (ex.tooLongReason !== undefined) {
        if (!closed && !dead && !ex.aborted)
          transport.onrequestlost?.(id, `the answer to ${method}: ${ex.tooLongReason}`);
        return;
      }
      ex.resumed = true;
      for (
        let i = 0;
        i < MAX_RESUMES && ex.lastEventId !== undefined && !closed && !dead && !ex.aborted;
        i++
      ) {
        await sleep(Math.min(ex.retryMs, 5000), ex.signal);
        let res: HttpResponse;
        try {
          res = await remoteFetch(
            url,
            { method: 'GET', handle: ex },
            { ...session.headers(), accept: 'text/event-stream', 'last-event-id': ex.lastEventId },
          );
        } catch (err) {
          if (err instanceof UnreachableError) die(err.message);
          break;
        }
        if (!res.ok) {
          res.discard();
          break;
        }
        if (await ex.consume(res.body)) return;
      }
      if (!closed && !dead && !ex.aborted)
        transport.onrequestlost?.(id, `the server closed the response stream of ${method} before answering`);
    } finally {
      if (streams.get(id) === ex) streams.delete(id);
    }
  }

  /** The optional GET stream (spec: "Listening for Messages from the Server"). */
  async function runGetStream(): Promise<void> {
    const ctl = requests.take();
    getStream?.abort();
    getStream = ctl;
    try {
      await listenForServerMessages(
        {
          url,
          session,
          remoteFetch,
          deliver: (msg) => deliver(msg),
          die,
          needsAuth: (reason) => transport.onneedsauth?.(reason),
          reinitialize,
        },
        ctl.signal,
      );
    } finally {
      requests.release(ctl);
    }
  }

  /** The session expired (404): initialize again with the same request, then reopen the GET stream. */
  function reinitialize(): Promise<void> {
    reinit ??= (async () => {
      getStream?.abort();
      session.reset();
      const init = session.init;
      if (!init) throw new Error(`Upstream '${name}' lost its session before it was initialized`);
      const ctl = requests.take();
      const res = await remoteFetch(
        url,
        { method: 'POST', body: JSON.stringify(init), signal: ctl.signal },
        INIT_HEADERS,
      ).finally(() => requests.release(ctl));
      if (!res.ok)
        throw new Error(
          `Upstream '${name}' lost its session and answered HTTP ${res.status} when initializing again: ${await bodyExcerpt(res)}`,
        );
      session.id = res.header('mcp-session-id');
      const result = await readInitAnswer(res, init.id as JsonRpcId);
      session.protocolVersion =
        typeof result.protocolVersion === 'string' ? result.protocolVersion : undefined;
      await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, true);
      transport.onreinitialized?.(result);
      if (opts.openGetStream !== false) void runGetStream();
    })().finally(() => {
      reinit = undefined;
    });
    return reinit;
  }

  /** A message could not be sent: an unreachable server takes the link down, a 401 asks for sign-in. */
  function failed(err: unknown): never {
    if (err instanceof UnreachableError) die(err.message);
    else if (err instanceof NeedsSignInError) transport.onneedsauth?.(err.message);
    throw err;
  }

  const transport: WireTransport = {
    async start() {
      if (!URL.canParse(url)) throw new Error(`mcpServers.${name}.url: not a URL`);
    },
    send(message) {
      if (closed || dead) return Promise.reject(new Error(`Upstream '${name}' is not connected`));
      if (message.method === 'initialize') session.init = message;
      // Not an async function: a call's message is one promise and no await on its way (issue 16).
      const sent = post(message, false).then(undefined, failed);
      if (
        message.method === 'notifications/initialized' &&
        opts.openGetStream !== false &&
        opts.stateless === undefined
      )
        return sent.then(() => void runGetStream());
      return sent;
    },
    forget(id) {
      streams.get(id)?.abort();
      streams.delete(id);
    },
    async close() {
      closed = true;
      stopAll();
      try {
        if (!session.id || dead) return;
        // Spec: a client that no longer needs the session SHOULD DELETE it (405: the server does not allow it).
        const res = await remoteFetch(
          url,
          { method: 'DELETE', signal: AbortSignal.timeout(2000) },
          session.headers(),
        );
        res.discard();
      } catch {
        // The server may already be gone.
      } finally {
        client.close();
      }
    },
  };
  return transport;
}

/** Body fields the 2026-07-28 Mcp-Name header mirrors, per method (Streamable HTTP, standard headers). */
const NAME_FIELD: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/**
 * Headers of one POST in a stateless revision (2026-07-28 Streamable HTTP, "Standard headers"): the
 * server checks that they mirror the body, and refuses a request without them (-32020).
 */
function statelessHeaders(version: string, message: RawObject): Record<string, string> {
  const headers: Record<string, string> = {
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'mcp-protocol-version': version,
  };
  if (typeof message.method !== 'string') return headers;
  headers['mcp-method'] = message.method;
  const field = NAME_FIELD[message.method];
  const value = field === undefined ? undefined : (message.params as RawObject | undefined)?.[field];
  if (typeof value === 'string') headers['mcp-name'] = headerSafe(value);
  return headers;
}

const SENTINEL = /^=\?base64\?.*\?=$/;

/**
 * A header value as 2026-07-28 encodes it: plain when it is visible ASCII without surrounding spaces
 * (RFC 9110 section 5.5), else `=?base64?<base64 of the UTF-8>?=` (also when it already looks like one).
 */
function headerSafe(value: string): string {
  const plain =
    value !== '' && value === value.trim() && /^[\t\x20-\x7e]*$/.test(value) && !SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** 4xx answers that retrying cannot fix (not 408 timeout, 409/425 conflicts, 429 rate limit). */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && ![408, 409, 425, 429].includes(status);
}
