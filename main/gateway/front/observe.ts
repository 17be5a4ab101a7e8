import type { ActivityCall, ActivityEvent, ActivitySink } from '../../activity/types.js';
import { UpstreamError } from '../upstream/types.js';
import type { JsonRpcErrorObject, RawObject } from '../upstream/types.js';
import type { RouteContext } from '../router/types.js';
import { INTERNAL_ERROR } from './protocol.js';

/** The settled answer to one request, plus the hook that logs it once its size is known. */
export interface Outcome {
  result?: RawObject;
  error?: JsonRpcErrorObject;
  /** Records the activity event; call once the response is written. */
  finish(responseBytes?: number): void;
}

/**
 * Turns anything thrown on the call path into a JSON-RPC error object a person can act on, with the
 * secrets the gateway holds masked: an upstream's error may echo the token or key it was sent
 * ("invalid API key sk-..."), and the client (ChatGPT) must never receive the owner's credentials.
 */
function toRpcError(err: unknown, mask: ((text: string) => string) | undefined): JsonRpcErrorObject {
  const m = mask ?? ((t: string) => t);
  if (err instanceof UpstreamError)
    return err.data === undefined
      ? { code: err.code, message: m(err.message) }
      : { code: err.code, message: m(err.message), data: maskedData(err.data, m) };
  return {
    code: INTERNAL_ERROR,
    message: m(`Internal error in the gateway: ${err instanceof Error ? err.message : String(err)}`),
  };
}

/** An error's `data` with secrets masked; unchanged (the same object) when it holds none. */
function maskedData(data: unknown, mask: (text: string) => string): unknown {
  if (typeof data === 'string') return mask(data);
  if (data === null || typeof data !== 'object') return data;
  const text = JSON.stringify(data);
  const masked = mask(text);
  if (masked === text) return data;
  try {
    return JSON.parse(masked) as unknown;
  } catch {
    // A secret with JSON-escaped characters split the text oddly: send the masked text itself.
    return masked;
  }
}

/** Methods worth showing while in flight: they reach an upstream and may take a while. */
const SHOWN_IN_FLIGHT = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

/** A tool's own failure (`isError: true`): the call worked, the tool did not (MCP server/tools). */
function isToolError(method: string, result: RawObject | undefined): boolean {
  return method === 'tools/call' && result?.['isError'] === true;
}

/**
 * The tool's first text block, as the error message of a `tool_error` event: secrets out before the
 * cut, which could otherwise split one and leave a half the log's redaction does not know.
 */
function toolErrorText(result: RawObject, redactText: ((text: string) => string) | undefined): string {
  const content = Array.isArray(result['content']) ? (result['content'] as unknown[]) : [];
  for (const c of content) {
    const text = (c as RawObject | null)?.['text'];
    if (typeof text === 'string' && text.trim() !== '')
      return (redactText === undefined ? text : redactText(text)).slice(0, 500);
  }
  return 'The tool reported an error (isError: true) without a text message.';
}

function classify(
  ctx: RouteContext,
  method: string,
  result: RawObject | undefined,
  error: JsonRpcErrorObject | undefined,
): ActivityEvent['outcome'] {
  if (error === undefined) return isToolError(method, result) ? 'tool_error' : 'ok';
  if (ctx.denied) return 'denied';
  if (ctx.signal.aborted) return 'cancelled';
  // -32001 is the SDKs' request-timeout code.
  if (error.code === -32001 || /timed? ?out/i.test(error.message)) return 'timeout';
  return 'error';
}

/**
 * Observes one request at the router boundary by wrapping it (CONVENTIONS.md 7): times it, maps its
 * error, and reports it to the activity sink. Redaction and truncation are the sink's job.
 */
export async function observe(
  activity: ActivitySink | undefined,
  method: string,
  params: RawObject | undefined,
  ctx: RouteContext,
  requestBytes: number | undefined,
  call: () => Promise<RawObject>,
): Promise<Outcome> {
  const time = Date.now();
  const started = performance.now();
  let result: RawObject | undefined;
  let error: JsonRpcErrorObject | undefined;
  const begin = SHOWN_IN_FLIGHT.has(method) ? activity?.begin : undefined;
  let inFlight: ActivityCall | undefined;
  if (begin !== undefined) {
    // Progress is reported by wrapping the request's own notify (CONVENTIONS.md 7).
    const notify = ctx.notify;
    ctx.notify = (m, p) => {
      if (m === 'notifications/progress') inFlight?.progress(progressOf(p));
      notify(m, p);
    };
  }
  // Who asked, once per call: the same for the call in flight and its end.
  let client: ActivityEvent['client'];
  try {
    const pending = call();
    // The router names the target and upstream before its first await: the call in flight can say
    // them. begin() only notes the call (the log shows it once it has run a while, by one shared
    // ticker: activity/in-flight.ts): nothing is redacted, serialised or published here, ahead of the
    // upstream request's write (node:http writes it on a tick after this turn's code; issue 16).
    if (begin !== undefined) {
      client = clientOf(ctx);
      inFlight = begin.call(activity, {
        time,
        kind: 'request',
        client,
        sessionId: ctx.client.sessionId,
        protocolVersion: ctx.client.protocolVersion,
        method,
        target: ctx.target,
        upstream: ctx.upstream,
        requestBytes,
        request: params,
      });
    }
    result = await pending;
  } catch (err) {
    error = toRpcError(err, activity?.redactText?.bind(activity));
  }
  const durationMs = performance.now() - started;
  let recorded = false;
  return {
    result,
    error,
    finish(responseBytes) {
      if (recorded || activity === undefined) return;
      recorded = true;
      const outcome = classify(ctx, method, result, error);
      // One object: the log takes the request from begin() for a call in flight, else from here.
      const event: Omit<ActivityEvent, 'id'> = {
        time,
        kind: 'request',
        client: client ?? clientOf(ctx),
        sessionId: ctx.client.sessionId,
        protocolVersion: ctx.client.protocolVersion,
        method,
        target: ctx.target,
        upstream: ctx.upstream,
        durationMs: Math.round(durationMs * 1000) / 1000,
        outcome,
        error:
          error !== undefined
            ? { code: error.code, message: error.message }
            : outcome === 'tool_error'
              ? { message: toolErrorText(result!, activity.redactText?.bind(activity)) }
              : undefined,
        requestBytes,
        responseBytes,
        request: params,
        response: result,
      };
      if (inFlight) inFlight.end(event);
      else activity.record(event);
    },
  };
}

/** Who asked: the OAuth client (id and name), or the kind of principal; the client's own name. */
function clientOf(ctx: RouteContext): ActivityEvent['client'] {
  const p = ctx.client.principal;
  return {
    id: p.clientId ?? p.kind,
    name: p.clientName ?? (ctx.client.clientInfo?.['name'] as string | undefined),
  };
}

/** The fields of a progress notification worth showing (MCP basic/utilities/progress). */
function progressOf(p: RawObject): NonNullable<ActivityEvent['progress']> {
  const out: NonNullable<ActivityEvent['progress']> = {};
  if (typeof p['progress'] === 'number') out.progress = p['progress'];
  if (typeof p['total'] === 'number') out.total = p['total'];
  // Whole: the log takes the secrets out first, then cuts it (MAX_TEXT.progress); a cut made here
  // could split a secret, and the half left would not be found.
  if (typeof p['message'] === 'string') out.message = p['message'];
  return out;
}
