import { readFile } from 'node:fs/promises';
import type { ActivityEvent, ActivitySink } from './types.js';
import { createRedactor, type Redactor } from './redact.js';
import { createRotatingWriter } from './rotating-writer.js';
import { listActivityFiles } from './log-files.js';

export interface ActivityLogOptions {
  /** Folder of the JSONL files (the data folder's `activity/`). */
  dir: string;
  /** Events kept in memory for the window and `recent()`. */
  ringSize?: number;
  /** Rotate to a new file past this size (default 10 MiB). */
  maxFileBytes?: number;
  /** Delete files older than this many days (default 14). */
  retentionDays?: number;
  clock?: () => number;
  /** Redaction of credentials and truncation of big payloads (default: createRedactor()). */
  redact?: Redactor;
  /** Disk errors, for a log line; never thrown into the call path. */
  onError?: (err: Error) => void;
}

/**
 * The tool-call log: an in-process event bus, a ring buffer of the last events, and JSONL files.
 * The gateway writes with record(); the control service reads recent() and subscribes.
 */
export interface ActivityLog extends ActivitySink {
  /** Newest last; at most `limit` (default 200), only ids below `beforeId` when given. */
  recent(query?: { limit?: number; beforeId?: number }): ActivityEvent[];
  /** Called for each new event, after redaction. Returns the unsubscribe function. */
  subscribe(listener: (event: ActivityEvent) => void): () => void;
  /** Empties the ring and deletes the files. */
  clear(): Promise<void>;
  /** Every retained event on disk, oldest first, as JSONL text. */
  exportJsonl(): Promise<string>;
  /** Secret values (resolved by main/secrets) to scrub wherever they appear. */
  addSecretValues(values: Iterable<string>): void;
  /** Applies edited settings (`activity.maxFileBytes`, `activity.retentionDays`) while running. */
  configure(limits: { maxFileBytes?: number; retentionDays?: number }): void;
  /** Writes what is queued. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Defaults when the config says nothing (README: kept 14 days, files of 10 MiB). */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_RETENTION_DAYS = 14;

/** Creates the activity log. Nothing is read or written until the first event. */
export function createActivityLog(options: ActivityLogOptions): ActivityLog {
  const ringSize = Math.max(1, options.ringSize ?? 10_000);
  const clock = options.clock ?? Date.now;
  const redactor = options.redact ?? createRedactor();
  const writer = createRotatingWriter({
    dir: options.dir,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    retentionDays: options.retentionDays ?? DEFAULT_RETENTION_DAYS,
    clock,
    onError: options.onError,
  });
  // Fixed-size circular buffer: O(1) insert, no array shifting at 10,000 events.
  const ring: (ActivityEvent | undefined)[] = new Array(ringSize);
  let count = 0;
  let nextId = 1;
  const listeners = new Set<(event: ActivityEvent) => void>();

  const scrub = (input: Omit<ActivityEvent, 'id'>, id: number): ActivityEvent => {
    const event: ActivityEvent = { id, ...input };
    if (event.target !== undefined) event.target = redactor.redactText(event.target);
    if (event.error) event.error = { ...event.error, message: redactor.redactText(event.error.message) };
    if (event.client?.name !== undefined)
      event.client = { ...event.client, name: redactor.redactText(event.client.name) };
    if ('request' in event) event.request = redactor.redact(event.request);
    if ('response' in event) event.response = redactor.redact(event.response);
    return event;
  };

  return {
    record(input) {
      try {
        const event = scrub(input, nextId++);
        ring[(event.id - 1) % ringSize] = event;
        count = Math.min(count + 1, ringSize);
        writer.append(JSON.stringify(event));
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (err) {
            options.onError?.(err instanceof Error ? err : new Error(String(err)));
          }
        }
      } catch (err) {
        // ActivitySink contract: recording must never break a call.
        options.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
    },
    recent(query = {}) {
      const limit = Math.max(0, query.limit ?? 200);
      const out: ActivityEvent[] = [];
      const newest = nextId - 1;
      const start = query.beforeId !== undefined ? Math.min(newest, query.beforeId - 1) : newest;
      for (let id = start; id > newest - count && out.length < limit; id--) {
        const e = ring[(id - 1) % ringSize];
        if (e && e.id === id) out.push(e);
      }
      return out.reverse();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async clear() {
      ring.fill(undefined);
      count = 0;
      await writer.clear();
    },
    async exportJsonl() {
      await writer.flush();
      let out = '';
      for (const f of await listActivityFiles(options.dir)) {
        const text = await readFile(f.path, 'utf8').catch(() => '');
        out += text && !text.endsWith('\n') ? `${text}\n` : text;
      }
      return out;
    },
    addSecretValues(values) {
      redactor.addSecretValues(values);
    },
    configure: (limits) => writer.setLimits(limits),
    flush: () => writer.flush(),
    async close() {
      listeners.clear();
      await writer.close();
    },
  };
}
