import type { IncomingMessage } from 'node:http';
import { RequestHandle, type HttpResponse } from './http-client.js';
import { isResponse } from './messages.js';
import { readSseAnswer, type SseHooks } from './sse-answer.js';
import type { JsonRpcId, RawObject } from './types.js';

/** What a call's exchange needs of its transport. */
export interface ExchangeLink {
  /** A message read from the call's answer (`origin`: the call it came with). */
  deliver(msg: RawObject, origin: JsonRpcId): void;
  /** The answer came while the server kept the stream open: drain it elsewhere. */
  linger(body: IncomingMessage): void;
  /** The call's answer will not come. */
  lost(id: JsonRpcId, reason: string): void;
}

const RESOLVED = Promise.resolve();

function ignore(): void {}

/**
 * One request's POST and its answer (Streamable HTTP), as one object per call (issue 16): the handle
 * that aborts it (forget, close), what a resumption needs (spec 2025-11-25 "Resumability": the last
 * event id and the retry delay), the hooks its SSE reader calls, and the reader the response event
 * starts. Instead of a handle, two state objects, a hooks object and about ten closures per call.
 */
export class CallExchange extends RequestHandle implements SseHooks {
  lastEventId: string | undefined = undefined;
  retryMs = 500;
  /** Why an event of the POST's stream was too long to read: then the answer is not asked for again. */
  tooLongReason: string | undefined = undefined;
  /** Reading a resumed stream (a GET with Last-Event-ID), no longer the POST's own. */
  resumed = false;
  /** The answer has been taken (its response delivered, or a JSON answer read): nothing to wait for. */
  finished = false;
  /** The reader the response event started, for a 2xx answer; for SSE, true once the answer came. */
  read: Promise<boolean> | undefined = undefined;
  private response: HttpResponse | undefined = undefined;

  constructor(
    private readonly link: ExchangeLink,
    readonly id: JsonRpcId,
    readonly method: string,
  ) {
    super();
  }

  /**
   * The answer (SSE or JSON) is read from a microtask queued in the response event (it runs once the
   * parser is done with the read that brought the headers): the body that came with them (the usual
   * case) is decoded and delivered there, and the call's answer goes on to its client in the same
   * microtasks, before post() even resumes (it does after this turn) and before the ticks in which
   * Node ends the response (issue 16). Not for initialize, whose session id post() must note before
   * anything is sent on it, nor for a resumed stream, which streamAnswer() reads.
   */
  override onResponse(res: HttpResponse): boolean {
    if (!res.ok || this.method === 'initialize' || this.resumed) return false;
    this.response = res;
    // A resolved promise's reaction, not queueMicrotask(): that one makes an AsyncResource per call.
    void RESOLVED.then(() => void this.start());
    return true;
  }

  /** The reader of the 2xx answer the response event saw (started at most once). */
  start(): Promise<boolean> {
    if (this.read !== undefined) return this.read;
    const res = this.response!;
    if (isEventStream(res)) {
      this.read = this.consume(res.body);
    } else {
      this.read = res.text().then((text) => this.takeJson(text, res.status));
      // Awaited by answer() unless the call was forgotten first: never an unhandled rejection.
      this.read.catch(ignore);
    }
    return this.read;
  }

  /** Reads an SSE body of this call (the POST's, or a resumed one); true once its answer arrived. */
  consume(body: IncomingMessage): Promise<boolean> {
    return readSseAnswer(body, this.id, this);
  }

  /**
   * A JSON answer (one message or a batch): each message delivered; the call lost without its
   * response. Returns false (no stream to resume), as the SSE reader does when it ends unanswered.
   */
  takeJson(text: string, status: number): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    let answered = false;
    if (Array.isArray(parsed)) for (const m of parsed) answered = this.take(m) || answered;
    else answered = this.take(parsed);
    this.finished = true;
    if (!answered)
      this.link.lost(
        this.id,
        `the server answered ${this.method} with HTTP ${status} but no JSON-RPC response`,
      );
    return false;
  }

  /** Delivers one message of a JSON answer; true when it is this call's response. */
  private take(m: unknown): boolean {
    if (m === null || typeof m !== 'object') return false;
    this.link.deliver(m as RawObject, this.id);
    return isResponse(m as RawObject) && (m as RawObject).id === this.id;
  }

  // SseHooks, for this call's streams.

  deliver(msg: RawObject): void {
    this.link.deliver(msg, this.id);
    if (isResponse(msg) && msg.id === this.id) this.finished = true;
  }

  onId(eventId: string): void {
    this.lastEventId = eventId;
  }

  onRetry(ms: number): void {
    this.retryMs = ms;
  }

  tooLong(reason: string): void {
    // An answer too long to read is not asked for again (resuming would replay it).
    if (!this.resumed) this.tooLongReason = reason;
  }

  linger(body: IncomingMessage): void {
    this.link.linger(body);
  }
}

/** Whether a response is an SSE stream (else JSON). */
export function isEventStream(res: HttpResponse): boolean {
  return (res.header('content-type') ?? '').includes('text/event-stream');
}
