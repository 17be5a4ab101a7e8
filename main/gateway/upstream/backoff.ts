import type { Clock } from '../../common/clock.js';

export interface BackoffOptions {
  /** First delay ceiling (ms). */
  baseMs: number;
  /** Growth per consecutive failure. */
  factor: number;
  /** Largest delay ceiling (ms). */
  maxMs: number;
  /** After this long healthy (ms), the next failure starts again from baseMs. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  baseMs: 500,
  factor: 2,
  maxMs: 30_000,
  resetAfterMs: 60_000,
};

/**
 * Exponential backoff with "full jitter" (a uniformly random delay in [0, ceiling]); spreads restarts
 * of many upstreams apart and never hammers a crashing server.
 */
export class Backoff {
  private attempt = 0;
  private healthySince: number | undefined;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  /** The upstream is healthy from now on. */
  succeeded(): void {
    this.healthySince = this.clock.now();
  }

  /** A failure happened: the delay before the next attempt (ms). */
  next(): number {
    if (this.healthySince !== undefined && this.clock.now() - this.healthySince >= this.opts.resetAfterMs)
      this.attempt = 0;
    this.healthySince = undefined;
    const ceiling = Math.min(this.opts.maxMs, this.opts.baseMs * this.opts.factor ** this.attempt);
    this.attempt++;
    return Math.round(this.random() * ceiling);
  }

  /** Consecutive failures counted so far. */
  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
    this.healthySince = undefined;
  }
}
