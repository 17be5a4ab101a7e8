/**
 * The tunnel manager's runs: each start, restart, failure and stop begins a new generation, and
 * every callback (cloudflared's lines, its exit, a timer) carries the generation it belongs to, so a
 * late event from an earlier run can never change the state of the current one.
 */
import type { Clock } from '../common/clock.js';

export type RunGenerations = ReturnType<typeof createRunGenerations>;

export function createRunGenerations(clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>) {
  let gen = 0;
  let timers: unknown[] = [];
  const clear = (): void => {
    for (const h of timers) clock.clearTimeout(h);
    timers = [];
  };
  return {
    current: (): number => gen,
    isCurrent: (g: number): boolean => g === gen,
    /** Ends the current run (its pending timers are cancelled) and returns the next one's number. */
    next(): number {
      gen++;
      clear();
      return gen;
    },
    /** Runs `fn` after `ms` if run `g` is still the current one. */
    later(g: number, ms: number, fn: () => void): void {
      // Fired timers leave the list, so a tunnel polling for days does not accumulate handles.
      const handle = clock.setTimeout(() => {
        timers = timers.filter((h) => h !== handle);
        if (g === gen) fn();
      }, ms);
      timers.push(handle);
    },
  };
}
