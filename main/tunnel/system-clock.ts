import type { TunnelClock } from './types.js';

/** The real clock: Date.now and the global timers. */
export const systemClock: TunnelClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
