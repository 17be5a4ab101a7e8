import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Chunk } from '../common/json-text.js';
import { activityFileName, listActivityFiles, utcDay } from './log-files.js';

export interface RotatingWriterOptions {
  dir: string;
  /** A file that would grow past this starts the next one (activity-DAY-N.jsonl). */
  maxFileBytes: number;
  /** Files of days older than this are deleted. */
  retentionDays: number;
  /** All activity files together stay under this size: the oldest files are deleted first. */
  maxTotalBytes?: number;
  clock: () => number;
  /** Delay that groups appends into one write. */
  flushDelayMs?: number;
  /** Lines kept waiting while the disk is slow or failing; older ones are dropped beyond it. */
  maxPendingLines?: number;
  /** The same bound in bytes (default 16 MiB): many big lines must not pile up in memory either. */
  maxPendingBytes?: number;
  onError?: (err: Error) => void;
}

/**
 * One JSONL line: its text, or its pieces in order (json-text.ts messageChunks: a shared member, such
 * as the redacted tool list every tools/list event carries, is its cached bytes, written as they are).
 */
export type Line = string | readonly Chunk[];

/**
 * Append-only JSONL files with rotation by size and by day, and retention by age. append() only
 * queues (the call path never waits on the disk); a timer writes batches in order.
 */
export interface RotatingWriter {
  append(line: Line): void;
  /** New limits (settings edited while running); retention is applied at the next write. */
  setLimits(limits: { maxFileBytes?: number; retentionDays?: number; maxTotalBytes?: number }): void;
  /** Resolves once everything appended so far is on disk. */
  flush(): Promise<void>;
  /** Deletes every activity file (after writing what is queued, so nothing reappears later). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** Characters (or bytes) a line holds while it waits: what the pending bounds count. */
const sizeOf = (line: Line): number =>
  typeof line === 'string' ? line.length : line.reduce((n, c) => n + c.length, 0);

/** Bytes of a line in the file, its newline included. */
function lineBytes(line: Line): number {
  if (typeof line === 'string') return Buffer.byteLength(line) + 1;
  let n = 1;
  for (const c of line) n += typeof c === 'string' ? Buffer.byteLength(c) : c.length;
  return n;
}

/**
 * `lines` (of `bytes` in all) as UTF-8, each with its newline: their text encoded into one Buffer,
 * split only around a shared piece, which goes out as the bytes it already is (json-text.ts).
 */
function encode(lines: readonly Line[], bytes: number): Buffer[] {
  let own = bytes;
  for (const line of lines)
    if (typeof line !== 'string') for (const c of line) if (typeof c !== 'string') own -= c.length;
  const text = Buffer.allocUnsafe(own);
  const out: Buffer[] = [];
  let from = 0;
  let at = 0;
  for (const line of lines) {
    if (typeof line === 'string') at += text.write(line, at);
    else
      for (const c of line) {
        if (typeof c === 'string') at += text.write(c, at);
        else {
          if (at > from) out.push(text.subarray(from, at));
          out.push(c);
          from = at;
        }
      }
    text[at++] = 0x0a;
  }
  if (at > from) out.push(text.subarray(from, at));
  return out;
}

export function createRotatingWriter(options: RotatingWriterOptions): RotatingWriter {
  const { dir, clock } = options;
  let { maxFileBytes, retentionDays } = options;
  let maxTotalBytes = options.maxTotalBytes ?? Infinity;
  const flushDelay = options.flushDelayMs ?? 50;
  const maxPending = options.maxPendingLines ?? 100_000;
  const maxPendingBytes = options.maxPendingBytes ?? 16 * 1024 * 1024;
  let pending: Line[] = [];
  let pendingBytes = 0;
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let handle: FileHandle | undefined;
  let current: { day: string; index: number; size: number } | undefined;
  let closed = false;
  let prunedDay: string | undefined;
  /** Limits edited while a file is open: the size cap is applied at the next batch, not the next file. */
  let sizePruneDue = false;

  const report = (err: unknown): void =>
    options.onError?.(err instanceof Error ? err : new Error(String(err)));

  const prune = async (today: string): Promise<void> => {
    if (prunedDay === today) return;
    prunedDay = today;
    const oldest = utcDay(Date.parse(`${today}T00:00:00Z`) - retentionDays * DAY_MS);
    for (const f of await listActivityFiles(dir)) if (f.day < oldest) await rm(f.path, { force: true });
  };

  /** A file never grows past the total either (one file bigger than the total would break it). */
  const fileCap = (): number => Math.min(maxFileBytes, maxTotalBytes);

  /**
   * Size cap of the folder, applied whenever a file is opened: the older files plus a full current
   * one must fit in maxTotalBytes, so the oldest go first (issue 10: 1.4 GB written in 70 s).
   */
  const pruneSize = async (keep: string): Promise<void> => {
    if (!Number.isFinite(maxTotalBytes)) return;
    const files = (await listActivityFiles(dir)).filter((f) => f.name !== keep);
    const sized = await Promise.all(
      files.map(async (f) => ({
        path: f.path,
        size: await stat(f.path).then(
          (s) => s.size,
          () => 0,
        ),
      })),
    );
    let total = sized.reduce((n, f) => n + f.size, 0);
    const budget = Math.max(0, maxTotalBytes - fileCap());
    for (const f of sized) {
      if (total <= budget) break;
      await rm(f.path, { force: true });
      total -= f.size;
    }
  };

  const openFor = async (day: string): Promise<void> => {
    if (!current || current.day !== day) {
      await handle?.close();
      handle = undefined;
      // Continue the last file of the day after a restart rather than starting a new one.
      const todays = (await listActivityFiles(dir)).filter((f) => f.day === day);
      const last = todays[todays.length - 1];
      const size = last ? (await stat(last.path)).size : 0;
      current = { day, index: last?.index ?? 0, size };
    }
    if (handle) return;
    // Only when a file is opened, not on every batch (the folder may have been removed meanwhile).
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const name = activityFileName(day, current.index);
    await pruneSize(name);
    // 0600: arguments and results may be private even with credentials redacted.
    handle = await open(join(dir, name), 'a', 0o600);
  };

  const rotate = async (): Promise<void> => {
    await handle?.close();
    handle = undefined;
    current = { day: current!.day, index: current!.index + 1, size: 0 };
    await openFor(current.day);
  };

  const writeBatch = async (): Promise<void> => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    pendingBytes = 0;
    if (dropped > 0) {
      const message = `${dropped} events were not written (the disk was too slow or failing)`;
      lines.unshift(
        JSON.stringify({
          kind: 'system',
          time: clock(),
          method: 'activity/dropped',
          outcome: 'error',
          error: { message },
        }),
      );
      dropped = 0;
    }
    const day = utcDay(clock());
    await prune(day);
    await openFor(day);
    if (sizePruneDue) {
      sizePruneDue = false;
      await pruneSize(activityFileName(current!.day, current!.index));
    }
    // Rotation happens between lines, never inside one; a line bigger than a file gets a file of its own.
    // What goes into one file is written in one writev of few Buffers (encode()): no Buffer per line,
    // nor the whole batch first joined into one string.
    let part: Line[] = [];
    let partBytes = 0;
    const writeOut = async (): Promise<void> => {
      if (partBytes === 0) return;
      await handle!.writev(encode(part, partBytes));
      current!.size += partBytes;
      part = [];
      partBytes = 0;
    };
    for (const line of lines) {
      const bytes = lineBytes(line);
      const used = current!.size + partBytes;
      if (used > 0 && used + bytes > fileCap()) {
        await writeOut();
        await rotate();
      }
      part.push(line);
      partBytes += bytes;
    }
    await writeOut();
  };

  const enqueueWrite = (): Promise<void> => {
    chain = chain.then(writeBatch).catch((err) => {
      // A broken handle (file deleted under us, disk full) is reopened on the next batch.
      void handle?.close().catch(() => undefined);
      handle = undefined;
      current = undefined;
      report(err);
    });
    return chain;
  };

  return {
    setLimits(limits) {
      if (limits.maxFileBytes !== undefined) maxFileBytes = limits.maxFileBytes;
      if (limits.maxTotalBytes !== undefined && limits.maxTotalBytes !== maxTotalBytes) {
        maxTotalBytes = limits.maxTotalBytes;
        sizePruneDue = true;
      }
      if (limits.retentionDays !== undefined && limits.retentionDays !== retentionDays) {
        retentionDays = limits.retentionDays;
        prunedDay = undefined;
      }
    },
    append(line) {
      if (closed) return;
      pending.push(line);
      pendingBytes += sizeOf(line);
      while (pending.length > 1 && (pending.length > maxPending || pendingBytes > maxPendingBytes)) {
        pendingBytes -= sizeOf(pending.shift()!);
        dropped++;
      }
      timer ??= setTimeout(() => {
        timer = undefined;
        void enqueueWrite();
      }, flushDelay);
    },
    flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      return enqueueWrite();
    },
    async clear() {
      await this.flush();
      chain = chain.then(async () => {
        await handle?.close();
        handle = undefined;
        current = undefined;
        for (const f of await listActivityFiles(dir)) await rm(f.path, { force: true });
      });
      await chain;
    },
    async close() {
      await this.flush();
      closed = true;
      await chain;
      await handle?.close().catch(() => undefined);
      handle = undefined;
    },
  };
}
