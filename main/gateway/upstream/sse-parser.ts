/** One Server-Sent Event (HTML Living Standard, "Server-sent events": event stream interpretation). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/**
 * Most characters one event may hold (its data lines plus an unfinished line). An upstream that never
 * ends a line or an event would otherwise grow one string until Node cannot make it (about 512 Mi
 * characters), and that RangeError, thrown in a stream's 'data' handler, would end the gateway.
 */
export const MAX_EVENT_CHARS = 128 * 1024 * 1024;

/** Where a decoder's events go: one object (an answer's reader), not a closure per stream. */
export interface SseSink {
  onEvent(ev: SseEvent): void;
  /** Every `id` field that a blank line completes, whether or not its event is dispatched. */
  onId?(id: string): void;
}

/**
 * Push parser for an SSE body: feed decoded text with push(), events come out through `sink`.
 * Lines end in CRLF, LF or CR; `data` lines join with "\n"; comment lines (":") are skipped; an event
 * is dispatched at a blank line and only if it had data (per spec, an event without data lines is not
 * dispatched, but its `id` still updates the last event id, which is why `onId` exists: 2025-11-25
 * servers send such "priming" events for resumption). Lines are read in place in the text: only the
 * values kept are cut out of it (issue 16: a string per line, field and value cost more than the
 * event itself).
 */
export class SseDecoder {
  /** An incomplete last line; it holds no line end, so scanning resumes after it. */
  private buf = '';
  /** The event's data lines joined with "\n" (valid when `lines` > 0). */
  private data = '';
  private lines = 0;
  private event = '';
  private id: string | undefined;
  private retry: number | undefined;
  private sawCr = false;
  /** Characters in `data` so far (a line end counted after each line). */
  private held = 0;

  constructor(
    private readonly sink: SseSink,
    private readonly maxEventChars = MAX_EVENT_CHARS,
  ) {}

  /** Feeds text; throws when the event being read (data and unfinished line) exceeds maxEventChars. */
  push(text: string): void {
    if (text.length === 0) return;
    // A CR at the end of the previous chunk and an LF at the start of this one are one line end.
    if (this.sawCr && text.charCodeAt(0) === LF) text = text.slice(1);
    this.sawCr = text.charCodeAt(text.length - 1) === CR;
    const from = this.buf.length;
    const buf = from === 0 ? text : this.buf + text;
    let start = 0;
    let lf = buf.indexOf('\n', from);
    let cr = buf.indexOf('\r', from);
    while (lf !== -1 || cr !== -1) {
      const end = cr !== -1 && (lf === -1 || cr < lf) ? cr : lf;
      const next = end === cr && buf.charCodeAt(cr + 1) === LF ? cr + 2 : end + 1;
      this.line(buf, start, end);
      start = next;
      if (lf !== -1 && lf < next) lf = buf.indexOf('\n', next);
      if (cr !== -1 && cr < next) cr = buf.indexOf('\r', next);
    }
    this.buf = start === 0 ? buf : buf.slice(start);
    // Chunks are small (a socket read), so the check after each keeps every string far below the limit.
    if (this.held + this.buf.length > this.maxEventChars) {
      this.buf = '';
      this.data = '';
      this.lines = 0;
      this.held = 0;
      throw new Error(
        `an event of the stream is longer than ${this.maxEventChars} characters; the gateway stopped reading it`,
      );
    }
  }

  /** The line buf[start, end), without its line end. */
  private line(buf: string, start: number, end: number): void {
    if (start === end) return this.dispatch();
    // The field name is what comes before the first colon (the whole line without one); a comment
    // starts with a colon. Only four names mean something, so the name is compared in place.
    let at: number;
    if ((at = valueAt(buf, start, end, 'data')) >= 0) {
      const value = buf.slice(at, end);
      this.data = this.lines === 0 ? value : `${this.data}\n${value}`;
      this.lines++;
      this.held += value.length + 1;
    } else if ((at = valueAt(buf, start, end, 'event')) >= 0) {
      this.event = end - at === 7 && buf.startsWith('message', at) ? 'message' : buf.slice(at, end);
    } else if ((at = valueAt(buf, start, end, 'id')) >= 0) {
      const value = buf.slice(at, end);
      if (!value.includes('\0')) this.id = value;
    } else if ((at = valueAt(buf, start, end, 'retry')) >= 0) {
      const value = buf.slice(at, end);
      if (/^\d+$/.test(value)) this.retry = Number(value);
    }
  }

  /** A blank line: the event is dispatched if it had data; its id counts either way. */
  private dispatch(): void {
    const { id, retry } = this;
    if (id !== undefined) this.sink.onId?.(id);
    const had = this.lines > 0;
    const event = this.event || 'message';
    const data = this.data;
    this.data = '';
    this.lines = 0;
    this.held = 0;
    this.event = '';
    this.retry = undefined;
    if (!had) return;
    const ev: SseEvent = { event, data };
    if (id !== undefined) ev.id = id;
    if (retry !== undefined) ev.retry = retry;
    this.sink.onEvent(ev);
  }
}

/**
 * Where the value of field `name` starts on the line buf[start, end), or -1 when the line is not that
 * field: "name" alone (an empty value), or "name:" and the value, without one leading space.
 */
function valueAt(buf: string, start: number, end: number, name: string): number {
  const after = start + name.length;
  if (after > end || !buf.startsWith(name, start)) return -1;
  if (after === end) return end;
  if (buf.charCodeAt(after) !== COLON) return -1;
  return after + 1 < end && buf.charCodeAt(after + 1) === SPACE ? after + 2 : after + 1;
}

/**
 * Reads events from an SSE body: a WHATWG stream, or a node stream / async iterable of bytes or text
 * (an IncomingMessage). Leaving the loop early cancels the body.
 */
export async function* readSseEvents(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>,
  onId?: (id: string) => void,
): AsyncGenerator<SseEvent> {
  const textDecoder = new TextDecoder();
  let ready: SseEvent[] = [];
  const decoder = new SseDecoder({ onEvent: (ev) => ready.push(ev), onId });
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    decoder.push(typeof chunk === 'string' ? chunk : textDecoder.decode(chunk, { stream: true }));
    if (ready.length === 0) continue;
    const batch = ready;
    ready = [];
    yield* batch;
  }
}
