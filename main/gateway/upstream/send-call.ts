import { plainError, StartError } from './messages.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import { UpstreamError, UPSTREAM_ERROR, type CallOptions, type RawObject } from './types.js';
import type { WireTransport } from './wire-transport.js';

/** One request to send upstream over one link. */
export interface SendJob {
  /** The upstream's name, for error texts. */
  name: string;
  link: WireTransport;
  calls: PendingCalls;
  method: string;
  params: RawObject | undefined;
  opts: CallOptions & { internal?: boolean };
  /** Reset by each progress notification; Infinity for a stream that runs until closed (listen). */
  timeoutMs: number;
  /** A 2026-07-28 link: no `notifications/cancelled`; closing the request's stream says it. */
  stateless: boolean;
  /** A permanent problem the link reported while sending (e.g. HTTP 401 with no sign-in possible). */
  onStartError(err: StartError): void;
}

/**
 * Sends one request with our own id and progress token, and settles with the upstream's raw `result`
 * or an UpstreamError: its error, a timeout (-32001, the upstream told it may stop), the caller's
 * abort (-32800, likewise) or the link failing.
 */
export function sendCall(job: SendJob): Promise<RawObject> {
  const { name, link, calls, method, opts, timeoutMs } = job;
  if (opts.signal?.aborted) return Promise.reject(cancelledError(name, method, opts.signal.reason));
  const id = calls.allocateId();
  const mapped = calls.mapProgressToken(job.params);
  return new Promise<RawObject>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const onAbort = () =>
      abandon(
        cancelledError(name, method, opts.signal?.reason),
        String(opts.signal?.reason ?? 'cancelled by the client'),
      );
    const abandon = (err: UpstreamError, reason: string) => {
      if (!calls.take(id)) return;
      // Spec: Utilities/Cancellation: tell the server it may stop; its late answer is ignored.
      // initialize is the one request that must never be cancelled. 2026-07-28 has no cancel
      // notification: closing the request's stream (forget) says it.
      if (method !== 'initialize' && !job.stateless)
        link
          .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } })
          .catch(() => {});
      link.forget?.(id);
      reject(err);
    };
    const call: PendingCall = {
      id,
      method,
      callKey: opts.callKey,
      internal: opts.internal === true,
      resolve,
      reject,
      originalToken: mapped.original,
      mappedToken: mapped.mapped,
      onProgress: opts.onProgress,
      onNotification: opts.onNotification,
      touch() {
        // A listen stream runs until closed: no timeout.
        if (!Number.isFinite(timeoutMs)) return;
        // refresh() re-arms the same Timeout (no new object per progress notification). Timers of
        // one duration share one list and one native timer in Node, so a timer per call is cheap.
        if (timer) timer.refresh();
        else
          timer = setTimeout(
            () =>
              abandon(
                new UpstreamError(
                  UPSTREAM_ERROR.timeout,
                  timeoutText(name, method, timeoutMs, call.internal),
                ),
                'timed out',
              ),
            timeoutMs,
          );
      },
      dispose() {
        settled = true;
        clearTimeout(timer);
        // A listener not added yet (see below) is simply not there to remove.
        opts.signal?.removeEventListener('abort', onAbort);
      },
    };
    calls.add(call);
    const message: RawObject = { jsonrpc: '2.0', id, method };
    if (mapped.params !== undefined) message.params = mapped.params;
    link.send(message).catch((err: unknown) => {
      if (err instanceof StartError) job.onStartError(err);
      const text = plainError(err);
      const words = text.startsWith(`Upstream '${name}'`)
        ? text
        : `Could not send ${method} to upstream '${name}': ${text}`;
      if (calls.take(id)) reject(new UpstreamError(UPSTREAM_ERROR.connectionClosed, words));
    });
    // The timeout and the abort listener are armed once this turn's work is done: an HTTP upstream's
    // request is written on a later tick of this turn, and at c=1 every µs before that write is
    // added to the call (issue 16). An answer or an abort may still come first (both come as I/O,
    // which a setImmediate queued from inside another one lets run first): an answered call is
    // settled and arms nothing, an abort already made is seen here, and progress arms the timer itself.
    setImmediate(() => {
      if (settled) return;
      if (timer === undefined) call.touch();
      const { signal } = opts;
      if (signal === undefined) return;
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  });
}

function timeoutText(name: string, method: string, ms: number, internal: boolean): string {
  return internal
    ? `Upstream '${name}' did not answer ${method} within ${ms} ms while starting; it may be stuck or not an MCP server.`
    : `Upstream '${name}' did not answer ${method} within ${ms} ms (no progress either); the call was cancelled. Raise mcpServers.${name}.timeoutMs if it needs longer.`;
}

function cancelledError(name: string, method: string, reason: unknown): UpstreamError {
  const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
  return new UpstreamError(
    UPSTREAM_ERROR.cancelled,
    `The ${method} call to upstream '${name}' was cancelled${why ? ` (${why})` : ''}.`,
  );
}
