import type { ActivityEvent, ActivitySink } from '../../activity/types.js';
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

/** Turns anything thrown on the call path into a JSON-RPC error object a person can act on. */
export function toRpcError(err: unknown): JsonRpcErrorObject {
  if (err instanceof UpstreamError)
    return err.data === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, data: err.data };
  return {
    code: INTERNAL_ERROR,
    message: `Internal error in the gateway: ${err instanceof Error ? err.message : String(err)}`,
  };
}

function classify(ctx: RouteContext, error: JsonRpcErrorObject | undefined): ActivityEvent['outcome'] {
  if (error === undefined) return 'ok';
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
  try {
    result = await call();
  } catch (err) {
    error = toRpcError(err);
  }
  const durationMs = performance.now() - started;
  let recorded = false;
  return {
    result,
    error,
    finish(responseBytes) {
      if (recorded || activity === undefined) return;
      recorded = true;
      const p = ctx.client.principal;
      activity.record({
        time,
        kind: 'request',
        client: {
          id: p.clientId ?? p.kind,
          name: p.clientName ?? (ctx.client.clientInfo?.['name'] as string | undefined),
        },
        sessionId: ctx.client.sessionId,
        protocolVersion: ctx.client.protocolVersion,
        method,
        target: ctx.target,
        upstream: ctx.upstream,
        durationMs: Math.round(durationMs * 1000) / 1000,
        outcome: classify(ctx, error),
        error: error === undefined ? undefined : { code: error.code, message: error.message },
        requestBytes,
        responseBytes,
        request: params,
        response: result,
      });
    },
  };
}
