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
  type RawObject,
  type Upstream,
  type UpstreamConnection,
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
 * Keeps one upstream alive: restarts a crashed stdio server and reconnects a remote one with
 * exponential backoff and full jitter; stays down on permanent errors ('failed'), missing secrets
 * ('misconfigured') and sign-in ('needs-auth') until asked again. While down, its lists are empty and
 * 'list-changed' fires so the router withdraws its tools, and calls fail at once with a clear error.
 */
export function createSupervisedUpstream(opts: SupervisedOptions): SupervisedUpstream {
  const { name, clock, backoff } = opts;
  const emitter = new EventEmitter();
  const connect = opts.connect ?? createUpstream;
  let conn: UpstreamConnection | undefined;
  let lastConn: UpstreamConnection | undefined;
  let handler: ServerRequestHandler | undefined;
  let status: UpstreamStatus = 'stopped';
  let error: string | undefined;
  let since = clock.now();
  let restarts = 0;
  let nextRetryAt: number | undefined;
  let timer: unknown;
  let generation = 0;
  let extra: Pick<UpstreamState, 'protocolVersion' | 'serverInfo' | 'capabilities' | 'instructions'> = {};

  function set(next: UpstreamStatus, err?: string, retryAt?: number): void {
    const wasReady = status === 'ready';
    status = next;
    error = err === undefined || !opts.maskText ? err : opts.maskText(err);
    nextRetryAt = retryAt;
    since = clock.now();
    emitter.emit('state', api.state());
    // The router rebuilds its merged lists from tools() etc.; those are empty unless ready.
    if (wasReady !== (next === 'ready')) for (const k of LIST_EVENTS) emitter.emit('list-changed', k);
  }

  async function attempt(gen: number): Promise<void> {
    timer = undefined;
    set('starting', undefined);
    let prepared: PrepareResult;
    try {
      prepared = await opts.prepare();
    } catch (err) {
      prepared = { misconfigured: `Upstream '${name}' could not be prepared: ${plainError(err)}` };
    }
    if (gen !== generation) return;
    if ('misconfigured' in prepared) {
      set('misconfigured', prepared.misconfigured);
      return;
    }
    const c = connect(prepared.spec, prepared.deps);
    conn = c;
    lastConn = c;
    c.setServerRequestHandler(handler);
    c.on('notification', (n: RawObject) => gen === generation && emitter.emit('notification', n));
    c.on(
      'list-changed',
      (k: string) => gen === generation && status === 'ready' && emitter.emit('list-changed', k),
    );
    c.on('state', (s: UpstreamState) => {
      if (gen !== generation || status !== 'ready') return;
      if (s.status === 'failed') scheduleRetry(gen, s.error ?? `Upstream '${name}' stopped`, false);
      else if (s.status === 'needs-auth') {
        conn = undefined;
        void c.close().catch(() => {});
        set('needs-auth', s.error);
      }
    });
    try {
      await c.start();
    } catch (err) {
      if (gen !== generation) return;
      conn = undefined;
      await c.close().catch(() => {});
      if (err instanceof UpstreamError && err.code === UPSTREAM_ERROR.needsAuth)
        set('needs-auth', err.message);
      else if (isPermanent(err)) set('failed', plainError(err));
      else scheduleRetry(gen, plainError(err), true);
      return;
    }
    if (gen !== generation) {
      void c.close().catch(() => {}); // superseded while starting
      return;
    }
    const s = c.state();
    extra = {
      protocolVersion: s.protocolVersion,
      serverInfo: s.serverInfo,
      capabilities: s.capabilities,
      instructions: s.instructions,
    };
    backoff.succeeded();
    set('ready');
  }

  function scheduleRetry(gen: number, reason: string, duringStart: boolean): void {
    const old = conn;
    conn = undefined;
    if (old) void old.close().catch(() => {});
    const delay = backoff.next();
    const at = clock.now() + delay;
    const secs = Math.max(1, Math.round(delay / 1000));
    const verb = duringStart ? 'retrying' : 'restarting';
    set(
      'restarting',
      `${reason.replace(/\.$/, '')}; ${verb} in about ${secs} s (attempt ${backoff.failures}).`,
      at,
    );
    timer = clock.setTimeout(() => {
      if (gen !== generation) return;
      restarts++;
      void attempt(gen);
    }, delay);
  }

  /** Stops the current attempt or connection; callers bump `generation` first, synchronously. */
  async function halt(): Promise<void> {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    const c = conn;
    conn = undefined;
    await c?.close();
  }

  function unavailable(): UpstreamError {
    const why =
      status === 'restarting' && nextRetryAt !== undefined
        ? `${error ?? 'it stopped'}`
        : status === 'disabled'
          ? `it is disabled in the config (mcpServers.${name}.enabled)`
          : `status: ${status}${error ? `; ${error}` : ''}`;
    return new UpstreamError(
      status === 'needs-auth' ? UPSTREAM_ERROR.needsAuth : UPSTREAM_ERROR.unavailable,
      `Upstream '${name}' is not available (${why}).`,
    );
  }

  const api = Object.assign(emitter, {
    name,
    state(): UpstreamState {
      return {
        name,
        transport: opts.kind,
        status,
        ...(error !== undefined ? { error } : {}),
        since,
        restarts,
        ...(nextRetryAt !== undefined ? { nextRetryAt } : {}),
        ...(status === 'ready' ? extra : {}),
      };
    },
    request(method: string, params: RawObject | undefined, options?: CallOptions): Promise<RawObject> {
      if (status !== 'ready' || !conn) return Promise.reject(unavailable());
      return conn.request(method, params, options);
    },
    async notify(method: string, params?: RawObject): Promise<void> {
      if (status !== 'ready' || !conn) throw unavailable();
      await conn.notify(method, params);
    },
    logs: () => lastConn?.logs() ?? [],
    tools: () => (status === 'ready' && conn ? conn.tools() : []),
    prompts: () => (status === 'ready' && conn ? conn.prompts() : []),
    resources: () => (status === 'ready' && conn ? conn.resources() : []),
    resourceTemplates: () => (status === 'ready' && conn ? conn.resourceTemplates() : []),
    setServerRequestHandler(h: ServerRequestHandler | undefined) {
      handler = h;
      conn?.setServerRequestHandler(h);
    },
    async restart() {
      // Our generation is taken before any await: a stop() or restart() that comes later wins.
      const gen = ++generation;
      await halt();
      if (gen !== generation) return;
      backoff.reset();
      await attempt(gen);
    },
    async stop(final: 'stopped' | 'disabled' = 'stopped') {
      const gen = ++generation;
      await halt();
      if (gen === generation) set(final);
    },
  });
  Object.defineProperty(api, 'pid', { get: () => conn?.pid, enumerable: true });
  Object.defineProperty(api, 'connection', { get: () => conn, enumerable: true });
  return api as unknown as SupervisedUpstream;
}
