import { afterTurn } from './after-turn.js';
import { plainError, StartError } from './messages.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type CallOptions,
  type JsonRpcNotification,
  type RawObject,
} from './types.js';
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
  const { name, link, calls, method, opts } = job;
  if (opts.signal?.aborted) return Promise.reject(cancelledError(name, method, opts.signal.reason));
  const id = calls.allocateId();
  const mapped = calls.mapProgressToken(job.params);
  const call = new Call(job, id, mapped.original, mapped.mapped);
  const answer = new Promise<RawObject>((resolve, reject) => {
    call.resolve = resolve;
    call.reject = reject;
  });
  calls.add(call);
  const message: RawObject = { jsonrpc: '2.0', id, method };
  if (mapped.params !== undefined) message.params = mapped.params;
  link.send(message).catch((err: unknown) => call.sendFailed(err));
  // The timeout and the abort listener are armed once this turn's work is done: an HTTP upstream's
  // request is written on a later tick of this turn, and at c=1 every µs before that write is
  // added to the call (issue 16). An answer or an abort may still come first (both come as I/O,
  // which a setImmediate queued from inside another one lets run first): an answered call is
  // settled and arms nothing, an abort already made is seen then, and progress arms the timer itself.
  afterTurn(arm, call);
  return answer;
}

function arm(call: Call): void {
  call.arm();
}

/**
 * One call in flight, as one object (issue 16): the PendingCall with its methods on the prototype,
 * and the listener of its caller's abort (`handleEvent`), instead of five closures per call.
 */
class Call implements PendingCall {
  readonly method: string;
  readonly callKey: string | undefined;
  readonly internal: boolean;
  readonly onProgress: ((params: RawObject) => void) | undefined;
  readonly onNotification: ((message: JsonRpcNotification) => void) | undefined;
  resolve: (result: RawObject) => void = settledAlready;
  reject: (err: UpstreamError) => void = settledAlready;
  deadline = Infinity;
  private settled = false;

  constructor(
    private readonly job: SendJob,
    readonly id: number,
    readonly originalToken: string | number | undefined,
    readonly mappedToken: string | undefined,
  ) {
    const { opts } = job;
    this.method = job.method;
    this.callKey = opts.callKey;
    this.internal = opts.internal === true;
    this.onProgress = opts.onProgress;
    this.onNotification = opts.onNotification;
  }

  touch(): void {
    // A listen stream runs until closed: no timeout.
    if (!Number.isFinite(this.job.timeoutMs)) return;
    // The connection's one timer for all its calls fires by then (PendingCalls.due).
    this.deadline = performance.now() + this.job.timeoutMs;
    this.job.calls.due(this.deadline);
  }

  dispose(): void {
    this.settled = true;
    // A listener not added yet (see arm) is simply not there to remove.
    this.job.opts.signal?.removeEventListener('abort', this);
  }

  /** After the sending turn: the timeout (unless progress set it already), and the caller's abort. */
  arm(): void {
    if (this.settled) return;
    if (this.deadline === Infinity) this.touch();
    const { signal } = this.job.opts;
    if (signal === undefined) return;
    if (signal.aborted) return this.handleEvent();
    signal.addEventListener('abort', this, { once: true });
  }

  /** The caller aborted (an EventListener object: no closure per call). */
  handleEvent(): void {
    const { name, method, opts } = this.job;
    this.abandon(
      cancelledError(name, method, opts.signal?.reason),
      String(opts.signal?.reason ?? 'cancelled by the client'),
    );
  }

  expire(): void {
    const { name, method, timeoutMs } = this.job;
    this.abandon(
      new UpstreamError(UPSTREAM_ERROR.timeout, timeoutText(name, method, timeoutMs, this.internal)),
      'timed out',
    );
  }

  sendFailed(err: unknown): void {
    const { name, method, calls } = this.job;
    if (err instanceof StartError) this.job.onStartError(err);
    const text = plainError(err);
    const words = text.startsWith(`Upstream '${name}'`)
      ? text
      : `Could not send ${method} to upstream '${name}': ${text}`;
    if (calls.take(this.id)) this.reject(new UpstreamError(UPSTREAM_ERROR.connectionClosed, words));
  }

  private abandon(err: UpstreamError, reason: string): void {
    const { link, calls, method, stateless } = this.job;
    if (!calls.take(this.id)) return;
    // Spec: Utilities/Cancellation: tell the server it may stop; its late answer is ignored.
    // initialize is the one request that must never be cancelled. 2026-07-28 has no cancel
    // notification: closing the request's stream (forget) says it.
    if (method !== 'initialize' && !stateless)
      link
        .send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: this.id, reason } })
        .catch(() => {});
    link.forget?.(this.id);
    this.reject(err);
  }
}

function settledAlready(): void {}

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
