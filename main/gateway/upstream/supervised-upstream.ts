import { EventEmitter } from 'node:events';
import type { Backoff } from './backoff.js';
import type { Clock } from '../../common/clock.js';
import type { UpstreamDeps } from './connection.js';
import { createUpstream } from './connection.js';
import { isPermanent, plainError } from './messages.js';
import type { ServerRequestHandler } from './server-requests.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type CallOptions,
  type JsonRpcNotification,
  type ProtocolEra,
  type RawObject,
  type Upstream,
  type UpstreamConnection,
  type UpstreamEvents,
  type UpstreamKind,
  type UpstreamSpec,
  type UpstreamState,
  type UpstreamStatus,
} from './types.js';

/** What one attempt needs: a spec with secrets resolved, or why it cannot start (status misconfigured). */
export type PrepareResult = { spec: UpstreamSpec; deps: UpstreamDeps } | { misconfigured: string };

export interface SupervisedOptions {
  name: string;
  kind: UpstreamKind;
  prepare(): Promise<PrepareResult>;
  backoff: Backoff;
  clock: Clock;
  /** Makes a connection; tests may wrap createUpstream. */
  connect?: (spec: UpstreamSpec, deps: UpstreamDeps) => UpstreamConnection;
  /**
   * Masks keychain values in the error text, which reaches the window and callers' error messages
   * (a remote URL may carry a key in its path: "unreachable at https://host/<key>/mcp").
   */
  maskText?: (text: string) => string;
}

/** A supervised upstream: the object the router holds; it outlives each connection. */
export interface SupervisedUpstream extends Upstream {
  /** Starts (or restarts now, resetting the backoff). */
  restart(): Promise<void>;
  /** Stops and stays stopped (status 'stopped', or 'disabled' when asked). */
  stop(status?: 'stopped' | 'disabled'): Promise<void>;
  /** Process id of a running stdio upstream. */
  readonly pid: number | undefined;
  /** Last stderr lines of the current or last stdio process (for the Servers page). */
  logs(): string[];
  /** The current connection's stderr tail etc. are not exposed; this is for tests and diagnostics. */
  readonly connection: UpstreamConnection | undefined;
}

const LIST_EVENTS = ['tools', 'prompts', 'resources'] as const;

/**
 * The retry note scheduleRetry() appends to a restarting upstream's error ("; retrying in about 28 s
 * (attempt 8)."): what it says is true when written, so a later message that counts down by itself
 * takes it off (router/errors.ts). Groups: the attempt number.
 */
export const RETRY_NOTE = /; (?:retrying|restarting) in about \d+ s \(attempt (\d+)\)\.$/;

/**
 * Keeps one upstream alive: restarts a crashed stdio server and reconnects a remote one with
 * exponential backoff and full jitter; stays down on permanent errors ('failed'), missing secrets
 * ('misconfigured') and sign-in ('needs-auth') until asked again. While down, its lists are empty and
 * 'list-changed' fires so the router withdraws its tools, and calls fail at once with a clear error.
 */
export function createSupervisedUpstream(opts: SupervisedOptions): SupervisedUpstream {
  return new Supervisor(opts);
}

type ReadyInfo = Pick<UpstreamState, 'protocolVersion' | 'serverInfo' | 'capabilities' | 'instructions'>;

class Supervisor extends EventEmitter<UpstreamEvents> implements SupervisedUpstream {
  readonly name: string;
  private readonly connect: (spec: UpstreamSpec, deps: UpstreamDeps) => UpstreamConnection;
  private conn: UpstreamConnection | undefined;
  private lastConn: UpstreamConnection | undefined;
  private handler: ServerRequestHandler | undefined;
  private status: UpstreamStatus = 'stopped';
  private error: string | undefined;
  private since: number;
  private restarts = 0;
  private nextRetryAt: number | undefined;
  private timer: unknown;
  /** Bumped by every restart() and stop(): work of an older generation finds it stale and quits. */
  private generation = 0;
  private extra: ReadyInfo = {};
  /** What state() returns until set() changes something. */
  private snapshot: UpstreamState | undefined;

  constructor(private readonly opts: SupervisedOptions) {
    super();
    this.name = opts.name;
    this.connect = opts.connect ?? createUpstream;
    this.since = opts.clock.now();
  }

  get pid(): number | undefined {
    return this.conn?.pid;
  }
  get connection(): UpstreamConnection | undefined {
    return this.conn;
  }

  /**
   * One frozen object until the state changes: the router asks for it on every call it forwards
   * (issue 16: it was made anew each time).
   */
  state(): UpstreamState {
    if (this.snapshot !== undefined) return this.snapshot;
    const { status, error, nextRetryAt } = this;
    this.snapshot = Object.freeze({
      name: this.name,
      transport: this.opts.kind,
      status,
      ...(error !== undefined ? { error } : {}),
      since: this.since,
      restarts: this.restarts,
      ...(nextRetryAt !== undefined ? { nextRetryAt } : {}),
      ...(status === 'ready' ? this.extra : {}),
    });
    return this.snapshot;
  }

  request(method: string, params: RawObject | undefined, options?: CallOptions): Promise<RawObject> {
    if (this.status !== 'ready' || !this.conn) return Promise.reject(this.unavailable());
    return this.conn.request(method, params, options);
  }

  async notify(method: string, params?: RawObject): Promise<void> {
    if (this.status !== 'ready' || !this.conn) throw this.unavailable();
    await this.conn.notify(method, params);
  }

  logs(): string[] {
    return this.lastConn?.logs() ?? [];
  }
  tools(era?: ProtocolEra): readonly RawObject[] {
    return this.status === 'ready' && this.conn ? this.conn.tools(era) : [];
  }
  prompts(era?: ProtocolEra): readonly RawObject[] {
    return this.status === 'ready' && this.conn ? this.conn.prompts(era) : [];
  }
  resources(era?: ProtocolEra): readonly RawObject[] {
    return this.status === 'ready' && this.conn ? this.conn.resources(era) : [];
  }
  resourceTemplates(era?: ProtocolEra): readonly RawObject[] {
    return this.status === 'ready' && this.conn ? this.conn.resourceTemplates(era) : [];
  }

  setServerRequestHandler(h: ServerRequestHandler | undefined): void {
    this.handler = h;
    this.conn?.setServerRequestHandler(h);
  }

  async restart(): Promise<void> {
    // Our generation is taken before any await: a stop() or restart() that comes later wins.
    const gen = ++this.generation;
    await this.halt();
    if (gen !== this.generation) return;
    this.opts.backoff.reset();
    await this.attempt(gen);
  }

  async stop(final: 'stopped' | 'disabled' = 'stopped'): Promise<void> {
    const gen = ++this.generation;
    await this.halt();
    if (gen === this.generation) this.set(final);
  }

  private set(next: UpstreamStatus, err?: string, retryAt?: number): void {
    const wasReady = this.status === 'ready';
    this.snapshot = undefined;
    this.status = next;
    this.error = err === undefined || !this.opts.maskText ? err : this.opts.maskText(err);
    this.nextRetryAt = retryAt;
    this.since = this.opts.clock.now();
    this.emit('state', this.state());
    // The router rebuilds its merged lists from tools() etc.; those are empty unless ready.
    if (wasReady !== (next === 'ready')) for (const k of LIST_EVENTS) this.emit('list-changed', k);
  }

  private async attempt(gen: number): Promise<void> {
    const { name } = this;
    this.timer = undefined;
    this.set('starting', undefined);
    let prepared: PrepareResult;
    try {
      prepared = await this.opts.prepare();
    } catch (err) {
      prepared = { misconfigured: `Upstream '${name}' could not be prepared: ${plainError(err)}` };
    }
    if (gen !== this.generation) return;
    if ('misconfigured' in prepared) {
      this.set('misconfigured', prepared.misconfigured);
      return;
    }
    const c = this.connect(prepared.spec, prepared.deps);
    this.conn = c;
    this.lastConn = c;
    this.watch(c, gen);
    try {
      await c.start();
    } catch (err) {
      if (gen !== this.generation) return;
      this.conn = undefined;
      await c.close().catch(() => {});
      if (err instanceof UpstreamError && err.code === UPSTREAM_ERROR.needsAuth)
        this.set('needs-auth', err.message);
      else if (isPermanent(err)) this.set('failed', plainError(err));
      else this.scheduleRetry(gen, plainError(err), true);
      return;
    }
    if (gen !== this.generation) {
      void c.close().catch(() => {}); // superseded while starting
      return;
    }
    const s = c.state();
    this.extra = {
      protocolVersion: s.protocolVersion,
      serverInfo: s.serverInfo,
      capabilities: s.capabilities,
      instructions: s.instructions,
    };
    this.opts.backoff.succeeded();
    this.set('ready');
  }

  /** Relays a connection's events while it belongs to generation `gen`, and notices when it dies. */
  private watch(c: UpstreamConnection, gen: number): void {
    c.setServerRequestHandler(this.handler);
    c.on('notification', (n: JsonRpcNotification) => gen === this.generation && this.emit('notification', n));
    c.on(
      'list-changed',
      (k) => gen === this.generation && this.status === 'ready' && this.emit('list-changed', k),
    );
    c.on('state', (s: UpstreamState) => {
      if (gen !== this.generation || this.status !== 'ready') return;
      if (s.status === 'failed') this.scheduleRetry(gen, s.error ?? `Upstream '${this.name}' stopped`, false);
      else if (s.status === 'needs-auth') {
        this.conn = undefined;
        void c.close().catch(() => {});
        this.set('needs-auth', s.error);
      }
    });
  }

  private scheduleRetry(gen: number, reason: string, duringStart: boolean): void {
    const { clock, backoff } = this.opts;
    const old = this.conn;
    this.conn = undefined;
    if (old) void old.close().catch(() => {});
    const delay = backoff.next();
    const at = clock.now() + delay;
    const secs = Math.max(1, Math.round(delay / 1000));
    const verb = duringStart ? 'retrying' : 'restarting';
    this.set(
      'restarting',
      `${reason.replace(/\.$/, '')}; ${verb} in about ${secs} s (attempt ${backoff.failures}).`,
      at,
    );
    this.timer = clock.setTimeout(() => {
      if (gen !== this.generation) return;
      this.restarts++;
      this.snapshot = undefined;
      void this.attempt(gen);
    }, delay);
  }

  /** Stops the current attempt or connection; callers bump `generation` first, synchronously. */
  private async halt(): Promise<void> {
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.conn;
    this.conn = undefined;
    await c?.close();
  }

  private unavailable(): UpstreamError {
    const { status, error, name } = this;
    const why =
      status === 'restarting' && this.nextRetryAt !== undefined
        ? `${error ?? 'it stopped'}`
        : status === 'disabled'
          ? `it is disabled in the config (mcpServers.${name}.enabled)`
          : `status: ${status}${error ? `; ${error}` : ''}`;
    return new UpstreamError(
      status === 'needs-auth' ? UPSTREAM_ERROR.needsAuth : UPSTREAM_ERROR.unavailable,
      `Upstream '${name}' is not available (${why}).`,
    );
  }
}
