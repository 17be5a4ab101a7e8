import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { isPerClient, isStdioServer, PER_CLIENT_DEFAULTS, type ServerConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../common/clock.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { UpstreamDeps } from './connection.js';
import { sharedGroupReaper } from './group-reaper.js';
import {
  createSupervisedUpstream,
  type PrepareResult,
  type SupervisedUpstream,
} from './supervised-upstream.js';
import { LISTS_CLIENT_ID, PerClientUpstream, prepareForClient } from './per-client-upstream.js';
import type { UpstreamAuth, UpstreamAuthFactory } from './upstream-auth.js';
import { ServerLogStore, statusNote } from './server-log.js';
import type {
  BuiltinFactory,
  RawObject,
  UpstreamConnection,
  UpstreamKind,
  UpstreamSpec,
  UpstreamState,
} from './types.js';
import type { ShutdownTiming } from './wire-transport.js';

export type ResolveResult = { config: ServerConfig } | { missingSecrets: string[] };

export interface UpstreamManagerDeps {
  /** Resolves `${secret:NAME}` references; called before every start attempt. */
  resolve?(name: string, config: ServerConfig): Promise<ResolveResult>;
  /** Upstream OAuth for http/sse servers (auth/upstream). */
  authFor?: UpstreamAuthFactory;
  /** In-process servers, started by apply(servers, { builtins: [...] }). */
  builtins?: Record<string, BuiltinFactory>;
  clock?: Clock;
  random?: () => number;
  backoff?: Partial<BackoffOptions>;
  callTimeoutMs?: number;
  startTimeoutMs?: number;
  clientVersion?: string;
  clientCapabilities?: RawObject;
  shutdown?: ShutdownTiming;
  /** Idle health-check ping interval for http upstreams (see UpstreamDeps.healthCheckMs). */
  healthCheckMs?: number;
  /** Where each server's stderr, log messages and exits go (default: a store of its own). */
  logs?: ServerLogStore;
  /** Masks known secret values in server logs and in servers' error texts (see ServerLogStoreOptions.mask). */
  maskSecrets?: (text: string) => string;
  /** Tests: wrap or replace connection creation. */
  connect?: (spec: UpstreamSpec, deps: UpstreamDeps) => UpstreamConnection;
}

export interface ApplyOptions {
  /** Names from deps.builtins to run as well (e.g. the demo server when there is no config). */
  builtins?: readonly string[];
}

/**
 * All upstreams, kept in line with the config. Events: 'state' (UpstreamState), 'list-changed'
 * ({ upstream, kind }), 'notification' ({ upstream, notification }), 'added' (SupervisedUpstream),
 * 'removed' (name).
 */
export interface UpstreamManager extends EventEmitter {
  /** Brings the running set in line with `mcpServers`; resolves when each started one is ready or has failed. */
  apply(servers: Record<string, ServerConfig>, options?: ApplyOptions): Promise<void>;
  get(name: string): SupervisedUpstream | undefined;
  list(): SupervisedUpstream[];
  states(): UpstreamState[];
  /** Stops and starts again now (backoff reset). */
  restart(name: string): Promise<void>;
  /** Interactive sign-in for a remote upstream, then a fresh connection. */
  signIn(name: string): Promise<void>;
  /** Tries again now, re-resolving secrets (e.g. after `tunnelgate secrets set`). */
  retry(name: string): Promise<void>;
  /** Stops every upstream; resolves when every child process has exited. */
  close(): Promise<void>;
  /** Each server's live log (stderr, log messages, status notes, the last crash). */
  readonly logs: ServerLogStore;
}

interface Entry {
  upstream: SupervisedUpstream;
  config: ServerConfig | 'builtin';
  auth?: UpstreamAuth;
}

/** The part of a server's config the connection depends on; `prefix` and `tools` are the router's. */
function connectionShape(config: ServerConfig | 'builtin'): unknown {
  if (config === 'builtin') return config;
  const { prefix: _prefix, tools: _tools, ...rest } = config;
  return rest;
}

/** The transport a config entry asks for (Claude Desktop's format: `command` means stdio). */
function kindOf(config: ServerConfig): UpstreamKind {
  if (isStdioServer(config)) return 'stdio';
  return config.type === 'sse' ? 'sse' : 'http';
}

export function createUpstreamManager(deps: UpstreamManagerDeps = {}): UpstreamManager {
  const clock = deps.clock ?? systemClock;
  const backoffOpts: BackoffOptions = { ...DEFAULT_BACKOFF, ...deps.backoff };
  const entries = new Map<string, Entry>();
  const emitter = new EventEmitter();
  const logs = deps.logs ?? new ServerLogStore({ clock, mask: deps.maskSecrets });
  let closed = false;

  const connDeps = (name: string, auth: UpstreamAuth | undefined): UpstreamDeps => ({
    log: (entry) => logs.add(name, entry),
    auth,
    callTimeoutMs: deps.callTimeoutMs,
    startTimeoutMs: deps.startTimeoutMs,
    clientVersion: deps.clientVersion,
    clientCapabilities: deps.clientCapabilities,
    shutdown: deps.shutdown,
    healthCheckMs: deps.healthCheckMs,
  });

  function missingSecretsText(name: string, missing: string[]): string {
    const list = missing.map((m) => `'${m}'`).join(', ');
    const cmds = missing.map((m) => `\`tunnelgate secrets set ${m}\``).join(', then ');
    return `Upstream '${name}' needs the secret${missing.length > 1 ? 's' : ''} ${list}, not found in the keychain. Run ${cmds} (or add it in Settings), then retry the server.`;
  }

  function authFor(name: string, config: ServerConfig): UpstreamAuth | undefined {
    if (!deps.authFor || isStdioServer(config)) return undefined;
    const o = config.oauth ?? {};
    return deps.authFor(name, config.url, {
      clientId: o.clientId,
      scopes: o.scopes,
      redirectPort: o.redirectPort,
    });
  }

  function makeEntry(name: string, config: ServerConfig | 'builtin'): Entry {
    const kind: UpstreamKind = config === 'builtin' ? 'builtin' : kindOf(config);
    const auth = config === 'builtin' ? undefined : authFor(name, config);
    const prepare = async (): Promise<PrepareResult> => {
      if (config === 'builtin') {
        return {
          spec: { name, kind, config: { command: 'builtin' }, builtin: deps.builtins?.[name] },
          deps: connDeps(name, undefined),
        };
      }
      let resolved = config;
      if (deps.resolve) {
        const r = await deps.resolve(name, config);
        if ('missingSecrets' in r) return { misconfigured: missingSecretsText(name, r.missingSecrets) };
        resolved = r.config;
      }
      return { spec: { name, kind, config: resolved }, deps: connDeps(name, auth) };
    };
    const supervise = (prep: () => Promise<PrepareResult>): SupervisedUpstream =>
      createSupervisedUpstream({
        name,
        kind,
        prepare: prep,
        clock,
        backoff: new Backoff(backoffOpts, clock, deps.random),
        connect: deps.connect,
        maskText: deps.maskSecrets,
      });
    const upstream =
      config !== 'builtin' && isPerClient(config)
        ? new PerClientUpstream({
            name,
            base: supervise(prepareForClient(prepare, LISTS_CLIENT_ID)),
            instance: (clientId) => supervise(prepareForClient(prepare, clientId)),
            maxProcesses: config.perClient?.maxProcesses ?? PER_CLIENT_DEFAULTS.maxProcesses,
            idleMs: config.perClient?.idleMs ?? PER_CLIENT_DEFAULTS.idleMs,
            clock,
          })
        : supervise(prepare);
    let lastNote: string | undefined;
    upstream.on('state', (s: UpstreamState) => {
      const note = statusNote(s, clock.now());
      if (note && note.text !== lastNote) logs.add(name, note);
      lastNote = note?.text;
      emitter.emit('state', s);
    });
    upstream.on('list-changed', (kind: string) => emitter.emit('list-changed', { upstream: name, kind }));
    upstream.on('notification', (notification: RawObject) =>
      emitter.emit('notification', { upstream: name, notification }),
    );
    return { upstream, config, auth };
  }

  async function startEntry(entry: Entry): Promise<void> {
    const { config } = entry;
    if (config !== 'builtin' && config.enabled === false) await entry.upstream.stop('disabled');
    else await entry.upstream.restart();
  }

  /** Stops an entry that has already left the map; `announce` emits 'removed' (not for a replacement). */
  async function retire(name: string, entry: Entry, announce: boolean): Promise<void> {
    await entry.upstream.stop();
    entry.upstream.removeAllListeners();
    if (announce) {
      logs.forget(name);
      emitter.emit('removed', name);
    }
  }

  function must(name: string): Entry {
    const e = entries.get(name);
    if (!e) throw new Error(`No upstream named '${name}' in mcpServers.`);
    return e;
  }

  const api = Object.assign(emitter, {
    async apply(servers: Record<string, ServerConfig>, options: ApplyOptions = {}) {
      if (closed) throw new Error('The upstream manager is closed.');
      const wanted = new Map<string, ServerConfig | 'builtin'>();
      for (const b of options.builtins ?? []) wanted.set(b, 'builtin');
      for (const [name, config] of Object.entries(servers)) wanted.set(name, config);
      const work: Promise<void>[] = [];
      // The map is updated synchronously, so overlapping apply() calls (hot reload) never run two
      // connections for one name; the slow parts (stopping, starting) happen after.
      for (const [name, entry] of [...entries]) {
        if (wanted.has(name)) continue;
        entries.delete(name);
        work.push(retire(name, entry, true));
      }
      for (const [name, config] of wanted) {
        const old = entries.get(name);
        if (old && isDeepStrictEqual(connectionShape(old.config), connectionShape(config))) {
          old.config = config; // only router-side fields (prefix, tool filter) changed: no restart
          continue;
        }
        const entry = makeEntry(name, config);
        entries.set(name, entry);
        emitter.emit('added', entry.upstream);
        work.push(
          (async () => {
            if (old) await retire(name, old, false);
            if (entries.get(name) === entry) await startEntry(entry);
          })(),
        );
      }
      await Promise.all(work);
    },
    logs,
    get: (name: string) => entries.get(name)?.upstream,
    list: () => [...entries.values()].map((e) => e.upstream),
    states: () => [...entries.values()].map((e) => e.upstream.state()),
    async restart(name: string) {
      await startEntry(must(name));
    },
    async retry(name: string) {
      await startEntry(must(name));
    },
    async signIn(name: string) {
      const entry = must(name);
      if (!entry.auth)
        throw new Error(`Upstream '${name}' is not a remote server with sign-in (mcpServers.${name}.url).`);
      await entry.auth.signIn();
      await startEntry(entry);
    },
    async close() {
      closed = true;
      const all = [...entries];
      entries.clear();
      await Promise.all(all.map(([name, entry]) => retire(name, entry, true)));
      // Our own reaper process ends with us (reaped here, not left to init) when it watches nothing.
      await sharedGroupReaper().closeIfIdle();
    },
  });
  return api as unknown as UpstreamManager;
}
