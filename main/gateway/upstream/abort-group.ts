import { CallSet } from '../../common/call-tables.js';

/**
 * Short-lived AbortControllers that one abortAll() stops together. Each request gets its own
 * controller instead of sharing one long-lived signal, because listeners added to a shared signal
 * (by fetch or AbortSignal.any) pile up over thousands of calls.
 */
export class AbortGroup {
  /** A CallSet: each request's entry comes and goes, and must not keep it past its end (call-tables.ts). */
  private readonly live = new CallSet<{ abort(): void }>();
  private done = false;

  get aborted(): boolean {
    return this.done;
  }

  /** A controller that abortAll() will abort; release() it when its request is over. */
  take(): AbortController {
    const c = new AbortController();
    if (this.done) c.abort();
    else this.live.add(c);
    return c;
  }

  /** Adds anything abortable (a RequestHandle); release() it when its request is over. */
  add(c: { abort(): void }): void {
    if (this.done) c.abort();
    else this.live.add(c);
  }

  release(c: { abort(): void }): void {
    this.live.delete(c);
  }

  abortAll(): void {
    this.done = true;
    for (const c of this.live.keys()) c.abort();
    this.live.clear();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no listener behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
