import { readFile } from 'node:fs/promises';
import type { ActivityCall, ActivityEvent, ActivitySink } from './types.js';
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
  /** Progress of one call in flight is published at most this often (default 250 ms); the last always. */
  progressIntervalMs?: number;
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
  begin(event: Omit<ActivityEvent, 'id' | 'outcome'>): ActivityCall;
  /** Newest last; at most `limit` (default 200), only ids below `beforeId` when given. */
  recent(query?: { limit?: number; beforeId?: number }): ActivityEvent[];
  /**
   * Called for each new event, after redaction, and again (same id) for each update of a call in
   * flight (begin, progress, end). Returns the unsubscribe function.
   */
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

  const fail = (err: unknown): void => options.onError?.(err instanceof Error ? err : new Error(String(err)));
  const publish = (event: ActivityEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        fail(err);
      }
    }
  };
  /** Puts an event in the ring: a new id takes the next slot, an update replaces its own (if still held). */
  const hold = (event: ActivityEvent, fresh: boolean): void => {
    const slot = (event.id - 1) % ringSize;
    if (fresh) {
      ring[slot] = event;
      count = Math.min(count + 1, ringSize);
    } else if (ring[slot]?.id === event.id) ring[slot] = event;
  };
  const progressEvery = options.progressIntervalMs ?? 250;
  const timers = new Set<NodeJS.Timeout>();

  return {
    record(input) {
      try {
        const event = scrub(input, nextId++);
        hold(event, true);
        writer.append(JSON.stringify(event));
        publish(event);
      } catch (err) {
        // ActivitySink contract: recording must never break a call.
        fail(err);
      }
    },
    begin(input): ActivityCall {
      // In flight: ring and listeners only; the files get the finished event (one line per call).
      let current: ActivityEvent | undefined;
      let lastSent = 0;
      let timer: NodeJS.Timeout | undefined;
      let ended = false;
      try {
        current = scrub({ ...input, outcome: 'pending' }, nextId++);
        hold(current, true);
        publish(current);
      } catch (err) {
        fail(err);
      }
      const sendProgress = (): void => {
        if (timer) timers.delete(timer);
        timer = undefined;
        if (ended || !current) return;
        lastSent = clock();
        hold(current, false);
        publish(current);
      };
      return {
        progress(p) {
          if (ended || !current) return;
          try {
            const message = p.message === undefined ? undefined : redactor.redactText(String(p.message));
            current = { ...current, progress: message === undefined ? { ...p } : { ...p, message } };
            // Bounded: a tool reporting progress thousands of times a second costs a few events.
            const wait = lastSent + progressEvery - clock();
            if (wait <= 0) sendProgress();
            else if (!timer) {
              timer = setTimeout(sendProgress, wait);
              timers.add(timer);
            }
          } catch (err) {
            fail(err);
          }
        },
        end(final) {
          if (ended) return;
          ended = true;
          if (timer) {
            clearTimeout(timer);
            timers.delete(timer);
          }
          try {
            const event = scrub(final, current?.id ?? nextId++);
            if (current && 'request' in current) event.request = current.request;
            if (current?.progress && !event.progress) event.progress = current.progress;
            hold(event, current === undefined);
            writer.append(JSON.stringify(event));
            publish(event);
          } catch (err) {
            fail(err);
          }
        },
      };
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
      for (const t of timers) clearTimeout(t);
      timers.clear();
      listeners.clear();
      await writer.close();
    },
  };
}
