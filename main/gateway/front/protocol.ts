/** Session-era revisions served with `initialize` + Mcp-Session-Id, newest first. */
export const SESSION_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export const LATEST_SESSION_VERSION = SESSION_VERSIONS[0];
/** Stateless revisions (no initialize, no session; version and client info in each request's `_meta`). */
export const MODERN_VERSIONS = ['2026-07-28'] as const;

/** Reserved `_meta` keys of the 2026-07-28 per-request envelope. */
export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** Revisions ordered as ISO dates: 2026-07-28 and later are the stateless era. */
export function isModernVersion(v: string): boolean {
  return v >= '2026-07-28';
}

/** JSON-RPC codes used by the front (JSON-RPC 2.0 section 5.1; MCP 2026-07-28 for -32020 and -32022). */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;
/** 2026-07-28 HeaderMismatch: a mirrored HTTP header is missing or disagrees with the body. */
export const HEADER_MISMATCH = -32020;
/** Transport-level refusals (bad host, too large, unknown session) in the implementation range. */
export const TRANSPORT_ERROR = -32000;

/**
 * The front's answer to a GET at an MCP path without `Accept: text/event-stream` (406). Only the
 * gateway says it, so the tunnel's reachability probe in `--auth none` mode recognizes it.
 */
export const GET_NEEDS_SSE_MESSAGE = 'Not Acceptable: a GET stream needs Accept: text/event-stream';
