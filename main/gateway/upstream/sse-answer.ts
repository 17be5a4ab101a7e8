import type { IncomingMessage } from 'node:http';
import { isResponse, plainError } from './messages.js';
import { takeWhole, type HttpResponse } from './http-client.js';
import { MAX_EVENT_CHARS, readSseEvents, SseDecoder, type SseEvent, type SseSink } from './sse-parser.js';
import type { JsonRpcId, RawObject } from './types.js';
import { parseMessage } from './wire-transport.js';

/** What reading an SSE body reports as it goes. */
export interface SseHooks {
  /** Every JSON-RPC message of the stream up to (and including) the answer. */
  deliver(msg: RawObject): void;
  /** The id of each event, for resumption with Last-Event-ID. */
  onId(eventId: string): void;
  /** A `retry` field: how long to wait before reconnecting. */
  onRetry(ms: number): void;
  /** An event was too long: the stream was closed, and this says why. */
  tooLong?(reason: string): void;
  /** The answer arrived while the server kept the stream open: drain it elsewhere. */
  linger?(body: IncomingMessage): void;
}

/** An answer already delivered: one promise for every call answered in the turn it was read. */
const ANSWERED = Promise.resolve(true);

/**
 * Reads an SSE response body. Resolves true as soon as the answer to `id` arrived: the call is done
 * at its message, not when the server ends the stream (the rest is drained, not delivered). Resolves
 * false when the stream ends or breaks without it (`id` undefined: read until the end). An event longer
 * than `maxEventChars` breaks the stream (sse-parser.ts says why).
 */
export function readSseAnswer(
  body: IncomingMessage,
  id: JsonRpcId | undefined,
  hooks: SseHooks,
  maxEventChars = MAX_EVENT_CHARS,
): Promise<boolean> {
  const reader = new AnswerReader(body, id, hooks, maxEventChars);
  // What already arrived (usually the whole answer: it came in the read that brought the headers)
  // is decoded now rather than a 'data' event later. The answer is then delivered in this turn's
  // microtasks, so the caller's answer goes out before Node ends this response and hands its
  // socket back to the agent, which it does on the next ticks (issue 16: every µs there is on the
  // call's critical path). One read: an ended body's last read() only schedules 'end'.
  const whole = takeWhole(body);
  if (whole !== undefined) {
    // All of it: decoded in one piece (no character can be cut), without a stream decoder.
    if (whole !== null) reader.push(whole);
    // Answered, and nothing more can come: no listeners to add (and take off again), no promise.
    if (reader.answered) return ANSWERED;
  } else {
    body.setEncoding('utf8');
    if (body.readableLength > 0 && !body.readableFlowing) {
      const text = body.read() as string | null;
      if (text !== null) reader.push(text);
    }
  }
  return new Promise((resolve) => {
    // Answered already (by the part that was buffered) or not, the rest is read: an answered stream
    // is drained to its end, so its socket goes back to the pool.
    if (reader.answered) resolve(true);
    else reader.resolve = resolve;
    body.on('data', (text: string | Buffer) => reader.push(text));
    // 'close' also follows an error or an abort: the caller resumes or reports the call lost.
    body.once('close', () => resolve(reader.answered));
    body.once('end', () => resolve(reader.answered));
  });
}

/** One SSE body's reading: the decoder's sink, until the answer to `id` came. */
class AnswerReader implements SseSink {
  answered = false;
  /** Set once the stream has to be waited for. */
  resolve: ((answered: boolean) => void) | undefined;
  private readonly decoder: SseDecoder;

  constructor(
    private readonly body: IncomingMessage,
    private readonly id: JsonRpcId | undefined,
    private readonly hooks: SseHooks,
    maxEventChars: number,
  ) {
    this.decoder = new SseDecoder(this, maxEventChars);
  }

  push(text: string | Buffer): void {
    try {
      this.decoder.push(typeof text === 'string' ? text : text.toString('utf8'));
    } catch (err) {
      // Thrown out of a 'data' handler it would end the process; the stream ends here instead.
      this.hooks.tooLong?.(err instanceof Error ? err.message : String(err));
      this.body.destroy();
    }
  }

  onId(eventId: string): void {
    this.hooks.onId(eventId);
  }

  onEvent(ev: SseEvent): void {
    if (this.answered) return;
    const { hooks } = this;
    if (ev.retry !== undefined) hooks.onRetry(ev.retry);
    if (ev.event !== 'message') return;
    const msg = parseMessage(ev.data);
    if (!msg) return;
    hooks.deliver(msg);
    if (this.id !== undefined && isResponse(msg) && msg.id === this.id) {
      this.answered = true;
      this.resolve?.(true);
      hooks.linger?.(this.body);
    }
  }
}

/** The initialize result from its HTTP answer (JSON or SSE); throws with the reason otherwise. */
export async function readInitAnswer(res: HttpResponse, id: JsonRpcId): Promise<RawObject> {
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
