import type { ActivityEvent } from './types.js';

/**
 * What the ring holds for one event: a finished event as its JSONL line (the text already made for
 * the file), read back with JSON.parse only when recent() is asked; an event in flight, or one whose
 * line is made of shared pieces (json-text.ts), as the object itself. 10,000 finished events are then
 * 10,000 strings for the major GC to mark instead of ~10 objects each (event, client, the request's
 * and the result's objects and arrays), and nothing of a call's own objects outlives its call.
 */
export type Held = ActivityEvent | string;

/**
 * The events kept in memory for the window and recent(): a fixed-size circular buffer (O(1) insert,
 * no array shifting at 10,000 events), bounded twice: by count (the slots) and by the JSON bytes of
 * what it holds (the oldest are dropped first; the newest always stays, however big).
 */
export interface EventRing {
  /**
   * Puts event `id` in: a new id takes its slot, an update (fresh false) replaces its own entry if
   * that is still held. `bytes` is the length of its JSON.
   */
  hold(id: number, entry: Held, fresh: boolean, bytes: number): void;
  /** Newest last; at most `limit`, only ids below `beforeId` when given. */
  recent(limit: number, beforeId: number | undefined): ActivityEvent[];
  /** Forgets everything held so far. */
  clear(): void;
}

export function createEventRing(size: number, maxBytes: number): EventRing {
  const entries: (Held | undefined)[] = new Array(size);
  // The id in each slot (a line does not say it without parsing) and the JSON bytes it counts for.
  const ids = new Float64Array(size);
  const sizes = new Float64Array(size);
  let heldBytes = 0;
  /** The lowest id the ring may still hold, and the highest it was given. */
  let oldest = 1;
  let newest = 0;

  const slotOf = (id: number): number => (id - 1) % size;
  const holds = (slot: number, id: number): boolean => entries[slot] !== undefined && ids[slot] === id;
  const drop = (id: number): void => {
    const slot = slotOf(id);
    if (id < 1 || !holds(slot, id)) return;
    entries[slot] = undefined;
    heldBytes -= sizes[slot]!;
    sizes[slot] = 0;
  };

  return {
    hold(id, entry, fresh, bytes) {
      const slot = slotOf(id);
      if (fresh) {
        drop(id - size);
        entries[slot] = entry;
        ids[slot] = id;
        newest = Math.max(newest, id);
        oldest = Math.max(oldest, id - size + 1);
      } else if (holds(slot, id)) {
        entries[slot] = entry;
        heldBytes -= sizes[slot]!;
      } else return;
      sizes[slot] = bytes;
      heldBytes += bytes;
      while (heldBytes > maxBytes && oldest < newest) drop(oldest++);
    },
    recent(limit, beforeId) {
      const out: ActivityEvent[] = [];
      const start = beforeId !== undefined ? Math.min(newest, beforeId - 1) : newest;
      for (let id = start; id >= oldest && out.length < limit; id--) {
        const slot = slotOf(id);
        const entry = entries[slot];
        if (entry === undefined || ids[slot] !== id) continue;
        out.push(typeof entry === 'string' ? (JSON.parse(entry) as ActivityEvent) : entry);
      }
      return out.reverse();
    },
    clear() {
      entries.fill(undefined);
      sizes.fill(0);
      heldBytes = 0;
      oldest = newest + 1;
    },
  };
}
