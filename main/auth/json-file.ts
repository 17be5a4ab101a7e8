import { readFile, rename } from 'node:fs/promises';
import { writeFileAtomic } from '../config/atomic-write.js';

/**
 * A JSON file of non-secret auth metadata in the data folder. A missing file yields `fallback`. A
 * damaged one is moved aside (kept for inspection) and reported through `warn`, so the app still
 * starts; the clients it listed simply connect again.
 */
export async function readJsonFile<T>(
  path: string,
  fallback: T,
  warn?: (message: string) => void,
): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as T;
  } catch {
    const aside = `${path}.damaged-${Date.now()}`;
    await rename(path, aside);
    warn?.(
      `${path} was not valid JSON; it was moved to ${aside} and Tunnelgate started with an empty list. Connected clients have to connect again.`,
    );
    return fallback;
  }
}

/** Writes atomically with mode 0600; callers serialize writes through `createSerialWriter`. */
export function createSerialWriter(path: string, snapshot: () => unknown) {
  let chain: Promise<void> = Promise.resolve();
  /** A queued write that has not taken its snapshot yet: it will write the state as it is by then. */
  let waiting: Promise<void> | undefined;
  return {
    /**
     * Queues a write of the current snapshot; resolves when it is on disk. Saves made while a write
     * waits its turn share it, so a caller saving in a loop (a client listing tools over and over)
     * queues one write at a time, not one per save.
     */
    save(): Promise<void> {
      if (waiting !== undefined) return waiting;
      const next = chain.then(() => {
        // From here on this write holds what it writes: a later change needs a write of its own.
        waiting = undefined;
        return writeFileAtomic(path, `${JSON.stringify(snapshot(), null, 2)}\n`);
      });
      waiting = next;
      chain = next.catch(() => undefined);
      return next;
    },
    /** Resolves when every queued write finished. */
    flush(): Promise<void> {
      return chain;
    },
  };
}
