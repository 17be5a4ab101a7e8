import { readFile } from 'node:fs/promises';
import { systemClock, type Clock } from '../common/clock.js';
import { isSharedJson, messageChunks } from '../common/json-text.js';
import type { ActivityCall, ActivityEvent, ActivitySink } from './types.js';
import { createEventRing } from './event-ring.js';
import { createInFlight } from './in-flight.js';
import { createRedactor, type Redactor } from './redact.js';
import { createRotatingWriter } from './rotating-writer.js';
import { createEventScrubber, MAX_TEXT } from './scrub-event.js';
import { listActivityFiles } from './log-files.js';

export interface ActivityLogOptions {
  /** Folder of the JSONL files (the data folder's `activity/`). */
  dir: string;
  /** Events kept in memory for the window and `recent()`. */
  ringSize?: number;
  /** Bytes (of JSON) of the events kept in memory; the oldest go first beyond it (default 32 MiB). */
  maxMemoryBytes?: number;
  /** Rotate to a new file past this size (default 10 MiB). */
  maxFileBytes?: number;
  /** Delete files older than this many days (default 14). */
  retentionDays?: number;
  /** All activity files together stay under this size; the oldest are deleted first (default 256 MiB). */
  maxTotalBytes?: number;
  clock?: () => number;
  /** Progress of one call in flight is published at most this often (default 250 ms); the last always. */
  progressIntervalMs?: number;
  /**
   * A call is shown in flight (`pending`) once it has run this long (default 100 ms), by one shared
   * ticker; a call that ends sooner is recorded once, when it ends.
   */
  inFlightDelayMs?: number;
  /** Timers of that ticker and of the progress bound (default: systemClock's, unref'd). */
  timers?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
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
  /** Notes a call in flight; it is shown as `pending` once it has run inFlightDelayMs. */
  begin(event: Omit<ActivityEvent, 'id' | 'outcome'>): ActivityCall;
  /** Newest last; at most `limit` (default 200), only ids below `beforeId` when given. */
  recent(query?: { limit?: number; beforeId?: number }): ActivityEvent[];
  /**
   * Called for each new event, after redaction, and again (same id) for each update of a call shown
   * in flight (shown, progress, end). Returns the unsubscribe function.
   */
  subscribe(listener: (event: ActivityEvent) => void): () => void;
  /** Empties the ring and deletes the files. */
  clear(): Promise<void>;
  /** Every retained event on disk, oldest first, as JSONL text. */
  exportJsonl(): Promise<string>;
  /** Secret values (resolved by main/secrets) to scrub wherever they appear. */
  addSecretValues(values: Iterable<string>): void;
  /** `text` with every known secret value replaced (for other logs shown to the owner). */
  redactText(text: string): string;
  /** Applies edited settings (`activity.maxFileBytes`, `.retentionDays`, `.maxTotalBytes`) while running. */
  configure(limits: { maxFileBytes?: number; retentionDays?: number; maxTotalBytes?: number }): void;
  /** Writes what is queued. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Defaults when the config says nothing (README: kept 14 days, files of 10 MiB). */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_RETENTION_DAYS = 14;
/** Issue 10: 10,000 events of 64 KB held 1.1 GB of memory and wrote 1.4 GB in 70 s; both are capped. */
const DEFAULT_MAX_MEMORY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024;

/** Creates the activity log. Nothing is read or written until the first event. */
export function createActivityLog(options: ActivityLogOptions): ActivityLog {
  const clock = options.clock ?? Date.now;
  const redactor = options.redact ?? createRedactor();
  const { scrub, text } = createEventScrubber(redactor);
  const writer = createRotatingWriter({
    dir: options.dir,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    retentionDays: options.retentionDays ?? DEFAULT_RETENTION_DAYS,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    clock,
    onError: options.onError,
  });
  const ring = createEventRing(
    Math.max(1, options.ringSize ?? 10_000),
    Math.max(1, options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES),
  );
  let nextId = 1;
  const listeners = new Set<(event: ActivityEvent) => void>();

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
  /** A finished event: into the ring (as its line), the files and the listeners. */
  const store = (event: ActivityEvent, fresh: boolean): void => {
    if (isSharedJson(event.request) || isSharedJson(event.response)) {
      // JSON.stringify's text as pieces: a shared member (the redacted tool list) is its cached
      // bytes, neither serialised nor copied again per event (json-text.ts); the ring keeps the
      // event, which shares it.
      const line = messageChunks(event as unknown as Record<string, unknown>);
      ring.hold(event.id, event, fresh, line.bytes);
      writer.append(line.chunks);
    } else {
      const line = JSON.stringify(event);
      ring.hold(event.id, line, fresh, line.length);
      writer.append(line);
    }
    publish(event);
  };

  const inFlight = createInFlight(
    {
      show(input, progress) {
        // In flight: ring and listeners only; the files get the finished event (one line per call).
        try {
          const event = scrub({ ...input, outcome: 'pending' }, nextId++, input.request, undefined, progress);
          ring.hold(event.id, event, true, JSON.stringify(event).length);
          publish(event);
          return event;
        } catch (err) {
          fail(err);
          return undefined;
        }
      },
      update(event) {
        try {
          ring.hold(event.id, event, false, JSON.stringify(event).length);
          publish(event);
        } catch (err) {
          fail(err);
        }
      },
      finish(final, input, shown, progress) {
        try {
          store(scrub(final, shown?.id ?? nextId++, input.request, shown, progress), shown === undefined);
        } catch (err) {
          fail(err);
        }
      },
      progressText: (message) => text(message, MAX_TEXT.progress),
      fail,
    },
    {
      delayMs: options.inFlightDelayMs ?? 100,
      progressEveryMs: options.progressIntervalMs ?? 250,
      clock,
      timers: options.timers ?? systemClock,
    },
  );

  return {
    record(input) {
      try {
        store(scrub(input, nextId++, input.request, undefined, undefined), true);
      } catch (err) {
        // ActivitySink contract: recording must never break a call.
        fail(err);
      }
    },
    begin: (input) => inFlight.begin(input),
    recent(query = {}) {
      return ring.recent(Math.max(0, query.limit ?? 200), query.beforeId);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async clear() {
      ring.clear();
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
    redactText: (text) => redactor.redactText(text),
    configure: (limits) => writer.setLimits(limits),
    flush: () => writer.flush(),
    async close() {
      inFlight.close();
      listeners.clear();
      await writer.close();
    },
  };
}
