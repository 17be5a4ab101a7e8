/**
 * The tunnel manager's state: every change is emitted as 'state' (a copy), and start() can wait for
 * the next settled phase (ready, failed or stopped).
 */
import type { TunnelState } from './tunnel-state.js';

export type TunnelStateCell = ReturnType<typeof createTunnelStateCell>;

/** `emit` receives each new state (a copy): the manager's 'state' event. */
export function createTunnelStateCell(initial: TunnelState, emit: (state: TunnelState) => void) {
  let state = initial;
  let settleWaiters: (() => void)[] = [];
  return {
    get: (): TunnelState => state,
    /** Applies `patch`, removes the `drop` keys, and tells the listeners. */
    set(patch: Partial<TunnelState>, drop: readonly (keyof TunnelState)[] = []): void {
      const next: TunnelState = { ...state, ...patch };
      for (const key of drop) delete next[key];
      state = next;
      emit({ ...state });
      if (state.phase === 'ready' || state.phase === 'failed' || state.phase === 'stopped') {
        const waiters = settleWaiters;
        settleWaiters = [];
        for (const w of waiters) w();
      }
    },
    /** Resolves at the next change to ready, failed or stopped. */
    settled: (): Promise<void> => new Promise<void>((res) => settleWaiters.push(res)),
  };
}
