/**
 * Request bodies in and JSON bodies out, for every HTTP surface (the gateway's MCP endpoint, the
 * OAuth endpoints, the headless dashboard's API): one reader with a size limit and an optional
 * deadline, one writer with an exact Content-Length.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type BodyResult =
  { ok: true; text: string; bytes: number } | { ok: false; reason: 'too-large' | 'aborted' | 'timeout' };

/**
 * Reads a request body as UTF-8 up to `maxBytes`; stops buffering once it is exceeded (a declared
 * Content-Length over the limit is refused before reading). `timeoutMs` bounds the whole body: a
 * server without a request timeout (long-lived MCP streams) would otherwise let a client hold a
 * connection open by sending slowly. The caller answers a failure (with Connection: close).
 */
export async function readBody(
  req: IncomingMessage,
  maxBytes: number,
  options?: { timeoutMs?: number },
): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return { ok: false, reason: 'too-large' };
  }
  await BODY_TURN;
  return (
    wholeBody(req, maxBytes) ??
    new Promise((resolve) => streamBody(req, maxBytes, options?.timeoutMs, resolve))
  );
}

/**
 * Settled: awaiting it is the one microtask turn after a request's handler in which the body that
 * came with the headers has all arrived (wholeBody). No promise is made per request for it.
 */
export const BODY_TURN: Promise<void> = Promise.resolve();

/**
 * The body, when its declared length is all here and nothing has read it yet; else undefined (and
 * nothing is taken). A small body comes in the read that brought the headers: once the request's
 * handler has returned, the parser pushes all of it (it reports the message complete only after
 * that), so a turn later (BODY_TURN) it is taken in one read(), instead of through flowing mode's
 * 'data' event and an 'end' after the message completes (issue 16: an MCP call's body is on its way
 * to its upstream). The caller that awaits BODY_TURN itself and calls this needs no async frame of
 * readBody's (the MCP endpoint; readBody() for anything else).
 */
export function wholeBody(req: IncomingMessage, maxBytes: number): BodyResult | undefined {
  const declared = Number(req.headers['content-length']);
  if (
    !(declared >= 0 && declared <= maxBytes) ||
    req.readableFlowing !== null ||
    req.readableLength !== declared
  )
    return undefined;
  const chunk = req.read() as Buffer | null;
  // Flowing, the request still ends, after the caller's work on this turn (issue 16).
  setImmediate(resumeRequest, req);
  return { ok: true, text: chunk === null ? '' : chunk.toString('utf8'), bytes: declared };
}

function resumeRequest(req: IncomingMessage): void {
  req.resume();
}

/** Reads the body as it arrives. */
function streamBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs: number | undefined,
  resolve: (r: BodyResult) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  let timer: NodeJS.Timeout | undefined;
  const finish = (r: BodyResult): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    resolve(r);
  };
  if (timeoutMs !== undefined) {
    timer = setTimeout(() => {
      // Stop reading; the answer goes out with Connection: close and Node drops the rest.
      req.pause();
      finish({ ok: false, reason: 'timeout' });
    }, timeoutMs);
    timer.unref();
  }
  const onData = (chunk: Buffer): void => {
    if (done) return;
    size += chunk.length;
    if (size > maxBytes) {
      chunks.length = 0;
      req.resume();
      finish({ ok: false, reason: 'too-large' });
      return;
    }
    chunks.push(chunk);
  };
  // Gone before the turn after readBody() (its 'error' or 'aborted' came without a listener).
  if (req.destroyed) return finish({ ok: false, reason: 'aborted' });
  req.on('error', () => finish({ ok: false, reason: 'aborted' }));
  req.on('aborted', () => finish({ ok: false, reason: 'aborted' }));
  req.on('data', onData);
  req.on('end', () =>
    finish({
      ok: true,
      text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      bytes: size,
    }),
  );
}

/**
 * Writes a JSON body with an exact Content-Length (keeps keep-alive connections cheap); `headers`
 * add to or replace the defaults. `head`: the headers only (HEAD). Returns the body's size in bytes
 * (0 when a response was already under way, which is then just ended).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  options: { head?: boolean } = {},
): number {
  const text = JSON.stringify(body);
  const bytes = Buffer.byteLength(text);
  if (res.headersSent) {
    res.end();
    return 0;
  }
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(bytes), ...headers });
  res.end(options.head ? undefined : text);
  return bytes;
}
