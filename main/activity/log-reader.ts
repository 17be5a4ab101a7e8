import { open, readFile, stat } from 'node:fs/promises';
import type { ActivityEvent } from './types.js';
import { listActivityFiles, type ActivityFile } from './log-files.js';

function parseLines(text: string): ActivityEvent[] {
  const out: ActivityEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as ActivityEvent);
    } catch {
      // A line cut short by a crash is skipped, not fatal.
    }
  }
  return out;
}

/** Where a reader stopped: the newest file and the byte offset just after its last whole line. */
export interface ActivityCursor {
  name: string;
  offset: number;
}

/**
 * The last `limit` events on disk, oldest first (reads newest files first and stops early), and the
 * cursor to follow from, so that nothing written between the read and the follow is lost.
 */
export async function readRecent(
  dir: string,
  limit: number,
): Promise<{ events: ActivityEvent[]; cursor?: ActivityCursor }> {
  const files = await listActivityFiles(dir);
  let out: ActivityEvent[] = [];
  let cursor: ActivityCursor | undefined;
  for (let i = files.length - 1; i >= 0; i--) {
    const buf = await readFile(files[i]!.path).catch(() => Buffer.alloc(0));
    // Only whole lines count: a line still being written is picked up by the follower.
    const end = buf.lastIndexOf(10) + 1;
    if (i === files.length - 1) cursor = { name: files[i]!.name, offset: end };
    if (out.length >= limit) break;
    out = [...parseLines(buf.subarray(0, end).toString('utf8')), ...out];
  }
  return { events: out.slice(Math.max(0, out.length - limit)), ...(cursor ? { cursor } : {}) };
}

/** The last `limit` events on disk, oldest first. */
export async function readRecentEvents(dir: string, limit: number): Promise<ActivityEvent[]> {
  return (await readRecent(dir, limit)).events;
}

export interface FollowOptions {
  onEvent: (event: ActivityEvent) => void;
  signal: AbortSignal;
  /** How often the files are checked for growth and rotation. */
  pollMs?: number;
  /** Continue from here (see readRecent); default: the end of what exists now. */
  from?: ActivityCursor;
}

/**
 * Prints new events as the files grow, like `tail -F`: polls the newest file's size, reads what was
 * appended (keeping a partial last line for the next round), and moves on to a newer file once
 * rotation starts one, after draining the old one. Resolves when `signal` aborts.
 */
export async function followActivity(dir: string, options: FollowOptions): Promise<void> {
  const pollMs = options.pollMs ?? 250;
  let file: ActivityFile | undefined;
  let offset = 0;
  let partial = '';

  const files = await listActivityFiles(dir);
  if (options.from) {
    file = files.find((f) => f.name === options.from!.name);
    offset = file ? options.from.offset : 0;
    // The cursor's file is gone (cleared, pruned): start with the oldest file that exists.
    file ??= files[0];
  } else {
    // Start at the end of what exists: earlier events were printed by the caller already.
    file = files[files.length - 1];
    if (file) offset = (await stat(file.path).catch(() => ({ size: 0 }))).size;
  }

  const drain = async (f: ActivityFile): Promise<void> => {
    const size = (await stat(f.path).catch(() => undefined))?.size;
    if (size === undefined) return;
    if (size < offset) {
      // Truncated or replaced (cleared log): read it again from the start.
      offset = 0;
      partial = '';
    }
    if (size === offset) return;
    const handle = await open(f.path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      const text = partial + buf.subarray(0, bytesRead).toString('utf8');
      const cut = text.lastIndexOf('\n');
      partial = cut === -1 ? text : text.slice(cut + 1);
      if (cut !== -1) for (const e of parseLines(text.slice(0, cut))) options.onEvent(e);
    } finally {
      await handle.close();
    }
  };

  while (!options.signal.aborted) {
    if (file) await drain(file);
    const all = await listActivityFiles(dir);
    const idx = file ? all.findIndex((f) => f.name === file!.name) : -1;
    const next =
      idx === -1
        ? file
          ? all.find((f) => f.day > file!.day || (f.day === file!.day && f.index > file!.index))
          : all[0]
        : all[idx + 1];
    if (next) {
      // Rotation: the old file is complete once a newer one exists; drain it, then switch.
      if (file && idx !== -1) await drain(file);
      file = next;
      offset = 0;
      partial = '';
      continue;
    }
    if (idx === -1 && file) {
      // The file went away (cleared or pruned) and nothing newer exists yet.
      file = undefined;
      offset = 0;
      partial = '';
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, pollMs);
      options.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          resolve();
        },
        { once: true },
      );
    });
  }
}
