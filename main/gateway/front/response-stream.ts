import type { ServerResponse } from 'node:http';
import { messageChunks, messageJson, type Chunk } from '../../common/json-text.js';
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

/**
 * The answer to one POSTed request: plain JSON when nothing else needs to be said before the result,
 * switched to an SSE stream the moment a notification (progress) or a server-to-client request has to
 * go out first (Streamable HTTP: "either Content-Type: text/event-stream ... or application/json").
 */
export function createResponseStream(
  res: ServerResponse,
  opts: {
    sseAllowed: boolean;
    headers?: Record<string, string>;
    heartbeatMs?: number;
    /** Session era: events get ids and are kept, so the stream can be resumed (stream-log.ts). */
    log?: StreamLog;
    /** With a log: send the priming event (2025-11-25 and later; older clients choke on empty data). */
    primeRetryMs?: number;
  },
) {
  let sse = false;
  let finished = false;
  const { log } = opts;
  /** Goes to the POST's response, or, with a log, to whichever connection holds the stream now. */
  const out = (chunk: string): void => {
    if (log !== undefined) log.write(chunk);
    else if (!res.destroyed) res.write(chunk);
  };
  // Cloudflare drops a request that sends no first byte for about 100 s (PROTOCOL.md): a slow call
  // switches to SSE and sends comment lines, which every SSE parser ignores.
  let heartbeat: NodeJS.Timeout | undefined;
  const every = opts.heartbeatMs;
  if (every !== undefined && opts.sseAllowed)
    // Armed after this turn's work, so that a call's upstream request is written first (issue 16);
    // an answer given by then (a list from the merged view) needs none.
    setImmediate(() => {
      if (finished) return;
      heartbeat = setInterval(() => {
        if (!finished && startSse()) out(': keep-alive\n\n');
      }, every);
      heartbeat.unref();
    });
  function startSse(): boolean {
    if (sse) return true;
    if (!opts.sseAllowed || res.headersSent || res.destroyed) return false;
    res.writeHead(200, { ...SSE_HEADERS, ...opts.headers });
    res.flushHeaders();
    sse = true;
    if (log !== undefined) {
      log.attach(res);
      // Streamable HTTP 2025-11-25: "the server SHOULD immediately send an SSE event consisting of
      // an event ID and an empty data field in order to prime the client to reconnect".
      if (opts.primeRetryMs !== undefined) log.write(log.prime(opts.primeRetryMs));
    }
    return true;
  }
  return {
    get finished(): boolean {
      return finished;
    },
    /** Whether the client can still get the answer after this connection closes (it saw an event id). */
    get resumable(): boolean {
      return log?.resumable === true;
    },
    /** Streams a message before the result; false when the client cannot take a stream. */
    event(message: unknown): boolean {
      if (finished || !startSse()) return false;
      const data = JSON.stringify(message);
      out(log === undefined ? sseEvent(data) : log.add(data));
      return true;
    },
    /** Sends the final message (the response) and ends; returns its size in bytes. */
    finish(message: Readonly<Record<string, unknown>>, status = 200): number {
      if (finished) return 0;
      finished = true;
      if (heartbeat !== undefined) clearInterval(heartbeat);
      // A shared result (the merged tool list) is serialised once, not per answer (json-text.ts).
      if (sse && log !== undefined) {
        const { text, bytes } = messageJson(message);
        log.write(log.add(text), true);
        return bytes;
      }
      // ... and written from its cached bytes.
      const { chunks, bytes } = messageChunks(message);
      if (res.destroyed) return bytes;
      if (sse) {
        const [first, ...rest] = chunks;
        if (rest.length === 0 && typeof first === 'string') res.end(sseEvent(first));
        else endWith(res, [SSE_HEAD, ...chunks, SSE_TAIL]);
      } else {
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Content-Length': String(bytes),
          ...opts.headers,
        });
        endWith(res, chunks);
      }
      return bytes;
    },
  };
}
export type ResponseStream = ReturnType<typeof createResponseStream>;
