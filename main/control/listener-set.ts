import type { Unsubscribe } from '../../preload/contract.js';

/** A set of listeners where one throwing listener never stops the others (or the emitter). */
export interface ListenerSet<T> {
  add(listener: (value: T) => void): Unsubscribe;
  emit(value: T): void;
  readonly size: number;
  clear(): void;
}

export function createListenerSet<T>(onError?: (err: unknown) => void): ListenerSet<T> {
  const listeners = new Set<(value: T) => void>();
  return {
    add(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    emit(value) {
      for (const l of [...listeners]) {
        try {
          l(value);
        } catch (err) {
          onError?.(err);
        }
      }
    },
    get size() {
      return listeners.size;
    },
    clear() {
      listeners.clear();
    },
  };
}

/**
 * Runs `task` once on the next turn of the event loop however many times it is requested in this
 * one, so a burst of state changes (many upstreams starting) becomes a single update.
 */
export function createCoalescer(task: () => void): { request(): void; cancel(): void } {
  let handle: NodeJS.Immediate | undefined;
  return {
    request() {
      handle ??= setImmediate(() => {
        handle = undefined;
        task();
      });
    },
    cancel() {
      if (handle) clearImmediate(handle);
      handle = undefined;
    },
  };
}
