import type { IncomingMessage } from 'node:http';
import type { RawObject } from '../upstream/types.js';
import { headerValue } from './http-util.js';
import type { Classified } from './messages.js';
import { metaOf } from './messages.js';
import {
  HEADER_MISMATCH,
  INVALID_PARAMS,
  META_CLIENT_CAPABILITIES,
  MODERN_VERSIONS,
  SESSION_VERSIONS,
  UNSUPPORTED_PROTOCOL_VERSION,
} from './protocol.js';

/** Methods a 2026-07-28 client may call here; anything else is removed in that revision or unknown. */
export const MODERN_METHODS: ReadonlySet<string> = new Set([
  'server/discover',
  'subscriptions/listen',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
]);

/** Methods 2026-07-28 removed, with what replaces them (for the error text). */
const REMOVED: Record<string, string> = {
  initialize:
    'call server/discover, or send initialize without the _meta envelope to start a 2025-era session',
  ping: 'any request shows the server is there',
  'logging/setLevel': "send the level with each request as _meta['io.modelcontextprotocol/logLevel']",
  'resources/subscribe': 'use subscriptions/listen',
  'resources/unsubscribe': 'close the subscriptions/listen stream',
};

export function methodNotFoundText(method: string): string {
  const instead = REMOVED[method];
  return instead === undefined
    ? `Method not found: '${method}'`
    : `Method not found: 2026-07-28 has no ${method}; ${instead}`;
}

/** Which body field Mcp-Name mirrors, per method (2026-07-28 Streamable HTTP, standard headers). */
const NAME_FIELD: Record<string, 'name' | 'uri'> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

export interface Refusal {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * The 2026-07-28 checks on the HTTP headers that mirror the body, in the order the spec's error
 * precedence gives: MCP-Protocol-Version is required; the envelope must name the client's capabilities
 * (-32602); headers that disagree with the body, or are missing, answer 400 with -32020 (HeaderMismatch)
 * before the version itself is judged (-32022). Header names are case-insensitive (Node lowercases
 * them); values are compared exactly after trimming optional whitespace (RFC 9110 section 5.5).
 */
export function checkHeaders(
  m: Exclude<Classified, { kind: 'invalid' | 'response' }>,
  claim: unknown,
  headerVersion: string | undefined,
  req: IncomingMessage,
): Refusal | undefined {
  const mismatch = (message: string): Refusal => ({ code: HEADER_MISMATCH, message });
  if (headerVersion === undefined || headerVersion === '')
    return mismatch(
      'Header mismatch: the MCP-Protocol-Version header is required on every 2026-07-28 request',
    );
  if (m.kind === 'request') {
    const caps = metaOf(m.msg.params)?.[META_CLIENT_CAPABILITIES];
    if (typeof caps !== 'object' || caps === null || Array.isArray(caps))
      return {
        code: INVALID_PARAMS,
        message: `Invalid params: params._meta['${META_CLIENT_CAPABILITIES}'] must be an object (required on every 2026-07-28 request)`,
      };
  }
  if (headerVersion !== claim)
    return mismatch(
      `Header mismatch: the MCP-Protocol-Version header (${headerVersion}) disagrees with params._meta (${String(claim)})`,
    );
  const method = headerValue(req.headers['mcp-method'])?.trim();
  if (method === undefined || method === '')
    return mismatch('Header mismatch: the Mcp-Method header is required on every 2026-07-28 request');
  if (method !== m.msg.method)
    return mismatch(
      `Header mismatch: the Mcp-Method header (${method}) disagrees with the body's method (${m.msg.method})`,
    );
  const field = NAME_FIELD[m.msg.method];
  const bodyName = field === undefined ? undefined : (m.msg.params as RawObject | undefined)?.[field];
  if (typeof bodyName === 'string') {
    const name = headerValue(req.headers['mcp-name'])?.trim();
    if (name === undefined || name === '')
      return mismatch(
        `Header mismatch: the Mcp-Name header is required on ${m.msg.method} (params.${field})`,
      );
    if (name !== bodyName)
      return mismatch(
        `Header mismatch: the Mcp-Name header (${name}) disagrees with params.${field} (${bodyName})`,
      );
  }
  if (typeof claim !== 'string' || !(MODERN_VERSIONS as readonly string[]).includes(claim)) {
    const hint = (SESSION_VERSIONS as readonly string[]).includes(String(claim))
      ? ` (${String(claim)} is served through initialize and Mcp-Session-Id, without the _meta envelope)`
      : '';
    return {
      code: UNSUPPORTED_PROTOCOL_VERSION,
      message: `Unsupported protocol version '${String(claim)}'${hint}`,
      data: { supported: [...MODERN_VERSIONS], requested: claim },
    };
  }
  return undefined;
}
