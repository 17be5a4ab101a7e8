import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../config/atomic-write.js';

/**
 * A JSON file of non-secret auth metadata in the data folder. Reading a missing file yields
 * `fallback`; an unreadable one is reported (with the path) rather than silently replaced.
 */
export async function readJsonFile<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${path}: not valid JSON. Tunnelgate keeps OAuth grants and clients there; move the file away to start fresh (clients will have to connect again).`);
  }
}

/** Writes atomically with mode 0600; callers serialize writes through `createSerialWriter`. */
export function createSerialWriter(path: string, snapshot: () => unknown) {
  let chain: Promise<void> = Promise.resolve();
  return {
    /** Queues a write of the current snapshot; resolves when it is on disk. */
    save(): Promise<void> {
      const next = chain.then(() => writeFileAtomic(path, `${JSON.stringify(snapshot(), null, 2)}\n`));
      chain = next.catch(() => undefined);
      return next;
    },
    /** Resolves when every queued write finished. */
    flush(): Promise<void> {
      return chain;
    },
  };
}
