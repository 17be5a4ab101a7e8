import type { ServerResponse } from 'node:http';
import { messageChunks, messageJson, type Chunk } from '../../common/json-text.js';
import type { Beating, Heartbeats } from './heartbeats.js';
import type { StreamLog } from './stream-log.js';

/** Headers for every SSE response: no caching, and no proxy buffering (nginx, cloudflared). */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  'X-Accel-Buffering': 'no',
  Connection: 'keep-alive',
};

/** What comes before and after a message's JSON in its SSE event (one data line: JSON has no newline). */
const SSE_HEAD = 'event: message\ndata: ';
const SSE_TAIL = '\n\n';

export function sseEvent(data: string, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}${SSE_HEAD}${data}${SSE_TAIL}`;
}

/**
 * Ends `res` with `chunks` (text, and the cached bytes of a big shared list), none joined into one
 * string first. The socket is corked, so the headers and every piece leave in one write (end()
 * uncorks it fully). Not res.cork(): with chunked encoding (SSE) that holds the pieces back until
 * after end() has sent the terminating chunk.
 */
function endWith(res: ServerResponse, chunks: readonly Chunk[]): void {
  if (chunks.length === 1) {
    res.end(chunks[0]);
    return;
  }
  res.socket?.cork();
  for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i]);
  res.end(chunks[chunks.length - 1]);
}

/** SSE_HEADERS as writeHead's raw list, which the session's own headers are appended to. */
const SSE_HEADER_LIST: string[] = Object.entries(SSE_HEADERS).flat();

export interface ResponseStreamOptions {
  sseAllowed: boolean;
  /** More headers for the answer, as writeHead's raw list: [name, value, ...]. */
  headers?: readonly string[];
  /** Keep-alive comments while the answer is due (Cloudflare's first-byte limit: heartbeats.ts). */
  heartbeats?: Heartbeats;
  /**
   * Session era: makes the stream's log once the answer turns into SSE; events then get ids and are
   * kept, so the stream can be resumed (stream-log.ts). Most answers are plain JSON and need none.
   */
  openLog?: () => StreamLog;
  /** With a log: send the priming event (2025-11-25 and later; older clients choke on empty data). */
  primeRetryMs?: number;
}

/**
 * The answer to one POSTed request: plain JSON when nothing else needs to be said before the result,
 * switched to an SSE stream the moment a notification (progress) or a server-to-client request has to
 * go out first (Streamable HTTP: "either Content-Type: text/event-stream ... or application/json").
 * A class: one object per call with its methods on the prototype, instead of a closure per method.
 */
export class ResponseStream implements Beating {
  private sse = false;
  private done = false;
  /** The stream's log, made when the answer turned into SSE (session era, openLog). */
  log: StreamLog | undefined = undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: ResponseStreamOptions,
  ) {
    if (opts.sseAllowed) opts.heartbeats?.add(this);
  }

  get finished(): boolean {
    return this.done;
  }

  /** Whether the client can still get the answer after this connection closes (it saw an event id). */
  get resumable(): boolean {
    return this.log?.resumable === true;
  }

  /** A keep-alive comment (heartbeats.ts); the answer turns into SSE for it. */
  beat(): void {
    if (!this.done && this.startSse()) this.out(': keep-alive\n\n');
  }

  /** Streams a message before the result; false when the client cannot take a stream. */
  event(message: unknown): boolean {
    if (this.done || !this.startSse()) return false;
    const data = JSON.stringify(message);
    const log = this.log;
    this.out(log === undefined ? sseEvent(data) : log.add(data));
    return true;
  }

  /** Sends the final message (the response) and ends; returns its size in bytes. */
  finish(message: Readonly<Record<string, unknown>>, status = 200): number {
    if (this.done) return 0;
    this.done = true;
    const { res, opts, log } = this;
    if (opts.sseAllowed) opts.heartbeats?.remove(this);
    // A shared result (the merged tool list) is serialised once, not per answer (json-text.ts).
    if (this.sse && log !== undefined) {
      const { text, bytes } = messageJson(message);
      log.write(log.add(text), true);
      return bytes;
    }
    // ... and written from its cached bytes.
    const { chunks, bytes } = messageChunks(message);
    if (res.destroyed) return bytes;
    if (this.sse) {
      const [first, ...rest] = chunks;
      if (rest.length === 0 && typeof first === 'string') res.end(sseEvent(first));
      else endWith(res, [SSE_HEAD, ...chunks, SSE_TAIL]);
    } else {
      // A raw list: writeHead walks it without the key enumeration an object needs.
      const length = String(bytes);
      const extra = opts.headers;
      res.writeHead(
        status,
        extra === undefined
          ? ['Content-Type', 'application/json', 'Content-Length', length]
          : ['Content-Type', 'application/json', 'Content-Length', length, ...extra],
      );
      endWith(res, chunks);
    }
    return bytes;
  }

  /** Goes to the POST's response, or, with a log, to whichever connection holds the stream now. */
  private out(chunk: string): void {
    const log = this.log;
    if (log !== undefined) log.write(chunk);
    else if (!this.res.destroyed) this.res.write(chunk);
  }

  private startSse(): boolean {
    if (this.sse) return true;
    const { res, opts } = this;
    if (!opts.sseAllowed || res.headersSent || res.destroyed) return false;
    res.writeHead(200, opts.headers === undefined ? SSE_HEADER_LIST : [...SSE_HEADER_LIST, ...opts.headers]);
    res.flushHeaders();
    this.sse = true;
    if (opts.openLog !== undefined) {
      const log = opts.openLog();
      this.log = log;
      log.attach(res);
      // Streamable HTTP 2025-11-25: "the server SHOULD immediately send an SSE event consisting of
      // an event ID and an empty data field in order to prime the client to reconnect".
      if (opts.primeRetryMs !== undefined) log.write(log.prime(opts.primeRetryMs));
    }
    return true;
  }
}

export function createResponseStream(res: ServerResponse, opts: ResponseStreamOptions): ResponseStream {
  return new ResponseStream(res, opts);
}
