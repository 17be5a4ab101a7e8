import { jsonText } from '../common/json-text.js';
import type { Redactor } from './redact.js';
import type { ActivityEvent } from './types.js';

export type Progress = NonNullable<ActivityEvent['progress']>;
/** An event as the gateway reports it: no id yet; the request comes separately (scrub()). */
export type EventInput = Omit<ActivityEvent, 'id' | 'request'>;

/** Caps of the free-text fields of a stored event (the payloads have the redactor's budget). */
export const MAX_TEXT = { target: 1000, error: 2000, client: 200, progress: 300 } as const;

/** Cuts free text to `max` characters with the same marker as the redactor. */
function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...[truncated ${text.length - max} chars]` : text;
}

/** Size in bytes of a value's JSON (what was cut); undefined when it cannot be serialised. */
function jsonBytes(value: unknown): number | undefined {
  try {
    // A shared value (the merged tool list) has its size cached: no 90 KB serialisation per event.
    return jsonText(value)?.bytes;
  } catch {
    return undefined;
  }
}

export interface EventScrubber {
  /**
   * The event stored under `id`: secrets out of every text and payload first, then the cuts (a cut
   * must never leave half a secret behind), with the full size of a cut payload in `truncated`.
   * `request` is the call's request as the gateway had it; for a call already shown in flight,
   * `shown` is its stored event instead, whose request (and that request's cut size) it keeps.
   * `progress`, already clean, stands when `input` has none. One object is built, field by field: the
   * caller's objects are not copied where nothing in them changes (issue 16: allocations per call).
   */
  scrub(
    input: EventInput,
    id: number,
    request: unknown,
    shown: ActivityEvent | undefined,
    progress: Progress | undefined,
  ): ActivityEvent;
  /** Free text with the secrets out, cut to `max`. */
  text(text: string, max: number): string;
}

export function createEventScrubber(redactor: Redactor): EventScrubber {
  const text = (t: string, max: number): string => capText(redactor.redactText(String(t)), max);
  const client = (c: ActivityEvent['client']): ActivityEvent['client'] => {
    if (c?.name === undefined) return c;
    const name = text(c.name, MAX_TEXT.client);
    return name === c.name ? c : { ...c, name };
  };
  const error = (e: ActivityEvent['error']): ActivityEvent['error'] => {
    if (e === undefined) return e;
    const message = text(e.message, MAX_TEXT.error);
    return message === e.message ? e : { ...e, message };
  };
  const progressOf = (p: Progress): Progress => {
    if (p.message === undefined) return p;
    const message = text(p.message, MAX_TEXT.progress);
    return message === p.message ? p : { ...p, message };
  };

  return {
    text,
    scrub(input, id, request, shown, progress) {
      let requestValue: unknown;
      let requestCut: number | undefined;
      if (shown !== undefined) {
        requestValue = shown.request;
        requestCut = shown.truncated?.request;
      } else if (request !== undefined) {
        const r = redactor.redactCapped(request);
        requestValue = r.value;
        if (r.truncated) requestCut = jsonBytes(request) ?? -1;
      }
      let responseValue: unknown;
      let responseCut: number | undefined;
      if (input.response !== undefined) {
        const r = redactor.redactCapped(input.response);
        responseValue = r.value;
        if (r.truncated) responseCut = jsonBytes(input.response) ?? -1;
      }
      let truncated: ActivityEvent['truncated'];
      if (requestCut !== undefined || responseCut !== undefined) {
        truncated = {};
        if (requestCut !== undefined) truncated.request = requestCut;
        if (responseCut !== undefined) truncated.response = responseCut;
      }
      return {
        id,
        time: input.time,
        kind: input.kind,
        client: client(input.client),
        sessionId: input.sessionId,
        protocolVersion: input.protocolVersion,
        method: input.method,
        target: input.target === undefined ? undefined : text(input.target, MAX_TEXT.target),
        upstream: input.upstream,
        durationMs: input.durationMs,
        outcome: input.outcome,
        error: error(input.error),
        progress: input.progress === undefined ? progress : progressOf(input.progress),
        requestBytes: input.requestBytes,
        responseBytes: input.responseBytes,
        request: requestValue,
        response: responseValue,
        truncated,
      };
    },
  };
}
