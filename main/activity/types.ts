/** One request that went through the gateway (or one notable gateway event). */
export interface ActivityEvent {
  /** Monotonic id, unique within a process run (ring buffer order). */
  id: number;
  /** Start time, ms since epoch. */
  time: number;
  kind: 'request' | 'notification' | 'server-request' | 'system';
  /** Who: OAuth client id/name, or 'local' / 'anonymous'. */
  client?: { id?: string; name?: string };
  sessionId?: string;
  /** Protocol era of the request: a session-era version or '2026-07-28'. */
  protocolVersion?: string;
  method: string;
  /** Exposed tool/prompt name or resource URI, when the method has one. */
  target?: string;
  upstream?: string;
  durationMs?: number;
  /**
   * `tool_error`: the call completed but the tool reported failure (`isError: true` in the result,
   * MCP 2025-06-18 server/tools "Error Handling"); `pending`: still in flight (the window's view only,
   * the files get the finished event under the same id); `note`: the gateway says what it did on its
   * own (a name rewritten, a tool hidden, an upstream's request it answered itself): nothing a client
   * asked for failed, and the message is in `error.message`.
   */
  outcome: ActivityOutcome;
  /**
   * For `error`, `timeout`, ...: the JSON-RPC error; for `tool_error`: the tool's own first text; for
   * `note`: the gateway's note.
   */
  error?: { code?: number; message: string };
  /** The last `notifications/progress` of a call (in flight, or the last one before it ended). */
  progress?: { progress?: number; total?: number; message?: string };
  requestBytes?: number;
  responseBytes?: number;
  /** Request params / arguments, secrets redacted, large values truncated. */
  request?: unknown;
  /** Result, secrets redacted, large values truncated. */
  response?: unknown;
  /**
   * Set when `request` or `response` was cut to the stored cap (their text then carries
   * `[truncated ...]` markers): the full size of each cut value, in bytes of JSON.
   */
  truncated?: { request?: number; response?: number };
}

/** Every outcome, in the order filters list them. */
export const ACTIVITY_OUTCOMES = [
  'ok',
  'tool_error',
  'error',
  'timeout',
  'cancelled',
  'denied',
  'note',
  'pending',
] as const;
export type ActivityOutcome = (typeof ACTIVITY_OUTCOMES)[number];

/** A call in flight, started with ActivitySink.begin: progress updates it, end() settles it. */
export interface ActivityCall {
  progress(p: NonNullable<ActivityEvent['progress']>): void;
  /** The finished event (the same id if it was shown); `request` is kept from begin(). */
  end(event: Omit<ActivityEvent, 'id' | 'request'>): void;
}

/** What the gateway writes into; activity/ implements it (bus + ring buffer + JSONL files). */
export interface ActivitySink {
  /** Assigns `id` and publishes; must never throw or block the call path. */
  record(event: Omit<ActivityEvent, 'id'>): void;
  /**
   * Notes a call in flight: the log shows it as `pending` (the window's spinner) once it has run a
   * short while, and records a call that ends sooner once, when it ends. Cheap: it is called on the
   * call path before the upstream request is written. Optional, so a sink that only records finished
   * events still works (observe() then calls record at the end).
   */
  begin?(event: Omit<ActivityEvent, 'id' | 'outcome'>): ActivityCall;
  /**
   * `text` with every secret value the sink knows (keychain values, upstream tokens) masked: the
   * front applies it to the errors it sends clients, since an upstream's error may echo a credential.
   */
  redactText?(text: string): string;
}
