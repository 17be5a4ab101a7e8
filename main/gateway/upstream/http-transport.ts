import { isRequest, isResponse, plainError, StartError } from './messages.js';
import {
  bodyExcerpt,
  createRemoteFetch,
  NeedsSignInError,
  safeUrl,
  UnreachableError,
} from './remote-fetch.js';
import { AbortGroup, sleep } from './abort-group.js';
import { createHttpClient, RequestHandle, type HttpResponse } from './http-client.js';
import { readSseEvents, SseDecoder } from './sse-parser.js';
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
}

const ACCEPT_BOTH = 'application/json, text/event-stream';
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
  let sessionId: string | undefined;
  let protocolVersion: string | undefined;
  let initMessage: RawObject | undefined;
  let reinit: Promise<void> | undefined;
  let getStream: AbortController | undefined;
  let closed = false;
  let dead = false;
  /** Open response streams by request id, so a cancelled or timed-out call's stream can be closed. */
  const streams = new Map<JsonRpcId, RequestHandle>();
  /**
   * Answered SSE streams the server has not ended yet, by when they were answered. The spec says the
   * server SHOULD end the stream after the response; draining it to the end keeps the socket reusable.
   * One sweep (not a timer per call) closes those that linger.
   */
  const lingering = new Map<IncomingMessage, number>();
  let sweep: NodeJS.Timeout | undefined;

  let postHeadersCache: Record<string, string> | undefined;
  const sessionHeaders = (): Record<string, string> => ({
    ...(sessionId ? { 'mcp-session-id': sessionId } : {}),
    ...(protocolVersion ? { 'mcp-protocol-version': protocolVersion } : {}),
  });
  /** Headers of every POST, rebuilt only when the session or protocol version changes. */
  function postHeaders(): Record<string, string> {
    const c = postHeadersCache;
    if (c && c['mcp-session-id'] === sessionId && c['mcp-protocol-version'] === protocolVersion) return c;
    postHeadersCache = { ...sessionHeaders(), accept: ACCEPT_BOTH, 'content-type': 'application/json' };
    return postHeadersCache;
  }

  function linger(body: IncomingMessage): void {
    if (body.complete || body.destroyed) return;
    lingering.set(body, Date.now());
    body.once('close', () => lingering.delete(body));
    sweep ??= setInterval(() => {
      const old = Date.now() - LINGER_MS;
      for (const [b, at] of lingering) if (at <= old) b.destroy();
      if (lingering.size === 0) {
        clearInterval(sweep);
        sweep = undefined;
      }
    }, LINGER_MS).unref();
  }

  function stopAll(): void {
    requests.abortAll();
    for (const b of lingering.keys()) b.destroy();
    lingering.clear();
    clearInterval(sweep);
    sweep = undefined;
  }

  function die(reason: string): void {
    if (dead || closed) return;
    dead = true;
    stopAll();
    client.close();
    transport.onclose?.(reason);
  }

  function deliver(msg: RawObject, origin?: JsonRpcId): void {
    if (initMessage && isResponse(msg) && msg.id === initMessage.id) {
      const v = (msg.result as RawObject | undefined)?.protocolVersion;
      if (typeof v === 'string') protocolVersion = v;
    }
    transport.onmessage?.(msg, origin);
  }

  /**
   * Reads an SSE response body; resolves true as soon as the answer to `id` arrived (the rest of the
   * stream is drained, not delivered), false when the stream ends or breaks without it.
   */
  function consume(
    body: IncomingMessage,
    id: JsonRpcId | undefined,
    onId: (eventId: string) => void,
    onRetry?: (ms: number) => void,
  ): Promise<boolean> {
    return new Promise((resolve) => {
      let answered = false;
      const decoder = new SseDecoder((ev) => {
        if (answered) return;
        if (ev.retry !== undefined) onRetry?.(ev.retry);
        if (ev.event !== 'message') return;
        const msg = parseMessage(ev.data);
        if (!msg) return;
        deliver(msg, id);
        if (id !== undefined && isResponse(msg) && msg.id === id) {
          answered = true;
          resolve(true);
          linger(body);
        }
      }, onId);
      body.setEncoding('utf8');
      body.on('data', (text: string) => decoder.push(text));
      // 'close' also follows an error or an abort: the caller resumes or reports the call lost.
      body.once('close', () => resolve(answered));
      body.once('end', () => resolve(answered));
    });
  }

  async function post(message: RawObject, retried: boolean): Promise<void> {
    const id = isRequest(message) ? (message.id as JsonRpcId) : undefined;
    const method = typeof message.method === 'string' ? message.method : 'a response';
    const ctl = new RequestHandle();
    requests.add(ctl);
    if (id !== undefined) streams.set(id, ctl);
    let streaming = false;
    try {
      const res = await remoteFetch(
        url,
        { method: 'POST', body: JSON.stringify(message), handle: ctl },
        postHeaders(),
      );
      if (id !== undefined && ctl.aborted) return; // forgotten while the headers were on their way (the abort closed it)
      streaming = await answer(res, message, id, method, retried, ctl);
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
  ): Promise<boolean> {
    if (res.status === 404 && sessionId && !retried && method !== 'initialize') {
      res.discard();
      await reinitialize();
      await post(message, true);
      return false;
    }
    if (method === 'initialize' && res.ok) sessionId = res.header('mcp-session-id');
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
      void streamAnswer(res.body, id, method, ctl).finally(() => {
        if (streams.get(id) === ctl) streams.delete(id);
        requests.release(ctl);
      });
      return true;
    }
    const text = await res.text();
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
        `the server answered ${method} with HTTP ${res.status} but no JSON-RPC response`,
      );
    return false;
  }

  /** An SSE answer; if it breaks before the answer, resume with Last-Event-ID (spec: "Resumability"). */
  async function streamAnswer(
    body: IncomingMessage,
    id: JsonRpcId,
    method: string,
    forgotten: RequestHandle,
  ): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs = 500;
    if (
      await consume(
        body,
        id,
        (e) => (lastEventId = e),
        (ms) => (retryMs = ms),
      )
    )
      return;
    for (
      let i = 0;
      i < MAX_RESUMES && lastEventId !== undefined && !closed && !dead && !forgotten.aborted;
      i++
    ) {
      await sleep(Math.min(retryMs, 5000), forgotten.signal);
      let res: HttpResponse;
      try {
        res = await remoteFetch(
          url,
          { method: 'GET', handle: forgotten },
          { ...sessionHeaders(), accept: 'text/event-stream', 'last-event-id': lastEventId },
        );
      } catch (err) {
        if (err instanceof UnreachableError) die(err.message);
        break;
      }
      if (!res.ok) {
        res.discard();
        break;
      }
      if (
        await consume(
          res.body,
          id,
          (e) => (lastEventId = e),
          (ms) => (retryMs = ms),
        )
      )
        return;
    }
    if (!closed && !dead && !forgotten.aborted)
      transport.onrequestlost?.(id, `the server closed the response stream of ${method} before answering`);
  }

  /** The optional GET stream (spec: "Listening for Messages from the Server"); 405 means none. */
  async function runGetStream(): Promise<void> {
    const ctl = requests.take();
    getStream?.abort();
    getStream = ctl;
    const signal = ctl.signal;
    try {
      await listen(signal);
    } finally {
      requests.release(ctl);
    }
  }

  async function listen(signal: AbortSignal): Promise<void> {
    let lastEventId: string | undefined;
    let retryMs = 1000;
    while (!signal.aborted) {
      let res: HttpResponse;
      try {
        res = await remoteFetch(
          url,
          { method: 'GET', signal },
          {
            ...sessionHeaders(),
            accept: 'text/event-stream',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
        );
      } catch (err) {
        if (err instanceof UnreachableError) die(err.message);
        else if (err instanceof NeedsSignInError) transport.onneedsauth?.(err.message);
        return;
      }
      if (res.status === 404 && sessionId) {
        res.discard();
        void reinitialize().catch(() => {});
        return;
      }
      if (!res.ok || !(res.header('content-type') ?? '').includes('text/event-stream')) {
        res.discard();
        return; // 405 or anything else: the server offers no GET stream; POST streams still work.
      }
      await consume(
        res.body,
        undefined,
        (e) => (lastEventId = e),
        (ms) => (retryMs = ms),
      );
      await sleep(Math.min(retryMs, 30_000), signal);
    }
  }

  /** The session expired (404): initialize again with the same request, then reopen the GET stream. */
  function reinitialize(): Promise<void> {
    reinit ??= (async () => {
      getStream?.abort();
      sessionId = undefined;
      protocolVersion = undefined;
      const init = initMessage;
      if (!init) throw new Error(`Upstream '${name}' lost its session before it was initialized`);
      const ctl = requests.take();
      const res = await remoteFetch(
        url,
        { method: 'POST', body: JSON.stringify(init), signal: ctl.signal },
        { accept: ACCEPT_BOTH, 'content-type': 'application/json' },
      ).finally(() => requests.release(ctl));
      if (!res.ok)
        throw new Error(
          `Upstream '${name}' lost its session and answered HTTP ${res.status} when initializing again: ${await bodyExcerpt(res)}`,
        );
      sessionId = res.header('mcp-session-id');
      const result = await readInitAnswer(res, init.id as JsonRpcId);
      protocolVersion = typeof result.protocolVersion === 'string' ? result.protocolVersion : undefined;
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
      if (message.method === 'initialize') initMessage = message;
      try {
        await post(message, false);
      } catch (err) {
        if (err instanceof UnreachableError) die(err.message);
        else if (err instanceof NeedsSignInError) transport.onneedsauth?.(err.message);
        throw err;
      }
      if (message.method === 'notifications/initialized' && opts.openGetStream !== false) void runGetStream();
    },
    forget(id) {
      streams.get(id)?.abort();
      streams.delete(id);
    },
    async close() {
      closed = true;
      stopAll();
      try {
        if (!sessionId || dead) return;
        // Spec: a client that no longer needs the session SHOULD DELETE it (405: the server does not allow it).
        const res = await remoteFetch(
          url,
          { method: 'DELETE', signal: AbortSignal.timeout(2000) },
          sessionHeaders(),
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

async function readInitAnswer(res: HttpResponse, id: JsonRpcId): Promise<RawObject> {
  const type = res.header('content-type') ?? '';
  if (type.includes('text/event-stream')) {
    for await (const ev of readSseEvents(res.body)) {
      const msg = parseMessage(ev.data);
      if (msg && isResponse(msg) && msg.id === id) return answerResult(msg);
    }
    throw new Error('the server closed the initialize stream without an answer');
  }
  const msg = parseMessage(await res.text());
  if (!msg || !isResponse(msg)) throw new Error('the server answered initialize without a JSON-RPC response');
  return answerResult(msg);
}

function answerResult(msg: RawObject): RawObject {
  if ('error' in msg) throw new Error(`initialize failed: ${plainError((msg.error as RawObject)?.message)}`);
  return (msg.result ?? {}) as RawObject;
}

/** 4xx answers that retrying cannot fix (not 408 timeout, 409/425 conflicts, 429 rate limit). */
export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && ![408, 409, 425, 429].includes(status);
}
