import type { IncomingMessage } from 'node:http';
import { isResponse, plainError } from './messages.js';
import { takeWhole, type HttpResponse } from './http-client.js';
import { MAX_EVENT_CHARS, readSseEvents, SseDecoder } from './sse-parser.js';
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
  return new Promise((resolve) => {
    let answered = false;
    const decoder = new SseDecoder(
      (ev) => {
        if (answered) return;
        if (ev.retry !== undefined) hooks.onRetry(ev.retry);
        if (ev.event !== 'message') return;
        const msg = parseMessage(ev.data);
        if (!msg) return;
        hooks.deliver(msg);
        if (id !== undefined && isResponse(msg) && msg.id === id) {
          answered = true;
          resolve(true);
          hooks.linger?.(body);
        }
      },
      hooks.onId,
      maxEventChars,
    );
    const onText = (text: string | Buffer): void => {
      try {
        decoder.push(typeof text === 'string' ? text : text.toString('utf8'));
      } catch (err) {
        // Thrown out of a 'data' handler it would end the process; the stream ends here instead.
        hooks.tooLong?.(err instanceof Error ? err.message : String(err));
        body.destroy();
      }
    };
    // What already arrived (usually the whole answer: it came in the read that brought the headers)
    // is decoded now rather than a 'data' event later. The answer is then delivered in this turn's
    // microtasks, so the caller's answer goes out before Node ends this response and hands its
    // socket back to the agent, which it does on the next ticks (issue 16: every µs there is on the
    // call's critical path). One read: an ended body's last read() only schedules 'end'.
    const whole = takeWhole(body);
    if (whole !== undefined) {
      // All of it: decoded in one piece (no character can be cut), without a stream decoder.
      if (whole !== null) onText(whole);
      // Answered, and nothing more can come: no listeners to add (and take off again) per call.
      if (answered) return;
    } else {
      body.setEncoding('utf8');
      if (body.readableLength > 0 && !body.readableFlowing) {
        const text = body.read() as string | null;
        if (text !== null) onText(text);
      }
    }
    body.on('data', onText);
    // 'close' also follows an error or an abort: the caller resumes or reports the call lost.
    body.once('close', () => resolve(answered));
    body.once('end', () => resolve(answered));
  });
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
