/**
 * When cloudflared exits by itself: restart with exponential back-off, give up after a number of
 * failures in a row, and never retry what cannot get better (a refused token, see log-parser.ts).
 * A run that stayed up for `stableAfterMs` wipes the failure count: a tunnel that drops once a day
 * must not give up after a week.
 */
import type { Clock } from '../common/clock.js';

export interface RestartOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  stableAfterMs: number;
}

export type ExitDecision = { restartInMs: number } | { giveUp: string };

export type RestartPolicy = ReturnType<typeof createRestartPolicy>;

export function createRestartPolicy(r: RestartOptions, clock: Pick<Clock, 'now'>) {
  let failures = 0;
  let restarts = 0;
  let readyAt: number | null = null;
  return {
    /** An explicit start: counts begin again. */
    reset(): void {
      failures = 0;
      restarts = 0;
    },
    ready(): void {
      readyAt = clock.now();
    },
    stopped(): void {
      readyAt = null;
    },
    /** Restarts after crashes since the last explicit start (shown in the state). */
    restarts: (): number => restarts,
    /** cloudflared exited by itself; `permanent` when its output says a retry cannot help. */
    exited(permanent: boolean): ExitDecision {
      if (readyAt !== null && clock.now() - readyAt >= r.stableAfterMs) failures = 0;
      failures++;
      readyAt = null;
      if (permanent) return { giveUp: '' };
      if (failures > r.maxAttempts)
        return { giveUp: ` Gave up after ${r.maxAttempts} restart${r.maxAttempts === 1 ? '' : 's'}.` };
      restarts++;
      return { restartInMs: Math.min(r.initialDelayMs * 2 ** (failures - 1), r.maxDelayMs) };
    },
  };
}
