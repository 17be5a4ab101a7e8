/** One Server-Sent Event (HTML Living Standard, "Server-sent events": event stream interpretation). */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

const LF = 10;
const CR = 13;

/**
 * Most characters one event may hold (its data lines plus an unfinished line). An upstream that never
 * ends a line or an event would otherwise grow one string until Node cannot make it (about 512 Mi
 * characters), and that RangeError, thrown in a stream's 'data' handler, would end the gateway.
 */
export const MAX_EVENT_CHARS = 128 * 1024 * 1024;

/**
 * Push parser for an SSE body: feed decoded text with push(), events come out through `onEvent`.
 * Lines end in CRLF, LF or CR; `data` lines join with "\n"; comment lines (":") are skipped; an event
 * is dispatched at a blank line and only if it had data (per spec, an event without data lines is not
 * dispatched, but its `id` still updates the last event id, which is why `onId` exists: 2025-11-25
 * servers send such "priming" events for resumption).
 */
export class SseDecoder {
  /** An incomplete last line; it holds no line end, so scanning resumes after it. */
  private buf = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private retry: number | undefined;
  private sawCr = false;
  /** Characters in `data` so far. */
  private held = 0;

  constructor(
    private readonly onEvent: (ev: SseEvent) => void,
    private readonly onId?: (id: string) => void,
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
      this.line(buf.slice(start, end));
      start = next;
      if (lf !== -1 && lf < next) lf = buf.indexOf('\n', next);
      if (cr !== -1 && cr < next) cr = buf.indexOf('\r', next);
    }
    this.buf = start === 0 ? buf : buf.slice(start);
    // Chunks are small (a socket read), so the check after each keeps every string far below the limit.
    if (this.held + this.buf.length > this.maxEventChars) {
      this.buf = '';
      this.data = [];
      this.held = 0;
      throw new Error(
        `an event of the stream is longer than ${this.maxEventChars} characters; the gateway stopped reading it`,
      );
    }
  }

  private line(line: string): void {
    if (line === '') {
      const { id, retry } = this;
      if (id !== undefined) this.onId?.(id);
      if (this.data.length > 0) {
        const ev: SseEvent = {
          event: this.event || 'message',
          data: this.data.length === 1 ? this.data[0]! : this.data.join('\n'),
        };
        if (id !== undefined) ev.id = id;
        if (retry !== undefined) ev.retry = retry;
        this.data = [];
        this.held = 0;
        this.event = '';
        this.retry = undefined;
        this.onEvent(ev);
        return;
      }
      this.event = '';
      this.retry = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') {
      this.data.push(value);
      this.held += value.length + 1;
    } else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
  }
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
  const decoder = new SseDecoder((ev) => ready.push(ev), onId);
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    decoder.push(typeof chunk === 'string' ? chunk : textDecoder.decode(chunk, { stream: true }));
    if (ready.length === 0) continue;
    const batch = ready;
    ready = [];
    yield* batch;
  }
}
