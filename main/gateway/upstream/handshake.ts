import { createHash } from 'node:crypto';
import { StartError } from './messages.js';
import type { RawObject, UpstreamState } from './types.js';
import type { UpstreamAuth } from './upstream-auth.js';
import type { ServerLogInput } from './server-log.js';
import type { ShutdownTiming } from './wire-transport.js';

/** Protocol revisions we accept in an initialize answer (newest first; we ask for the first). */
const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
/** The stateless revision we speak to upstreams whose `server/discover` offers it. */
export const MODERN_VERSION = '2026-07-28';

/** Reserved `_meta` keys of the 2026-07-28 per-request envelope (Basic: "Request metadata"). */
const ENVELOPE = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
} as const;

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
  /**
   * Probe Streamable HTTP upstreams with `server/discover` and speak 2026-07-28 to those that offer
   * it (default true); false keeps every upstream on the session era.
   */
  discover?: boolean;
  /** Where probe answers are remembered (the manager keeps one; default: this connection's own). */
  eraCache?: EraCache;
}

/**
 * Who a 2026-07-28 request is for: the per-request `_meta` the gateway sends upstream on the client's
 * behalf (its capabilities, so the server enables the same features; its log level, so each client
 * gets the messages it asked for). Unset fields fall back to the gateway's own.
 */
export interface RequestEnvelope {
  clientInfo?: RawObject;
  clientCapabilities?: RawObject;
  logLevel?: string;
}

/** `params` with the 2026-07-28 envelope merged into `_meta` (other `_meta` keys kept as sent). */
export function withEnvelope(
  params: RawObject | undefined,
  envelope: RequestEnvelope | undefined,
  deps: UpstreamDeps,
): RawObject {
  const meta: RawObject = {
    ...((params?._meta as RawObject | undefined) ?? {}),
    [ENVELOPE.protocolVersion]: MODERN_VERSION,
    [ENVELOPE.clientInfo]: envelope?.clientInfo ?? gatewayClientInfo(deps),
    [ENVELOPE.clientCapabilities]:
      envelope?.clientCapabilities ?? deps.clientCapabilities ?? RELAY_CAPABILITIES,
  };
  if (envelope?.logLevel !== undefined) meta[ENVELOPE.logLevel] = envelope.logLevel;
  return { ...params, _meta: meta };
}

function gatewayClientInfo(deps: UpstreamDeps): RawObject {
  return { name: 'tunnelgate', version: deps.clientVersion ?? '0.1.0' };
}

/**
 * Reads a `server/discover` answer (2026-07-28 Lifecycle): the upstream speaks our stateless revision
 * when `supportedVersions` names it. Its identity is in `_meta['io.modelcontextprotocol/serverInfo']`
 * (the body field is kept for earlier drafts). Undefined: not a 2026-07-28 server, use `initialize`.
 */
export function readDiscoverResult(result: RawObject): InitInfo | undefined {
  const versions = result.supportedVersions;
  if (!Array.isArray(versions) || !versions.includes(MODERN_VERSION)) return undefined;
  const meta = (result._meta ?? {}) as RawObject;
  const serverInfo = (meta[ENVELOPE.serverInfo] ?? result.serverInfo ?? undefined) as RawObject | undefined;
  return {
    protocolVersion: MODERN_VERSION,
    serverInfo,
    capabilities: (result.capabilities ?? {}) as RawObject,
    instructions: typeof result.instructions === 'string' ? result.instructions : undefined,
  };
}

/**
 * What each upstream answered to `server/discover` (its 2026-07-28 identity, or false: session era
 * only), so it is asked once and not again on every restart or per-client process. Keyed by a hash of
 * its kind and address (url, or command and args), never by resolved secrets. Bounded: oldest first.
 */
export class EraCache {
  private readonly answers = new Map<string, InitInfo | false>();
  constructor(private readonly max = 500) {}

  static keyOf(kind: string, config: object): string {
    const c = config as { url?: unknown; command?: unknown; args?: unknown };
    const address = JSON.stringify([kind, c.url ?? null, c.command ?? null, c.args ?? null]);
    return createHash('sha256').update(address).digest('base64url');
  }
  get(key: string): InitInfo | false | undefined {
    return this.answers.get(key);
  }
  set(key: string, answer: InitInfo | false): void {
    this.answers.delete(key);
    this.answers.set(key, answer);
    if (this.answers.size > this.max) this.answers.delete(this.answers.keys().next().value!);
  }
  forget(key: string): void {
    this.answers.delete(key);
  }
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
    clientInfo: gatewayClientInfo(deps),
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
