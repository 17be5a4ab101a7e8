import { CallMap } from '../../common/call-tables.js';
import type { UpstreamError } from './types.js';
import { type JsonRpcId, type JsonRpcNotification, type RawObject } from './types.js';

/** setTimeout's longest delay (a signed 32-bit millisecond count). */
const MAX_DELAY = 2 ** 31 - 1;

/** One request we sent upstream and wait on. */
export interface PendingCall {
  id: number;
  method: string;
  callKey: string | undefined;
  /** Internal calls (initialize, list fetches) never count as "the only call in flight". */
  internal: boolean;
  resolve(result: RawObject): void;
  reject(err: UpstreamError): void;
  /** The caller's progress token and ours, when the call asked for progress. */
  originalToken?: string | number;
  mappedToken?: string;
  onProgress?: (params: RawObject) => void;
  onNotification?: (message: JsonRpcNotification) => void;
  /** When the call times out (performance.now() ms; Infinity: not set, or never). */
  readonly deadline: number;
  /** Restarts the per-call timeout (called on each progress notification). */
  touch(): void;
  /** The deadline passed: the call gives up. */
  expire(): void;
  /** Clears the abort listener (the call is settled). */
  dispose(): void;
}

/**
 * Id and progress-token rewriting for one upstream. Upstream ids are our own counter: many client
 * sessions share one upstream connection, so their ids could collide. Progress tokens are rewritten
 * for the same reason (spec: Utilities/Progress, "tokens MUST be unique across active requests").
 */
export class PendingCalls {
  private nextId = 1;
  private nextToken = 1;
  // CallMap, not Map: a table of calls that come and go must not keep them past their end (call-tables.ts).
  private readonly byId = new CallMap<number, PendingCall>();
  private readonly byToken = new CallMap<string, PendingCall>();
  /** One timer for every call's timeout, set for the earliest deadline (issue 16: not one per call). */
  private timer: NodeJS.Timeout | undefined;
  /** When `timer` fires (Infinity: not set). */
  private timerAt = Infinity;

  constructor(private readonly tokenPrefix: string) {}

  allocateId(): number {
    return this.nextId++;
  }

  /**
   * Returns params with `_meta.progressToken` replaced by a fresh token, and the original; the rest
   * of params (including other `_meta` keys) is passed through by reference, unchanged.
   */
  mapProgressToken(params: RawObject | undefined): {
    params: RawObject | undefined;
    original?: string | number;
    mapped?: string;
  } {
    const meta = params?._meta;
    if (!params || meta === null || typeof meta !== 'object' || Array.isArray(meta)) return { params };
    const token = (meta as RawObject).progressToken;
    if (typeof token !== 'string' && typeof token !== 'number') return { params };
    const mapped = `${this.tokenPrefix}${this.nextToken++}`;
    return {
      params: { ...params, _meta: { ...(meta as RawObject), progressToken: mapped } },
      original: token,
      mapped,
    };
  }

  add(call: PendingCall): void {
    this.byId.set(call.id, call);
    if (call.mappedToken !== undefined) this.byToken.set(call.mappedToken, call);
  }

  get(id: JsonRpcId): PendingCall | undefined {
    return typeof id === 'number' ? this.byId.get(id) : this.byId.get(Number(id));
  }

  /** Removes and returns the call (answered, failed, cancelled or timed out). */
  take(id: JsonRpcId): PendingCall | undefined {
    const call = this.get(id);
    if (!call) return undefined;
    this.byId.delete(call.id);
    if (call.mappedToken !== undefined) this.byToken.delete(call.mappedToken);
    call.dispose();
    // No call left to time out: no timer to keep the process awake.
    if (this.byId.size === 0 && this.timer !== undefined) this.setTimer(Infinity);
    return call;
  }

  /** A call's deadline was set or moved: the timer fires by then (a later one is checked when it fires). */
  due(deadline: number): void {
    if (deadline < this.timerAt) this.setTimer(deadline);
  }

  private setTimer(at: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = at;
    // Node sets a delay past MAX_DELAY to 1 ms: a later deadline (a timeoutMs of weeks) waits in
    // steps, each firing finding it not due yet and setting the timer again.
    if (at !== Infinity)
      this.timer = setTimeout(
        () => this.expire(),
        Math.min(MAX_DELAY, Math.max(0, Math.ceil(at - performance.now()))),
      );
  }

  /** Expires the calls whose deadline has passed, and sets the timer for the next one. */
  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    // A copy: an expiring call takes itself out.
    for (const call of [...this.byId.values()]) {
      if (call.deadline <= now) call.expire();
      else if (call.deadline < next) next = call.deadline;
    }
    if (next < this.timerAt) this.setTimer(next);
  }

  byProgressToken(token: unknown): PendingCall | undefined {
    return typeof token === 'string' || typeof token === 'number'
      ? this.byToken.get(String(token))
      : undefined;
  }

  /** The caller-visible call that is alone in flight, if exactly one (stdio/SSE attribution). */
  soleExternal(): PendingCall | undefined {
    let found: PendingCall | undefined;
    for (const c of this.byId.values()) {
      if (c.internal) continue;
      if (found) return undefined;
      found = c;
    }
    return found;
  }

  /** Rejects every pending call with the error `make(call)` builds for it. */
  rejectAll(make: (call: PendingCall) => UpstreamError): void {
    for (const call of [...this.byId.values()]) {
      this.take(call.id);
      call.reject(make(call));
    }
  }

  get size(): number {
    return this.byId.size;
  }
}
