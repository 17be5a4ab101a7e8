import { isRequest, isResponse, StartError } from './messages.js';
import {
  bodyExcerpt,
  createRemoteFetch,
  NeedsSignInError,
  safeUrl,
  UnreachableError,
} from './remote-fetch.js';
import { AbortGroup, sleep } from './abort-group.js';
import { createHttpClient, RequestHandle, type HttpResponse } from './http-client.js';
import { listenForServerMessages } from './http-get-stream.js';
import { HttpSession, INIT_HEADERS } from './http-session.js';
import { LingerSweep } from './linger-sweep.js';
import { readInitAnswer, readSseAnswer } from './sse-answer.js';
import type { UpstreamAuth } from './upstream-auth.js';
import type { JsonRpcId, RawObject } from './types.js';
import { parseMessage, type WireTransport } from './wire-transport.js';
import type { IncomingMessage } from 'node:http';

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

/** What reading one call's SSE answer learnt, for resuming it (spec: "Resumability"). */
interface StreamState {
  lastEventId?: string;
  retryMs: number;
  /** Why an event was too long to read: then the answer is not asked for again. */
  tooLong?: string;
}

/** A call's answer, read from the response event on (http-transport earlyReader). */
interface EarlyRead {
  st: StreamState;
  /** Passed to the request: starts the reader of a 2xx answer (then true). */
  onResponse: ((res: HttpResponse) => boolean) | undefined;
  /** Set for a 2xx answer: starts reading it (at most once); for SSE, whether the answer came. */
  start: (() => Promise<boolean>) | undefined;
  read?: Promise<boolean>;
}
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
  /** Open response streams by request id, so a cancelled or timed-out call's stream can be closed. */
  const streams = new Map<JsonRpcId, RequestHandle>();

  function stopAll(): void {
    requests.abortAll();
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

  /** Reads a POST's SSE answer (or a resumed stream) for call `id`; true once its answer arrived. */
  function consume(body: IncomingMessage, id: JsonRpcId, st: StreamState, first: boolean): Promise<boolean> {
    return readSseAnswer(body, id, {
      deliver: (msg) => deliver(msg, id),
      onId: (e) => (st.lastEventId = e),
      onRetry: (ms) => (st.retryMs = ms),
      // An answer too long to read is not asked for again (resuming would replay it).
      tooLong: first ? (reason) => (st.tooLong = reason) : undefined,
      linger: (b) => lingering.add(b),
    });
  }

  /**
   * The answer to call `id` (SSE or JSON), read from a microtask queued in the response event (it
   * runs once the parser is done with the read that brought the headers): the body that came with
   * them (the usual case) is decoded and delivered there, and the call's answer goes on to its client in the
   * same microtasks, before post() even resumes (it does after this turn: http-client onResponse)
   * and before the ticks in which Node ends the response. Issue 16: the promise chain to post(),
   * answer() and the reader's setup were on that path. Not for initialize, whose session id post()
   * must note before anything is sent on it.
   */
  function earlyReader(id: JsonRpcId, method: string) {
    const early: EarlyRead = { st: { retryMs: 500 }, onResponse: undefined, start: undefined };
    if (method === 'initialize') return early;
    early.onResponse = (res) => {
      if (!res.ok) return false;
      const sse = (res.header('content-type') ?? '').includes('text/event-stream');
      const read = (): Promise<boolean> =>
        sse
          ? consume(res.body, id, early.st, true)
          : res.text().then((text) => {
              takeJson(text, id, method, res.status);
              return false;
            });
      const start = (): Promise<boolean> => {
        if (early.read === undefined) {
          early.read = read();
          // Awaited by answer() unless the call was forgotten first: never an unhandled rejection.
          early.read.catch(() => {});
        }
        return early.read;
      };
      early.start = start;
      queueMicrotask(start);
      return true;
    };
    return early;
  }

  async function post(message: RawObject, retried: boolean): Promise<void> {
    const id = isRequest(message) ? (message.id as JsonRpcId) : undefined;
    const method = typeof message.method === 'string' ? message.method : 'a response';
    const ctl = new RequestHandle();
    requests.add(ctl);
    if (id !== undefined) streams.set(id, ctl);
    let streaming = false;
    const early = id === undefined ? undefined : earlyReader(id, method);
    try {
      const res = await remoteFetch(
        url,
        { method: 'POST', body: JSON.stringify(message), handle: ctl, onResponse: early?.onResponse },
        opts.stateless === undefined ? session.postHeaders() : statelessHeaders(opts.stateless, message),
      );
      if (id !== undefined && ctl.aborted) return; // forgotten while the headers were on their way (the abort closed it)
      streaming = await answer(res, message, id, method, retried, ctl, early);
    } finally {
      if (!streaming) {
        if (id !== undefined && streams.get(id) === ctl) streams.delete(id);
        requests.release(ctl);
      }
    }
  }

  /** Handles the POST's response; true when an SSE answer keeps streaming (it releases `ctl` itself). */
  async function answer(
    res: HttpResponse,
    message: RawObject,
    id: JsonRpcId | undefined,
    method: string,
    retried: boolean,
    ctl: RequestHandle,
    early: EarlyRead | undefined,
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
      if (id !== undefined && reply && isResponse(reply) && reply.id === id) {
        deliver(reply, id);
        return false;
      }
      const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 200);
      const words = `Upstream '${name}' answered HTTP ${res.status} to ${method} at ${safeUrl(url)}${excerpt ? `: ${excerpt}` : ''}`;
      // A client error on initialize (wrong path, not an MCP endpoint) will not fix itself: no retry loop.
      if (method === 'initialize' && isPermanentStatus(res.status))
        throw new StartError(`${words}. Check mcpServers.${name}.url (and "type").`, true);
      throw new Error(words);
    }
    if (id === undefined) {
      res.discard();
      return false;
    }
    const type = res.header('content-type') ?? '';
    if (type.includes('text/event-stream')) {
      // The reader the response event started (or one started now, for an answer that came some
      // other way): the same state, so a resumption knows the last event id it saw.
      const st = early?.start !== undefined ? early.st : { retryMs: 500 };
      const first = early?.start?.() ?? consume(res.body, id, st, true);
      void streamAnswer(id, method, ctl, st, first).finally(() => {
        if (streams.get(id) === ctl) streams.delete(id);
        requests.release(ctl);
      });
      return true;
    }
    if (early?.start !== undefined) await early.start();
    else takeJson(await res.text(), id, method, res.status);
    return false;
  }

  /** A JSON answer (one message or a batch): each message delivered; the call lost without its response. */
  function takeJson(text: string, id: JsonRpcId, method: string, status: number): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    let answered = false;
    for (const m of messages) {
      if (m === null || typeof m !== 'object') continue;
      deliver(m as RawObject, id);
      if (isResponse(m as RawObject) && (m as RawObject).id === id) answered = true;
    }
    if (!answered)
      transport.onrequestlost?.(
        id,
        `the server answered ${method} with HTTP ${status} but no JSON-RPC response`,
      );
  }

  /** An SSE answer; if it breaks before the answer, resume with Last-Event-ID (spec: "Resumability"). */
  async function streamAnswer(
    id: JsonRpcId,
    method: string,
    forgotten: RequestHandle,
    st: StreamState,
    first: Promise<boolean>,
  ): Promise<void> {
    if (await first) return;
    // An answer too long to read is not asked for again (resuming would replay it).
    if (st.tooLong !== undefined) {
      if (!closed && !dead && !forgotten.aborted)
        transport.onrequestlost?.(id, `the answer to ${method}: ${st.tooLong}`);
      return;
    }
    for (
      let i = 0;
      i < MAX_RESUMES && st.lastEventId !== undefined && !closed && !dead && !forgotten.aborted;
      i++
    ) {
      await sleep(Math.min(st.retryMs, 5000), forgotten.signal);
      let res: HttpResponse;
      try {
        res = await remoteFetch(
          url,
          { method: 'GET', handle: forgotten },
          { ...session.headers(), accept: 'text/event-stream', 'last-event-id': st.lastEventId },
        );
      } catch (err) {
        if (err instanceof UnreachableError) die(err.message);
        break;
      }
      if (!res.ok) {
        res.discard();
        break;
      }
      if (await consume(res.body, id, st, false)) return;
    }
    if (!closed && !dead && !forgotten.aborted)
      transport.onrequestlost?.(id, `the server closed the response stream of ${method} before answering`);
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

  const transport: WireTransport = {
    async start() {
      if (!URL.canParse(url)) throw new Error(`mcpServers.${name}.url: not a URL`);
    },
    async send(message) {
      if (closed || dead) throw new Error(`Upstream '${name}' is not connected`);
      if (message.method === 'initialize') session.init = message;
      try {
        await post(message, false);
      } catch (err) {
        if (err instanceof UnreachableError) die(err.message);
        else if (err instanceof NeedsSignInError) transport.onneedsauth?.(err.message);
        throw err;
      }
      if (
        message.method === 'notifications/initialized' &&
        opts.openGetStream !== false &&
        opts.stateless === undefined
      )
        void runGetStream();
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
