import { EventEmitter } from 'node:events';
import { kindsOf, ListCache, type ListKind } from './list-cache.js';
import { startHealthCheck } from './health-check.js';
import { PendingCalls } from './pending-calls.js';
import { sendCall } from './send-call.js';
import { createTransport, createModernTransport } from './create-transport.js';
import { describeFailure, isPermanent, StartError } from './messages.js';
import type { ServerRequestHandler } from './server-requests.js';
import { routeInbound, type InboundContext } from './inbound.js';
import {
  EraCache,
  initializeParams,
  readInitializeResult,
  withEnvelope,
  type InitInfo,
  type UpstreamDeps,
} from './handshake.js';
import { answerInputRequests, probeModern, listenFilter, ModernListen } from './modern-channel.js';
import { logMessageEntry } from './server-log.js';
import { configuredValues, makeRedactor, type WireTransport } from './wire-transport.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type CallOptions,
  type JsonRpcId,
  type JsonRpcNotification,
  type ProtocolEra,
  type RawObject,
  type UpstreamConnection,
  type UpstreamSpec,
  type UpstreamState,
  type UpstreamStatus,
} from './types.js';

export { RELAY_CAPABILITIES, type UpstreamDeps } from './handshake.js';

const DEFAULT_CALL_TIMEOUT_MS = 120_000;
/** Prefix of the progress tokens we give upstreams (each connection counts from 1). */
const PROGRESS_PREFIX = 'tg-';

/** Events of one connection, typed for listeners. */
export interface ConnectionEvents {
  state: [UpstreamState];
  'list-changed': [string];
  notification: [JsonRpcNotification];
}

type SendOptions = CallOptions & { internal?: boolean; channel?: ProtocolEra };

/**
 * One initialized raw JSON-RPC connection to one upstream (not supervised: see supervised-upstream.ts).
 * Objects are forwarded as received; we own id correlation, progress tokens, timeouts and cancellation.
 *
 * Eras: a Streamable HTTP upstream is first asked `server/discover` (2026-07-28 Lifecycle; the answer
 * is cached per address). One that offers 2026-07-28 gets a stateless link for 2026-era clients (the
 * per-request `_meta` carries each client's capabilities, info and log level; its lists are fetched in
 * that revision; `subscriptions/listen` tells us when they change), and keeps a session (initialize)
 * for session-era clients where it still speaks that era, so each client sees what the upstream shows
 * its own era. Every other upstream is spoken to over a session only.
 */
class Connection extends EventEmitter<ConnectionEvents> implements UpstreamConnection {
  readonly name: string;
  private readonly calls = new PendingCalls(PROGRESS_PREFIX);
  private readonly serverAborts = new Map<JsonRpcId, AbortController>();
  private handler: ServerRequestHandler | undefined;
  private status: UpstreamStatus = 'stopped';
  private error: string | undefined;
  private since = Date.now();
  private info: InitInfo = {};
  /** The session-era link (initialize + session); absent for an upstream that speaks only 2026-07-28. */
  private transport: WireTransport | undefined;
  /** The 2026-07-28 link, when the upstream's server/discover offered that revision. */
  private modern: WireTransport | undefined;
  private modernInfo: InitInfo | undefined;
  private listen: ModernListen | undefined;
  /** The link of this connection, kept after it dies so its stderr can still be shown. */
  private lastTransport: WireTransport | undefined;
  private started = false;
  /** A permanent problem a transport reported while sending (e.g. HTTP 401 with no sign-in possible). */
  private startBlocker: StartError | undefined;
  private readonly redactLog: (text: string) => string;
  private readonly startTimeoutMs: number;
  /** Lists as a session-era client sees them, and as a 2026-era client does (2026-07-28 upstreams). */
  private readonly lists: ListCache;
  private readonly modernLists: ListCache;
  private readonly eras: EraCache;
  private readonly eraKey: string;
  private lastHeard = Date.now();
  private healthTimer: NodeJS.Timeout | undefined;
  /** Given to every call (one function, not one per call). */
  private readonly noteStartBlocker = (err: StartError): void => void (this.startBlocker = err);

  constructor(
    private readonly spec: UpstreamSpec,
    private readonly deps: UpstreamDeps = {},
  ) {
    super();
    this.name = spec.name;
    // Log messages may echo what the server was configured with (env values, header values).
    this.redactLog = makeRedactor(configuredValues(spec.config));
    this.startTimeoutMs = deps.startTimeoutMs ?? 30_000;
    // List fetches are ours, not a client's: bounded by the start timeout, not the call timeout.
    this.lists = new ListCache((method, params) =>
      this.send(method, params, { internal: true, timeoutMs: this.startTimeoutMs, channel: 'session' }),
    );
    this.modernLists = new ListCache((method, params) =>
      this.send(method, withEnvelope(params, undefined, this.deps), {
        internal: true,
        timeoutMs: this.startTimeoutMs,
        channel: 'modern',
      }),
    );
    this.eras = deps.eraCache ?? new EraCache();
    this.eraKey = EraCache.keyOf(spec.kind, spec.config);
  }

  /** Process id of a stdio upstream while it runs. */
  get pid(): number | undefined {
    return this.transport?.pid;
  }

  state(): UpstreamState {
    const { status, error, since, name } = this;
    // A 2026-07-28 upstream shows that revision; its capabilities are the session's when it has one.
    const info: InitInfo = this.modernInfo
      ? { ...this.modernInfo, ...(this.transport ? { capabilities: this.info.capabilities } : {}) }
      : this.info;
    return {
      name,
      transport: this.spec.kind,
      status,
      ...(error ? { error } : {}),
      since,
      restarts: 0,
      ...info,
    };
  }

  /**
   * Raw `result` as the upstream sent it. A 2026-era caller's request goes natively to a 2026-07-28
   * upstream (its `input_required` results included); a session-era caller's to the session, or, on an
   * upstream without one, in 2026-07-28 with the input rounds answered on the caller's behalf.
   */
  request(method: string, params: RawObject | undefined, options: CallOptions = {}): Promise<RawObject> {
    const era = options.client?.era ?? 'session';
    const channel = this.channelFor(era);
    // Not an async function: its promise would be resolved with send()'s, a thenable, which costs
    // two more microtask turns and a promise on each answer's way back to its client (issue 16).
    if (channel === 'session') return this.send(method, params, options);
    return this.requestModern(method, params, options, era, channel);
  }

  private async requestModern(
    method: string,
    params: RawObject | undefined,
    options: CallOptions,
    era: ProtocolEra,
    channel: ProtocolEra,
  ): Promise<RawObject> {
    const envelope = {
      ...(options.client?.info ? { clientInfo: options.client.info } : {}),
      ...(options.client?.capabilities ? { clientCapabilities: options.client.capabilities } : {}),
      ...(options.client?.logLevel ? { logLevel: options.client.logLevel } : {}),
    };
    const call = (p: RawObject | undefined) =>
      this.send(method, withEnvelope(p, envelope, this.deps), { ...options, channel });
    if (era === 'modern') return await call(params);
    return answerInputRequests(call, params, {
      name: this.name,
      method,
      handler: this.handler,
      callKey: options.callKey,
      signal: options.signal,
    });
  }

  async notify(method: string, params?: RawObject): Promise<void> {
    // 2026-07-28 has no client notifications but cancellation, which closing the call's stream says.
    const t = this.transport;
    if (!t || this.status !== 'ready') {
      if (this.modern && this.status === 'ready') return;
      throw new UpstreamError(
        UPSTREAM_ERROR.unavailable,
        `Upstream '${this.name}' is not available (status: ${this.status}).`,
      );
    }
    await t.send(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  logs(): string[] {
    return this.lastTransport?.stderrLines?.() ?? [];
  }
  tools(era?: ProtocolEra): readonly RawObject[] {
    return this.listsFor(era).get('tools');
  }
  prompts(era?: ProtocolEra): readonly RawObject[] {
    return this.listsFor(era).get('prompts');
  }
  resources(era?: ProtocolEra): readonly RawObject[] {
    return this.listsFor(era).get('resources');
  }
  resourceTemplates(era?: ProtocolEra): readonly RawObject[] {
    return this.listsFor(era).get('resourceTemplates');
  }
  setServerRequestHandler(h: ServerRequestHandler | undefined): void {
    this.handler = h;
  }

  async start(): Promise<void> {
    if (this.started)
      throw new Error(`Upstream '${this.name}' was already started; create a new connection to restart it.`);
    this.started = true;
    this.setStatus('starting');
    try {
      await this.startModern();
      // The probe already met a 401 the user must resolve: asking initialize would only repeat it.
      if ((this.status as UpstreamStatus) === 'needs-auth') throw new Error(this.error);
      // A probe that could not reach the server took its link down: not a server without the new
      // era. Going on, a session could get through to a server that came up meanwhile, and the
      // upstream showed 'ready' on this connection already marked failed (every call failed).
      this.stillStarting();
      const session = this.openSession();
      await session.start();
      if (this.modern === undefined) await this.initialize();
      else await this.initializeIfSpoken();
      if (this.transport !== undefined) await this.fetchLists();
      if (this.modern !== undefined) await this.fetchModernLists();
      this.stillStarting();
    } catch (err) {
      const wasNeedsAuth = (this.status as UpstreamStatus) === 'needs-auth';
      const message = this.startBlocker?.message ?? describeFailure(this.name, err, this.error);
      const links = [this.transport, this.modern];
      this.transport = undefined;
      this.modern = undefined;
      await Promise.all(links.map((l) => l?.close().catch(() => {})));
      // Asked again next time: the answer may have been what broke the start.
      this.eras.forget(this.eraKey);
      if (!wasNeedsAuth && (this.status as UpstreamStatus) !== 'stopped') this.setStatus('failed', message);
      throw wasNeedsAuth
        ? new UpstreamError(UPSTREAM_ERROR.needsAuth, this.error ?? message)
        : new StartError(message, isPermanent(err) || this.startBlocker !== undefined);
    }
    // The session era worked for an upstream that offered nothing newer: remember not to ask again.
    if (this.modern === undefined && this.deps.discover !== false && this.spec.kind === 'http')
      this.eras.set(this.eraKey, false);
    this.finishStart();
  }

  /** A link died while the start was under way (onTransportClose marked it): the start fails. */
  private stillStarting(): void {
    if ((this.status as UpstreamStatus) !== 'starting')
      throw new Error(
        this.error ??
          `Upstream '${this.name}' ${this.status === 'stopped' ? 'was stopped' : 'lost its connection'} while starting`,
      );
  }

  async close(): Promise<void> {
    clearInterval(this.healthTimer);
    this.listen?.stop();
    const t = this.transport;
    const m = this.modern;
    this.transport = undefined;
    this.modern = undefined;
    if (this.status !== 'stopped') this.setStatus('stopped');
    this.calls.rejectAll(
      (c) =>
        new UpstreamError(
          UPSTREAM_ERROR.connectionClosed,
          `Upstream '${this.name}' was stopped while ${c.method} was in flight.`,
        ),
    );
    for (const a of this.serverAborts.values()) a.abort(new Error(`Upstream '${this.name}' was stopped`));
    this.serverAborts.clear();
    this.lists.clear();
    this.modernLists.clear();
    await Promise.all([t?.close(), m?.close()]);
  }

  private channelFor(era: ProtocolEra): ProtocolEra {
    if (era === 'modern') return this.modern ? 'modern' : 'session';
    return this.transport || !this.modern ? 'session' : 'modern';
  }

  private listsFor(era: ProtocolEra | undefined): ListCache {
    return this.channelFor(era ?? 'session') === 'modern' ? this.modernLists : this.lists;
  }

  private setStatus(next: UpstreamStatus, err?: string): void {
    if (this.status === next && this.error === err) return;
    this.status = next;
    this.error = err;
    this.since = Date.now();
    this.emit('state', this.state());
  }

  private finishStart(): void {
    if ((this.status as UpstreamStatus) !== 'starting') return;
    this.setStatus('ready');
    this.startHealthCheck();
    if (this.modern !== undefined && this.modernInfo !== undefined) {
      const filter = listenFilter(this.modernInfo.capabilities ?? {});
      if (filter !== undefined)
        this.listen = new ModernListen({
          open: () =>
            this.send('subscriptions/listen', withEnvelope({ notifications: filter }, undefined, this.deps), {
              internal: true,
              timeoutMs: Infinity,
              channel: 'modern',
            }),
          // A reopened stream may have missed changes: fetch the lists again.
          reopened: () => void this.refreshLists(['tools', 'prompts', 'resources', 'resourceTemplates']),
          live: () => this.status === 'ready' && this.modern !== undefined,
        });
    }
  }

  /** Asks `server/discover` (once per address: see EraCache); keeps the stateless link if it says 2026. */
  private async startModern(): Promise<void> {
    if (this.spec.kind !== 'http' || this.deps.discover === false) return;
    const known = this.eras.get(this.eraKey);
    if (known === false) return;
    const link = this.wire(createModernTransport(this.spec, this.deps));
    this.modern = link;
    await link.start();
    const info =
      known ??
      (await probeModern((p) =>
        this.send('server/discover', withEnvelope(p, undefined, this.deps), {
          internal: true,
          timeoutMs: this.startTimeoutMs,
          channel: 'modern',
        }),
      ));
    if (info === undefined) {
      this.modern = undefined;
      await link.close().catch(() => {});
      return;
    }
    this.modernInfo = info;
    this.eras.set(this.eraKey, info);
  }

  private openSession(): WireTransport {
    const t = this.wire(createTransport(this.spec, this.deps));
    t.onreinitialized = (result) => {
      this.info = readInitializeResult(this.name, result);
      void this.fetchLists().then(
        () => ['tools', 'prompts', 'resources'].forEach((k) => this.emit('list-changed', k)),
        () => {},
      );
    };
    this.transport = t;
    this.lastTransport = t;
    return t;
  }

  /** Hooks one link's events to this connection. */
  private wire(t: WireTransport): WireTransport {
    const inbound = this.inboundContext(t);
    t.onmessage = (msg, origin) => {
      this.lastHeard = Date.now();
      routeInbound(msg, origin, inbound);
    };
    t.onclose = (reason, detail) => {
      if (t === this.transport || t === this.modern) this.onTransportClose(reason, detail);
    };
    t.onrequestlost = (id, reason) =>
      this.calls
        .take(id)
        ?.reject(new UpstreamError(UPSTREAM_ERROR.connectionClosed, `Upstream '${this.name}': ${reason}`));
    t.onneedsauth = (reason) => {
      this.calls.rejectAll(
        (c) =>
          new UpstreamError(
            UPSTREAM_ERROR.needsAuth,
            `Upstream '${this.name}' needs you to sign in (${reason}); ${c.method} could not be sent. Sign in from the Servers page.`,
          ),
      );
      this.setStatus('needs-auth', `Upstream '${this.name}' needs you to sign in: ${reason}`);
    };
    return t;
  }

  private send(method: string, params: RawObject | undefined, opts: SendOptions): Promise<RawObject> {
    const t = opts.channel === 'modern' ? this.modern : this.transport;
    const { name } = this;
    if (!t || (!opts.internal && this.status !== 'ready')) {
      const why =
        this.status === 'ready'
          ? 'not connected'
          : `status: ${this.status}${this.error ? `; ${this.error}` : ''}`;
      return Promise.reject(
        new UpstreamError(
          UPSTREAM_ERROR.unavailable,
          `Upstream '${name}' is not available (${why}). Its tools are unavailable until it is back.`,
        ),
      );
    }
    return sendCall({
      name,
      link: t,
      calls: this.calls,
      method,
      params,
      opts,
      timeoutMs:
        opts.timeoutMs ?? this.spec.config.timeoutMs ?? this.deps.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      stateless: opts.channel === 'modern',
      onStartError: this.noteStartBlocker,
    });
  }

  private startHealthCheck(): void {
    const every = this.deps.healthCheckMs ?? (this.spec.kind === 'http' ? 30_000 : 0);
    this.healthTimer = startHealthCheck({
      every,
      quietFor: () => Date.now() - this.lastHeard,
      ready: () => this.status === 'ready',
      // 2026-07-28 removed ping; server/discover is the cheapest request it has.
      probe: (waitMs) =>
        this.transport
          ? this.send('ping', undefined, { internal: true, timeoutMs: waitMs, channel: 'session' })
          : this.send('server/discover', withEnvelope(undefined, undefined, this.deps), {
              internal: true,
              timeoutMs: waitMs,
              channel: 'modern',
            }),
      silent: (waitMs) => {
        const t = this.transport ?? this.modern;
        if (!t) return;
        this.onTransportClose(`did not answer a health-check ping within ${waitMs} ms`);
        void t.close().catch(() => {});
      },
    });
  }

  /** How what link `from` receives is routed: made once per link, not per message (issue 16). */
  private inboundContext(from: WireTransport): InboundContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handler is read when a request comes
    const self = this;
    return {
      name: this.name,
      byOrigin: this.spec.kind === 'http',
      calls: this.calls,
      serverAborts: this.serverAborts,
      get handler() {
        return self.handler;
      },
      progressPrefix: PROGRESS_PREFIX,
      log: (params) => this.deps.log?.(logMessageEntry(params, this.redactLog)),
      listChanged: (kinds) => void this.refreshLists(kinds),
      unrelated: (n) => this.emit('notification', n),
      reply: (m) => from.send(m),
    };
  }

  private async refreshLists(kinds: ListKind[]): Promise<void> {
    try {
      const caches = [this.transport ? this.lists : undefined, this.modern ? this.modernLists : undefined];
      await Promise.all(caches.flatMap((c) => (c === undefined ? [] : kinds.map((k) => c.refresh(k)))));
      this.emit('list-changed', kinds[0] === 'resourceTemplates' ? 'resources' : kinds[0]!);
    } catch {
      // A failed refetch keeps the previous list; the next list_changed tries again.
    }
  }

  private onTransportClose(reason: string, detail?: string): void {
    clearInterval(this.healthTimer);
    this.listen?.stop();
    const text = `Upstream '${this.name}' ${reason}`;
    const tail = detail ? `: ${detail.replace(/\.+$/, '')}` : '';
    this.calls.rejectAll(
      (c) =>
        new UpstreamError(UPSTREAM_ERROR.connectionClosed, `${text} while ${c.method} was in flight${tail}.`),
    );
    for (const a of this.serverAborts.values()) a.abort(new Error(text));
    this.serverAborts.clear();
    const other = this.transport ?? this.modern;
    this.transport = undefined;
    this.modern = undefined;
    // One link of a two-link upstream died: end the other too, so a restart starts both afresh.
    void other?.close().catch(() => {});
    if (this.status !== 'stopped') this.setStatus('failed', text + tail);
  }

  /**
   * A 2026-07-28 upstream may still serve session-era clients over a session (the SDK's dual-era
   * servers do): then they keep getting exactly what the upstream shows that era. One that refuses
   * `initialize` serves them through the stateless link instead.
   */
  private async initializeIfSpoken(): Promise<void> {
    try {
      await this.initialize();
    } catch (err) {
      if ((this.status as UpstreamStatus) === 'needs-auth') throw err;
      this.startBlocker = undefined;
      const t = this.transport;
      this.transport = undefined;
      await t?.close().catch(() => {});
    }
  }

  private async initialize(): Promise<void> {
    const result = await this.send('initialize', initializeParams(this.deps), {
      internal: true,
      timeoutMs: this.startTimeoutMs,
      channel: 'session',
    });
    this.info = readInitializeResult(this.name, result);
    await this.transport?.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  private async fetchLists(): Promise<void> {
    await Promise.all(kindsOf(this.info.capabilities).map((k) => this.lists.refresh(k)));
  }

  private async fetchModernLists(): Promise<void> {
    await Promise.all(kindsOf(this.modernInfo?.capabilities).map((k) => this.modernLists.refresh(k)));
  }
}

/**
 * One initialized raw JSON-RPC connection to one upstream (not supervised: see supervised-upstream.ts).
 */
export function createUpstream(spec: UpstreamSpec, deps: UpstreamDeps = {}): UpstreamConnection {
  return new Connection(spec, deps);
}
