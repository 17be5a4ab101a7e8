import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { ServerConfig } from '../../config/schema.js';
import { systemClock, type Clock } from '../../common/clock.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { UpstreamDeps } from './connection.js';
import { EraCache } from './handshake.js';
import { sharedGroupReaper } from './group-reaper.js';
import type { SupervisedUpstream } from './supervised-upstream.js';
import { connectionShape, makeEntry, type Entry, type EntryContext } from './upstream-entry.js';
import type { UpstreamAuthFactory } from './upstream-auth.js';
import { ServerLogStore, statusNote } from './server-log.js';
import type {
  BuiltinFactory,
  JsonRpcNotification,
  RawObject,
  UpstreamConnection,
  UpstreamListKind,
  UpstreamSpec,
  UpstreamState,
} from './types.js';
import type { ShutdownTiming } from './wire-transport.js';

export type ResolveResult =
  | { config: ServerConfig }
  /** `keychainOff`: there is no OS keychain to take them (why, in words for the user; may be empty). */
  | { missingSecrets: string[]; keychainOff?: string };

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

/** Events of the upstream manager: each upstream's, named, and the set's own changes. */
export interface UpstreamManagerEvents {
  state: [state: UpstreamState];
  'list-changed': [change: { upstream: string; kind: UpstreamListKind }];
  notification: [event: { upstream: string; notification: JsonRpcNotification }];
  added: [upstream: SupervisedUpstream];
  removed: [name: string];
}

/** All upstreams, kept in line with the config. */
export interface UpstreamManager extends EventEmitter<UpstreamManagerEvents> {
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

export function createUpstreamManager(deps: UpstreamManagerDeps = {}): UpstreamManager {
  return new Manager(deps);
}

class Manager extends EventEmitter<UpstreamManagerEvents> implements UpstreamManager {
  readonly logs: ServerLogStore;
  private readonly entries = new Map<string, Entry>();
  private readonly ctx: EntryContext;
  private closed = false;

  constructor(deps: UpstreamManagerDeps) {
    super();
    const clock = deps.clock ?? systemClock;
    this.logs = deps.logs ?? new ServerLogStore({ clock, mask: deps.maskSecrets });
    this.ctx = {
      deps,
      clock,
      backoff: { ...DEFAULT_BACKOFF, ...deps.backoff },
      logs: this.logs,
      eras: new EraCache(),
    };
  }

  async apply(servers: Record<string, ServerConfig>, options: ApplyOptions = {}): Promise<void> {
    if (this.closed) throw new Error('The upstream manager is closed.');
    const { entries } = this;
    const wanted = new Map<string, ServerConfig | 'builtin'>();
    for (const b of options.builtins ?? []) wanted.set(b, 'builtin');
    for (const [name, config] of Object.entries(servers)) wanted.set(name, config);
    const work: Promise<void>[] = [];
    // The map is updated synchronously, so overlapping apply() calls (hot reload) never run two
    // connections for one name; the slow parts (stopping, starting) happen after.
    for (const [name, entry] of [...entries]) {
      if (wanted.has(name)) continue;
      entries.delete(name);
      work.push(this.retire(name, entry, true));
    }
    for (const [name, config] of wanted) {
      const old = entries.get(name);
      if (old && isDeepStrictEqual(connectionShape(old.config), connectionShape(config))) {
        old.config = config; // only router-side fields (prefix, tool filter) changed: no restart
        continue;
      }
      const entry = makeEntry(this.ctx, name, config);
      this.relay(name, entry.upstream);
      entries.set(name, entry);
      this.emit('added', entry.upstream);
      work.push(
        (async () => {
          if (old) await this.retire(name, old, false);
          if (entries.get(name) === entry) await this.startEntry(entry);
        })(),
      );
    }
    await Promise.all(work);
  }

  get(name: string): SupervisedUpstream | undefined {
    return this.entries.get(name)?.upstream;
  }
  list(): SupervisedUpstream[] {
    return [...this.entries.values()].map((e) => e.upstream);
  }
  states(): UpstreamState[] {
    return [...this.entries.values()].map((e) => e.upstream.state());
  }

  async restart(name: string): Promise<void> {
    await this.startEntry(this.must(name));
  }
  async retry(name: string): Promise<void> {
    await this.startEntry(this.must(name));
  }

  async signIn(name: string): Promise<void> {
    const entry = this.must(name);
    if (!entry.auth)
      throw new Error(`Upstream '${name}' is not a remote server with sign-in (mcpServers.${name}.url).`);
    await entry.auth.signIn();
    await this.startEntry(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.entries];
    this.entries.clear();
    await Promise.all(all.map(([name, entry]) => this.retire(name, entry, true)));
    // Our own reaper process ends with us (reaped here, not left to init) when it watches nothing.
    await sharedGroupReaper().closeIfIdle();
  }

  /** Passes an upstream's events on, named, and notes its status changes in its server log. */
  private relay(name: string, upstream: SupervisedUpstream): void {
    const { clock } = this.ctx;
    let lastNote: string | undefined;
    upstream.on('state', (s) => {
      const note = statusNote(s, clock.now());
      if (note && note.text !== lastNote) this.logs.add(name, note);
      lastNote = note?.text;
      this.emit('state', s);
    });
    upstream.on('list-changed', (kind) => this.emit('list-changed', { upstream: name, kind }));
    upstream.on('notification', (notification) =>
      this.emit('notification', { upstream: name, notification }),
    );
  }

  private async startEntry(entry: Entry): Promise<void> {
    const { config } = entry;
    if (config !== 'builtin' && config.enabled === false) await entry.upstream.stop('disabled');
    else await entry.upstream.restart();
  }

  /** Stops an entry that has already left the map; `announce` emits 'removed' (not for a replacement). */
  private async retire(name: string, entry: Entry, announce: boolean): Promise<void> {
    await entry.upstream.stop();
    entry.upstream.removeAllListeners();
    if (announce) {
      this.logs.forget(name);
      this.emit('removed', name);
    }
  }

  private must(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`No upstream named '${name}' in mcpServers.`);
    return e;
  }
}
