import { readFile } from 'node:fs/promises';
import { jsonText, messageChunks } from '../common/json-text.js';
import type { ActivityCall, ActivityEvent, ActivitySink } from './types.js';
import { createRedactor, type Redactor } from './redact.js';
import { createRotatingWriter } from './rotating-writer.js';
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

/** Caps of the free-text fields of a stored event (the payloads have the redactor's budget). */
const MAX_TEXT = { target: 1000, error: 2000, client: 200, progress: 300 } as const;

/** Cuts free text to `max` characters with the same marker as the redactor. */
function capText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}...[truncated ${text.length - max} chars]` : text;
}

/** Size in bytes of a value's JSON (what was cut); undefined when it cannot be serialised. */
function jsonBytes(value: unknown): number | undefined {
  try {
    // A shared value (the merged tool list) has its size cached: no 90 KB serialisation per event.
    return jsonText(value)?.bytes;
  } catch {
    return undefined;
  }
}

/** Creates the activity log. Nothing is read or written until the first event. */
export function createActivityLog(options: ActivityLogOptions): ActivityLog {
  const ringSize = Math.max(1, options.ringSize ?? 10_000);
  const clock = options.clock ?? Date.now;
  const redactor = options.redact ?? createRedactor();
  const writer = createRotatingWriter({
    dir: options.dir,
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    retentionDays: options.retentionDays ?? DEFAULT_RETENTION_DAYS,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    clock,
    onError: options.onError,
  });
  const maxMemory = Math.max(1, options.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES);
  // Fixed-size circular buffer: O(1) insert, no array shifting at 10,000 events. Bounded twice: by
  // count (the slots) and by the JSON bytes of what it holds (the oldest are dropped first).
  const ring: (ActivityEvent | undefined)[] = new Array(ringSize);
  const sizes = new Float64Array(ringSize);
  let heldBytes = 0;
  /** The lowest id the ring may still hold. */
  let oldest = 1;
  let nextId = 1;
  const listeners = new Set<(event: ActivityEvent) => void>();

  const scrub = (input: Omit<ActivityEvent, 'id'>, id: number): ActivityEvent => {
    const event: ActivityEvent = { id, ...input };
    // Secrets out first, then the cut: a cut must never leave half a secret behind.
    const text = (t: string, max: number): string => capText(redactor.redactText(String(t)), max);
    if (event.target !== undefined) event.target = text(event.target, MAX_TEXT.target);
    if (event.error) event.error = { ...event.error, message: text(event.error.message, MAX_TEXT.error) };
    if (event.client?.name !== undefined)
      event.client = { ...event.client, name: text(event.client.name, MAX_TEXT.client) };
    if (event.progress?.message !== undefined)
      event.progress = { ...event.progress, message: text(event.progress.message, MAX_TEXT.progress) };
    const cut: NonNullable<ActivityEvent['truncated']> = {};
    for (const key of ['request', 'response'] as const) {
      if (!(key in event)) continue;
      const { value, truncated } = redactor.redactCapped(event[key]);
      if (truncated) cut[key] = jsonBytes(event[key]) ?? -1;
      event[key] = value;
    }
    if (cut.request !== undefined || cut.response !== undefined) event.truncated = cut;
    else delete event.truncated;
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
  const drop = (id: number): void => {
    const slot = (id - 1) % ringSize;
    if (ring[slot]?.id !== id) return;
    ring[slot] = undefined;
    heldBytes -= sizes[slot]!;
    sizes[slot] = 0;
  };
  /**
   * Puts an event in the ring: a new id takes the next slot, an update replaces its own (if still
   * held). `bytes` is the length of its JSON. The newest event always stays, however big.
   */
  const hold = (event: ActivityEvent, fresh: boolean, bytes: number): void => {
    const slot = (event.id - 1) % ringSize;
    if (fresh) {
      drop(event.id - ringSize);
      ring[slot] = event;
      oldest = Math.max(oldest, event.id - ringSize + 1);
    } else if (ring[slot]?.id === event.id) {
      ring[slot] = event;
      heldBytes -= sizes[slot]!;
    } else return;
    sizes[slot] = bytes;
    heldBytes += bytes;
    while (heldBytes > maxMemory && oldest < nextId - 1) drop(oldest++);
  };
  const progressEvery = options.progressIntervalMs ?? 250;
  const timers = new Set<NodeJS.Timeout>();

  return {
    record(input) {
      try {
        const event = scrub(input, nextId++);
        // JSON.stringify's text as pieces: a shared member (the redacted tool list) is its cached
        // bytes, neither serialised nor copied again per event (json-text.ts).
        const line = messageChunks(event as unknown as Record<string, unknown>);
        hold(event, true, line.bytes);
        writer.append(line.chunks);
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
      let size = 0;
      try {
        current = scrub({ ...input, outcome: 'pending' }, nextId++);
        size = JSON.stringify(current).length;
        hold(current, true, size);
        publish(current);
      } catch (err) {
        fail(err);
      }
      const sendProgress = (): void => {
        if (timer) timers.delete(timer);
        timer = undefined;
        if (ended || !current) return;
        lastSent = clock();
        hold(current, false, size + MAX_TEXT.progress);
        publish(current);
      };
      return {
        progress(p) {
          if (ended || !current) return;
          try {
            const message =
              p.message === undefined
                ? undefined
                : capText(redactor.redactText(String(p.message)), MAX_TEXT.progress);
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
            if (current?.truncated?.request !== undefined)
              event.truncated = { ...event.truncated, request: current.truncated.request };
            if (current?.progress && !event.progress) event.progress = current.progress;
            const line = JSON.stringify(event);
            hold(event, current === undefined, line.length);
            writer.append(line);
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
      for (let id = start; id >= oldest && out.length < limit; id--) {
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
      sizes.fill(0);
      heldBytes = 0;
      oldest = nextId;
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
      for (const t of timers) clearTimeout(t);
      timers.clear();
      listeners.clear();
      await writer.close();
    },
  };
}
