/**
 * What one configured server becomes inside the upstream manager: a supervised upstream (or, for
 * `isolation: "per-client"`, one per client behind a PerClientUpstream), with the prepare step that
 * resolves its secrets before every start attempt and the OAuth client of a remote server.
 */
import { isPerClient, isStdioServer, PER_CLIENT_DEFAULTS, type ServerConfig } from '../../config/schema.js';
import type { Clock } from '../../common/clock.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { UpstreamDeps } from './connection.js';
import type { EraCache } from './handshake.js';
import type { UpstreamManagerDeps } from './manager.js';
import { LISTS_CLIENT_ID, PerClientUpstream, prepareForClient } from './per-client-upstream.js';
import type { ServerLogStore } from './server-log.js';
import {
  createSupervisedUpstream,
  type PrepareResult,
  type SupervisedUpstream,
} from './supervised-upstream.js';
import type { UpstreamKind } from './types.js';
import type { UpstreamAuth } from './upstream-auth.js';

export interface Entry {
  upstream: SupervisedUpstream;
  config: ServerConfig | 'builtin';
  auth?: UpstreamAuth;
}

/** What every entry of one manager shares. */
export interface EntryContext {
  deps: UpstreamManagerDeps;
  clock: Clock;
  backoff: BackoffOptions;
  logs: ServerLogStore;
  /** What each http server answered to server/discover, so the manager asks each address once. */
  eras: EraCache;
}

/** The part of a server's config the connection depends on; `prefix` and `tools` are the router's. */
export function connectionShape(config: ServerConfig | 'builtin'): unknown {
  if (config === 'builtin') return config;
  const { prefix: _prefix, tools: _tools, ...rest } = config;
  return rest;
}

/** The transport a config entry asks for (Claude Desktop's format: `command` means stdio). */
function kindOf(config: ServerConfig): UpstreamKind {
  if (isStdioServer(config)) return 'stdio';
  return config.type === 'sse' ? 'sse' : 'http';
}

function missingSecretsText(name: string, missing: string[], keychainOff?: string): string {
  const list = missing.map((m) => `'${m}'`).join(', ');
  const cmds = missing.map((m) => `\`tunnelgate secrets set ${m}\``).join(', then ');
  const needs = `Upstream '${name}' needs the secret${missing.length > 1 ? 's' : ''} ${list}`;
  if (keychainOff !== undefined)
    return `${needs}, and the OS keychain is not available${keychainOff ? ` (${keychainOff.replace(/\.$/, '')})` : ''}: secrets are never kept in plain text. Once a keychain is running, restart Tunnelgate and run ${cmds}.`;
  return `${needs}, not found in the keychain. Run ${cmds} (or add it in Settings), then retry the server.`;
}

function authFor(deps: UpstreamManagerDeps, name: string, config: ServerConfig): UpstreamAuth | undefined {
  if (!deps.authFor || isStdioServer(config)) return undefined;
  const o = config.oauth ?? {};
  return deps.authFor(name, config.url, {
    clientId: o.clientId,
    scopes: o.scopes,
    redirectPort: o.redirectPort,
  });
}

function connDeps(ctx: EntryContext, name: string, auth: UpstreamAuth | undefined): UpstreamDeps {
  const { deps, logs } = ctx;
  return {
    log: (entry) => logs.add(name, entry),
    auth,
    callTimeoutMs: deps.callTimeoutMs,
    startTimeoutMs: deps.startTimeoutMs,
    clientVersion: deps.clientVersion,
    clientCapabilities: deps.clientCapabilities,
    shutdown: deps.shutdown,
    healthCheckMs: deps.healthCheckMs,
    eraCache: ctx.eras,
  };
}

/** A new, not yet started entry for server `name`. */
export function makeEntry(ctx: EntryContext, name: string, config: ServerConfig | 'builtin'): Entry {
  const { deps, clock } = ctx;
  const kind: UpstreamKind = config === 'builtin' ? 'builtin' : kindOf(config);
  const auth = config === 'builtin' ? undefined : authFor(deps, name, config);
  const prepare = async (): Promise<PrepareResult> => {
    if (config === 'builtin') {
      return {
        spec: { name, kind, config: { command: 'builtin' }, builtin: deps.builtins?.[name] },
        deps: connDeps(ctx, name, undefined),
      };
    }
    let resolved = config;
    if (deps.resolve) {
      const r = await deps.resolve(name, config);
      if ('missingSecrets' in r)
        return { misconfigured: missingSecretsText(name, r.missingSecrets, r.keychainOff) };
      resolved = r.config;
    }
    return { spec: { name, kind, config: resolved }, deps: connDeps(ctx, name, auth) };
  };
  const supervise = (prep: () => Promise<PrepareResult>): SupervisedUpstream =>
    createSupervisedUpstream({
      name,
      kind,
      prepare: prep,
      clock,
      backoff: new Backoff(ctx.backoff, clock, deps.random),
      connect: deps.connect,
      maskText: deps.maskSecrets,
    });
  const upstream =
    config !== 'builtin' && isPerClient(config)
      ? new PerClientUpstream({
          name,
          base: supervise(prepareForClient(prepare, LISTS_CLIENT_ID)),
          instance: (clientId, clientName) => supervise(prepareForClient(prepare, clientId, clientName)),
          maxProcesses: config.perClient?.maxProcesses ?? PER_CLIENT_DEFAULTS.maxProcesses,
          idleMs: config.perClient?.idleMs ?? PER_CLIENT_DEFAULTS.idleMs,
          clock,
        })
      : supervise(prepare);
  return { upstream, config, auth };
}
