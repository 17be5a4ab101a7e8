/**
 * The wire contract of OpenAI's Secure MCP Tunnel, client side: types, header names and the small
 * parsers the client needs. Source: openai/tunnel-client docs/protocol.md and docs/openapi.json
 * ("Tunnel client wire protocol"); section names below refer to protocol.md.
 */

/** protocol.md "Tunnel wire protocol version": the additive contract this client understands. */
export const WIRE_PROTOCOL_VERSION = '2026-08-25';

export const HEADER = {
  authorization: 'Authorization',
  clientName: 'X-Tunnel-Client-Name',
  clientVersion: 'X-Tunnel-Client-Version',
  wireVersion: 'X-Tunnel-Client-Wire-Protocol-Version',
  serverInfo: 'X-Tunnel-MCP-Server-Info',
  instanceId: 'X-Tunnel-Client-Instance-Id',
  shardToken: 'X-Tunnel-Shard-Token',
  clientRequestId: 'X-Client-Request-Id',
} as const;

/** Multi-valued headers as the contract carries them (`{"Mcp-Session-Id": ["s1"]}`). */
export type WireHeaders = Record<string, string[]>;

/** One item of a poll answer (openapi: JsonRpcPolledCommand | SessionTerminationPolledCommand). */
export interface PolledCommand {
  request_id: string;
  shard_token: string;
  /** Discriminator; dispatch on it, never on field presence ("Future command types"). */
  command_type?: string;
  channel?: string;
  created_at?: string;
  response_timeout?: unknown;
  headers?: WireHeaders;
  jsonrpc?: Record<string, unknown>;
  /** Schemas are open (`additionalProperties: true`): unknown properties are accepted and ignored. */
  [extra: string]: unknown;
}

export type ResponseType =
  'jsonrpc_response' | 'jsonrpc_notify' | 'notify_ack' | 'session_termination_response';

/** Body of POST .../response (openapi TunnelResponsePayload, `additionalProperties: false`). */
export interface TunnelResponsePayload {
  request_id: string;
  channel?: string;
  resp_json?: Record<string, unknown>;
  resp_headers?: WireHeaders;
  resp_code: number;
  resp_type: ResponseType;
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
/** Go's time.Duration range: the official decoder fails open beyond it (protocol.md "Response timeout"). */
const MAX_DURATION_NS = 2n ** 63n - 1n;

/**
 * `response_timeout` in milliseconds, or undefined for legacy no-deadline behaviour. The grammar is
 * `1*DIGIT ("ns" / "us" / "ms" / "s" / "m" / "h")`; absent, null, wrong types, fractions, signs,
 * whitespace, compound or unknown units and overflowing values all fail open (no deadline), and a
 * valid zero means "already expired".
 */
export function parseResponseTimeout(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]+)(ns|us|ms|s|m|h)$/.exec(value);
  if (!m) return undefined;
  const ns = BigInt(m[1]!) * UNIT_NS[m[2]!]!;
  if (ns > MAX_DURATION_NS) return undefined;
  return Number(ns) / 1e6;
}

export interface ChannelDeclaration {
  name: string;
  stateless?: boolean;
  procAffinity?: boolean;
}

/**
 * The compact `X-Tunnel-MCP-Server-Info` value (protocol.md "MCP server information"): v1 unless a
 * channel advertises `stateless`, keys in canonical order, false values omitted, unique names, at
 * most 32 channels and 4096 UTF-8 bytes. Throws before anything invalid could be sent.
 */
export function serverInfoHeader(channels: readonly ChannelDeclaration[]): string {
  if (channels.length === 0 || channels.length > 32)
    throw new Error(`X-Tunnel-MCP-Server-Info: 1 to 32 channels allowed (got ${channels.length})`);
  const names = new Set<string>();
  for (const c of channels) {
    // openapi invalid_channel_format: lowercase letters, digits, hyphens or underscores.
    if (!/^[a-z0-9_-]+$/.test(c.name))
      throw new Error(`X-Tunnel-MCP-Server-Info: bad channel name '${c.name}'`);
    if (names.has(c.name)) throw new Error(`X-Tunnel-MCP-Server-Info: duplicate channel '${c.name}'`);
    names.add(c.name);
  }
  const stateless = channels.some((c) => c.stateless);
  const value = JSON.stringify({
    version: stateless ? 2 : 1,
    channels: channels.map((c) => ({
      name: c.name,
      ...(stateless && c.stateless ? { stateless: true } : {}),
      ...(c.procAffinity ? { proc_affinity: true } : {}),
    })),
  });
  if (Buffer.byteLength(value) > 4096) throw new Error('X-Tunnel-MCP-Server-Info: longer than 4096 bytes');
  return value;
}

/**
 * Response headers the contract lets through (protocol.md "Structured MCP errors"): this allowlist,
 * minus `Connection`, every header `Connection` names, and empty values.
 */
const RESPONSE_HEADER_ALLOWLIST = [
  'Content-Type',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Last-Event-ID',
  'Access-Control-Expose-Headers',
  'WWW-Authenticate',
];

export function filterResponseHeaders(headers: Record<string, string | string[] | undefined>): WireHeaders {
  const lower = new Map<string, string[]>();
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    lower.set(
      k.toLowerCase(),
      (Array.isArray(v) ? v : [v]).filter((x) => x !== ''),
    );
  }
  const nominated = new Set(
    (lower.get('connection') ?? []).flatMap((v) => v.split(',').map((s) => s.trim().toLowerCase())),
  );
  const out: WireHeaders = {};
  for (const name of RESPONSE_HEADER_ALLOWLIST) {
    const key = name.toLowerCase();
    const values = lower.get(key);
    if (values && values.length > 0 && !nominated.has(key)) out[name] = values;
  }
  return out;
}

/**
 * Retry-After (RFC 9110 §10.2.3) as a delay in ms: delta-seconds or an HTTP-date. Malformed,
 * negative and past values are ignored (undefined); large ones are capped (protocol.md "Errors").
 */
export function parseRetryAfter(value: string | null, nowMs: number, capMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  let ms: number;
  if (/^[0-9]+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (!/[a-z]/i.test(v) || Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  if (!(ms > 0)) return undefined;
  return Math.min(ms, capMs);
}

/** Error body of the control plane (openapi APIErrorResponse): `{"error": {"message", "type", "code"}}`. */
export function errorCodeOf(body: unknown): { code?: string; message?: string } {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return {
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.message === 'string' ? { message: e.message.slice(0, 300) } : {}),
  };
}
