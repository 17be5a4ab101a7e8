import { CallSet } from '../../common/call-tables.js';

/** What Heartbeats keeps alive: an answer still due (response-stream.ts). */
export interface Beating {
  /** Sends one keep-alive comment (switching the answer to SSE first). */
  beat(): void;
}

/**
 * The keep-alive comments of every answer still due, on one timer. Cloudflare drops a request that
 * sends no first byte for about 100 s (PROTOCOL.md), so an answer still due after `everyMs` (and
 * every `everyMs` after that) gets a comment line, which every SSE parser ignores.
 *
 * All periods are the same, so the answers wait in the order they are due (a CallSet keeps insertion
 * order) and the timer is armed for the first of them. Adding and removing an answer is an entry
 * instead of a timer of its own per call (and an Immediate to arm it after the call's upstream write;
 * issue 16: two timer operations and their closures per call at every concurrency).
 */
export class Heartbeats {
  /** Each answer still due, with the time (performance.now()) of its next comment; oldest first. */
  // A CallSet, not a Map: an answer must not outlive its entry (call-tables.ts).
  private readonly due = new CallSet<Beating, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly everyMs: number) {}

  add(answer: Beating): void {
    this.due.add(answer, performance.now() + this.everyMs);
    // Armed once for many answers: one answered before it fires leaves it nothing to do, and it is
    // armed again only for the first answer still due then.
    if (this.timer === undefined) this.arm(this.everyMs);
  }

  remove(answer: Beating): void {
    this.due.delete(answer);
  }

  /** Stops the timer (the endpoint closes); answers added later arm it again. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(ms)));
    // The old per-call interval did not keep the process alive either.
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    // A timer may fire within a millisecond before performance.now() says it is due (libuv's loop
    // clock has millisecond steps): those answers are due.
    const now = performance.now() + 1;
    // Each answer beaten goes to the back, due a period later: the loop ends at the first not due.
    for (let answer = this.due.first(); answer !== undefined; answer = this.due.first()) {
      const at = this.due.get(answer)!;
      if (at > now) {
        this.arm(at - now + 1);
        return;
      }
      // To the back, due again a period from now (before beat(), which may finish the answer).
      this.due.delete(answer);
      this.due.add(answer, now + this.everyMs);
      answer.beat();
    }
  };
}
