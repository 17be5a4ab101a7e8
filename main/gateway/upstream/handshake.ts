import { StartError } from './messages.js';
import type { RawObject, UpstreamState } from './types.js';
import type { UpstreamAuth } from './upstream-auth.js';
import type { ServerLogInput } from './server-log.js';
import type { ShutdownTiming } from './wire-transport.js';

/** Protocol revisions we accept in an initialize answer (newest first; we ask for the first). */
const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;

/**
 * What the gateway advertises to upstreams: it relays all of these to its clients (design.md,
 * PROTOCOL.md "Pass-through"). Shapes per spec 2025-11-25 ClientCapabilities; MCP Apps (SEP-1865)
 * is announced under `extensions`.
 */
export const RELAY_CAPABILITIES: RawObject = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
  extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } },
};

export interface UpstreamDeps {
  /** Remote upstreams: the Authorization header source and 401 handler. */
  auth?: UpstreamAuth;
  /** Our version in clientInfo. */
  clientVersion?: string;
  /** Default per-call timeout (ms), when neither the call nor the config sets one. */
  callTimeoutMs?: number;
  /** How long initialize + the first list fetches may take (ms). */
  startTimeoutMs?: number;
  /** Overrides RELAY_CAPABILITIES (e.g. to mirror a client's). */
  clientCapabilities?: RawObject;
  /** Stdio shutdown timing. */
  shutdown?: ShutdownTiming;
  /** Streamable HTTP: open the optional GET stream for server messages (default true). */
  openGetStream?: boolean;
  /**
   * After this long with nothing heard from the upstream, send a `ping` (spec: Utilities/Ping) so a
   * remote server that went away is noticed while idle. Default 30 s for http, off otherwise; 0 = off.
   */
  healthCheckMs?: number;
  /** The server's live log (main/gateway/upstream/server-log.ts): stderr, log messages, exits. */
  log?: (entry: ServerLogInput) => void;
}

/** What we keep from an initialize answer (UpstreamState fields). */
export type InitInfo = Pick<
  UpstreamState,
  'protocolVersion' | 'serverInfo' | 'capabilities' | 'instructions'
>;

/** Params of our initialize request (spec: Lifecycle, "Initialization"). */
export function initializeParams(deps: UpstreamDeps): RawObject {
  return {
    protocolVersion: SUPPORTED_PROTOCOL_VERSIONS[0],
    capabilities: deps.clientCapabilities ?? RELAY_CAPABILITIES,
    clientInfo: { name: 'tunnelgate', version: deps.clientVersion ?? '0.1.0' },
  };
}

/** Checks the negotiated version (spec: "Version Negotiation") and keeps what the server told us. */
export function readInitializeResult(name: string, result: RawObject): InitInfo {
  const version = result.protocolVersion;
  if (typeof version !== 'string' || !(SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(version)) {
    throw new StartError(
      `Upstream '${name}' answered initialize with protocol version '${String(version)}', which the gateway does not speak (it speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}). Update the server or use another one.`,
      true,
    );
  }
  return {
    protocolVersion: version,
    serverInfo: (result.serverInfo ?? undefined) as RawObject | undefined,
    capabilities: (result.capabilities ?? {}) as RawObject,
    instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
  };
}
