import type { JsonRpcId, RawObject, UpstreamSpec } from './types.js';

/**
 * The byte-level link under one upstream connection. Messages are plain parsed JSON (never passed
 * through SDK schemas). `origin` is the id of our request whose HTTP response stream carried the
 * message (Streamable HTTP only), so server-to-client requests can be tied to the call that caused them.
 */
export interface WireTransport {
  start(): Promise<void>;
  send(message: RawObject): Promise<void>;
  /** The call with this id was cancelled or timed out: release whatever carries its answer. */
  forget?(id: JsonRpcId): void;
  /** Stops the link; resolves once any child process has exited. */
  close(): Promise<void>;
  onmessage?: (message: RawObject, origin?: JsonRpcId) => void;
  /**
   * The link died on its own. `reason` completes "Upstream 'x' ...", e.g. "exited with code 1";
   * `detail` explains it when known, e.g. the server's last error line on stderr.
   */
  onclose?: (reason: string, detail?: string) => void;
  /** A request's response can no longer arrive (e.g. its HTTP stream broke); reject that call. */
  onrequestlost?: (id: JsonRpcId, reason: string) => void;
  /** Remote upstream needs the user to sign in; the connection moves to 'needs-auth'. */
  onneedsauth?: (reason: string) => void;
  /** The Streamable HTTP session was re-created (404): the new initialize result. */
  onreinitialized?: (result: RawObject) => void;
  readonly pid?: number | undefined;
  /** Captured stderr lines (stdio only). */
  stderrLines?(): string[];
}

/** Timing of process shutdown; tests shorten it. */
export interface ShutdownTiming {
  /** After closing stdin, how long to wait before SIGTERM. */
  stdinGraceMs: number;
  /** After SIGTERM, how long to wait before SIGKILL. */
  termGraceMs: number;
}

export const DEFAULT_SHUTDOWN: ShutdownTiming = { stdinGraceMs: 1000, termGraceMs: 2000 };

/** Parses one JSON-RPC message; undefined when it is not a JSON object. */
export function parseMessage(text: string): RawObject | undefined {
  // Most non-messages are empty SSE "priming" events (data: ""): a thrown SyntaxError costs far more
  // than this check, and it would be paid on every call to a 2025-11-25 server.
  if (text.length === 0 || text.trimStart().charCodeAt(0) !== 123 /* '{' */) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as RawObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces every occurrence of a sensitive value (env and header values from the config) with "***". */
export function makeRedactor(values: Iterable<string>): (text: string) => string {
  const secrets = [...new Set([...values].filter((v) => v.length >= 6))].sort((a, b) => b.length - a.length);
  return (text) => secrets.reduce((acc, v) => acc.split(v).join('***'), text);
}

/** Values from the config that may be secret (resolved `${secret:...}` among them), for masking. */
export function configuredValues(config: UpstreamSpec['config']): string[] {
  const env = Object.values((config as { env?: Record<string, unknown> }).env ?? {});
  const headers = Object.values((config as { headers?: Record<string, unknown> }).headers ?? {});
  // "Bearer <token>": the token alone may show up too.
  const tokens = headers.flatMap((v) => (typeof v === 'string' ? v.split(/\s+/).slice(1) : []));
  return [...env, ...headers, ...tokens].filter((v): v is string => typeof v === 'string');
}
