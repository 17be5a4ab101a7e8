/**
 * Time and timers behind one interface, the clock seam of ARCHITECTURE.md: supervision backoff, the
 * tunnel's restart and kill timers and the OAuth server's expiries all read it, so tests move time
 * by hand (test/fixtures/manual-clock.ts) instead of waiting it out.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Date.now and the global timers. Timers are unref'd: a pending restart or expiry never keeps the
 * process alive on its own (the listeners and child processes do that while there is work).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
