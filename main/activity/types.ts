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
  outcome: 'ok' | 'error' | 'cancelled' | 'timeout' | 'denied';
  error?: { code?: number; message: string };
  requestBytes?: number;
  responseBytes?: number;
  /** Request params / arguments, secrets redacted, large values truncated. */
  request?: unknown;
  /** Result, secrets redacted, large values truncated. */
  response?: unknown;
}

/** What the gateway writes into; activity/ implements it (bus + ring buffer + JSONL files). */
export interface ActivitySink {
  /** Assigns `id` and publishes; must never throw or block the call path. */
  record(event: Omit<ActivityEvent, 'id'>): void;
}
