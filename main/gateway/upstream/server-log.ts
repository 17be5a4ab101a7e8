/**
 * Per-server logs for the Servers page: what a stdio server writes to stderr, the log messages any
 * server sends (`notifications/message`, spec: Server Utilities/Logging), the gateway's own notes
 * about it, and how its last process ended. In memory only (never written to disk: a server may print
 * things it should not) and bounded per server; text arrives already masked by the transport.
 * A per-client server's processes (one per client) all write to that server's one log, each line
 * naming its client.
 */
import type { Clock } from '../../common/clock.js';
import type { UpstreamState } from './types.js';
import { systemClock } from '../../common/clock.js';

/** RFC 5424 severities, as `notifications/message` uses them (spec: Server Utilities/Logging). */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type ServerLogLevel = (typeof LOG_LEVELS)[number];

/**
 * Where a line came from: `stderr` of the process, a `message` the server sent over MCP, a `gateway`
 * note (status changes, lines we ignored), or the `exit` of a process that died on its own.
 */
export type ServerLogKind = 'stderr' | 'message' | 'gateway' | 'exit';

/** How a server process ended on its own, with the stderr lines it wrote just before. */
export interface ServerExitView {
  at: number;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** Last stderr lines of that process (masked), oldest first. */
  tail: string[];
  /** A per-client server's process: the client it ran for (as on ServerLogEntry). */
  client?: string;
}

export interface ServerLogEntry {
  /** Grows by one per entry across all servers, so the window can tell new from seen. */
  seq: number;
  server: string;
  at: number;
  kind: ServerLogKind;
  /** The server's level on `message` entries; ours on `gateway` and `exit` ones; none on stderr. */
  level?: ServerLogLevel;
  /** The `logger` a log message named, if any. */
  logger?: string;
  /**
   * A per-client server's line: which client's process wrote it (its name and the short id that
   * `${client}` stands for, or "lists" for the process that serves the lists).
   */
  client?: string;
  text: string;
  /** On `exit` entries: the code or signal and the stderr tail. */
  exit?: ServerExitView;
}

export interface ServerLogView {
  server: string;
  /** Oldest first; at most the store's per-server bound. */
  entries: ServerLogEntry[];
  /** Entries dropped at the front to keep within the bound since the server's log began. */
  dropped: number;
  /** The last time a process of this server died on its own (kept when later lines push it out). */
  lastCrash?: ServerExitView;
}

export type ServerLogInput = Omit<ServerLogEntry, 'seq' | 'server' | 'at'>;

export interface ServerLogStoreOptions {
  /** Entries kept per server (default 500). */
  maxEntries?: number;
  /** Longest text kept per entry, in characters (default 2000). */
  maxTextChars?: number;
  /** Lines kept in a crash tail (default 50). */
  maxTailLines?: number;
  clock?: Clock;
  /**
   * Applied to every text and tail line: masks the secret values main/secrets resolved (keychain values
   * in args, inside composite env values or in a URL path), which the per-server masking of whole env
   * and header values does not know.
   */
  mask?: (text: string) => string;
}

/** A fixed-size ring of one server's entries. */
class Ring {
  private readonly items: (ServerLogEntry | undefined)[];
  private start = 0;
  private size = 0;
  dropped = 0;
  lastCrash: ServerExitView | undefined;

  constructor(private readonly capacity: number) {
    this.items = new Array<ServerLogEntry | undefined>(capacity);
  }

  push(e: ServerLogEntry): void {
    if (this.size < this.capacity) {
      this.items[(this.start + this.size) % this.capacity] = e;
      this.size++;
      return;
    }
    this.items[this.start] = e;
    this.start = (this.start + 1) % this.capacity;
    this.dropped++;
  }

  list(): ServerLogEntry[] {
    const out: ServerLogEntry[] = [];
    for (let i = 0; i < this.size; i++) out.push(this.items[(this.start + i) % this.capacity]!);
    return out;
  }
}

/** Every server's log. Listeners get each entry as it is added. */
export class ServerLogStore {
  private readonly rings = new Map<string, Ring>();
  private readonly listeners = new Set<(entry: ServerLogEntry) => void>();
  private seq = 0;
  private readonly maxEntries: number;
  private readonly maxText: number;
  private readonly maxTail: number;
  private readonly clock: Clock;
  private readonly mask: (text: string) => string;

  constructor(opts: ServerLogStoreOptions = {}) {
    this.mask = opts.mask ?? ((t) => t);
    this.maxEntries = Math.max(1, opts.maxEntries ?? 500);
    this.maxText = Math.max(1, opts.maxTextChars ?? 2000);
    this.maxTail = Math.max(1, opts.maxTailLines ?? 50);
    this.clock = opts.clock ?? systemClock;
  }

  add(server: string, input: ServerLogInput): ServerLogEntry {
    let ring = this.rings.get(server);
    if (!ring) {
      ring = new Ring(this.maxEntries);
      this.rings.set(server, ring);
    }
    const entry: ServerLogEntry = {
      ...input,
      seq: ++this.seq,
      server,
      at: this.clock.now(),
      text: clip(this.mask(input.text), this.maxText),
    };
    if (input.exit) {
      const exit: ServerExitView = {
        ...input.exit,
        ...(input.client !== undefined ? { client: input.client } : {}),
        at: entry.at,
        tail: input.exit.tail.slice(-this.maxTail).map((l) => clip(this.mask(l), this.maxText)),
      };
      entry.exit = exit;
      ring.lastCrash = exit;
    }
    ring.push(entry);
    for (const l of this.listeners) {
      try {
        l(entry);
      } catch {
        // A failing listener (a closed window) must not stop the others or the server's output.
      }
    }
    return entry;
  }

  view(server: string): ServerLogView {
    const ring = this.rings.get(server);
    const view: ServerLogView = { server, entries: ring?.list() ?? [], dropped: ring?.dropped ?? 0 };
    if (ring?.lastCrash) view.lastCrash = ring.lastCrash;
    return view;
  }

  /** Drops a server's log (it left the config). */
  forget(server: string): void {
    this.rings.delete(server);
  }

  servers(): string[] {
    return [...this.rings.keys()];
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(listener: (entry: ServerLogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The log entry for a `notifications/message` from a server: its level (when one of RFC 5424's),
 * logger, and data as text (JSON when not a string), masked with `redact`.
 */
export function logMessageEntry(params: unknown, redact: (text: string) => string): ServerLogInput {
  const p = (params && typeof params === 'object' ? params : {}) as Record<string, unknown>;
  const entry: ServerLogInput = { kind: 'message', text: redact(dataText(p.data)) };
  if (typeof p.level === 'string' && (LOG_LEVELS as readonly string[]).includes(p.level))
    entry.level = p.level as ServerLogLevel;
  if (typeof p.logger === 'string' && p.logger !== '') entry.logger = redact(p.logger).slice(0, 200);
  return entry;
}

function dataText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data === undefined) return '';
  try {
    return JSON.stringify(data) ?? String(data);
  } catch {
    return String(data);
  }
}

/** The gateway's note in a server's log for a status it moved to (none for unchanged detail). */
export function statusNote(state: UpstreamState, now: number): ServerLogInput | undefined {
  const info = state.serverInfo as { name?: unknown; version?: unknown } | undefined;
  switch (state.status) {
    case 'starting':
      return { kind: 'gateway', level: 'info', text: 'starting' };
    case 'ready': {
      const who = [info?.name, info?.version].filter((v) => typeof v === 'string').join(' ');
      const proto = state.protocolVersion ? `protocol ${state.protocolVersion}` : '';
      const about = [who, proto].filter(Boolean).join(', ');
      return { kind: 'gateway', level: 'info', text: about ? `ready (${about})` : 'ready' };
    }
    case 'restarting': {
      const wait = state.nextRetryAt ? Math.max(0, Math.round((state.nextRetryAt - now) / 1000)) : undefined;
      const why = state.error ?? 'stopped';
      return {
        kind: 'gateway',
        level: 'warning',
        text: wait === undefined ? `${why}; restarting` : `${why}; restarting in ${wait} s`,
      };
    }
    case 'failed':
    case 'misconfigured':
      return { kind: 'gateway', level: 'error', text: state.error ?? state.status };
    case 'needs-auth':
      return { kind: 'gateway', level: 'warning', text: state.error ?? 'needs sign-in' };
    case 'stopped':
    case 'disabled':
      return { kind: 'gateway', level: 'info', text: state.status };
  }
}
