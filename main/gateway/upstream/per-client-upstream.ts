import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../../common/clock.js';
import type { PrepareResult, SupervisedUpstream } from './supervised-upstream.js';
import type { ServerRequestHandler } from './server-requests.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type CallOptions,
  type JsonRpcNotification,
  type RawObject,
  type UpstreamEvents,
  type UpstreamSpec,
  type UpstreamState,
} from './types.js';

/** Placeholder in a per-client server's args, env and cwd: a short id of the client. */
const CLIENT_PLACEHOLDER = '${client}';
/** What `${client}` stands for in the process that serves the lists (it never runs a call). */
export const LISTS_CLIENT_ID = 'lists';

/**
 * A client key as a short, file-name-safe id: a grant id or a client's name never appears in a path
 * or a process's arguments, and the same client gets the same id after a restart.
 */
export function clientIdOf(clientKey: string): string {
  return createHash('sha256').update(clientKey).digest('hex').slice(0, 16);
}

/** The spec with `${client}` replaced in args, env values and cwd (secrets are already resolved). */
function specForClient(spec: UpstreamSpec, clientId: string): UpstreamSpec {
  const config = spec.config;
  if (!('command' in config)) return spec;
  const sub = (v: string): string => v.split(CLIENT_PLACEHOLDER).join(clientId);
  return {
    ...spec,
    config: {
      ...config,
      ...(config.args ? { args: config.args.map(sub) } : {}),
      ...(config.env
        ? { env: Object.fromEntries(Object.entries(config.env).map(([k, v]) => [k, sub(v)])) }
        : {}),
      ...(config.cwd !== undefined ? { cwd: sub(config.cwd) } : {}),
    },
  };
}

/**
 * A prepare step whose spec is made for one client (see specForClient), and whose log lines name
 * that client: every process of the server writes to the server's one log.
 */
export function prepareForClient(
  prepare: () => Promise<PrepareResult>,
  clientId: string,
  clientName?: string,
): () => Promise<PrepareResult> {
  const client = clientLabel(clientId, clientName);
  return async () => {
    const r = await prepare();
    if (!('spec' in r)) return r;
    const log = r.deps.log;
    return {
      spec: specForClient(r.spec, clientId),
      deps: { ...r.deps, ...(log ? { log: (entry) => log({ ...entry, client }) } : {}) },
    };
  };
}

/** "Claude Desktop (3f2a…)": the name the client gave and the id its files carry; "lists" alone. */
function clientLabel(clientId: string, clientName: string | undefined): string {
  if (clientId === LISTS_CLIENT_ID) return LISTS_CLIENT_ID;
  return clientName ? `${clientName} (${clientId})` : clientId;
}

export interface PerClientOptions {
  name: string;
  /** Serves the lists, the state shown to the user and requests made for no client (log level). */
  base: SupervisedUpstream;
  /** A new, not yet started, supervised process for one client (its name for the server's log). */
  instance(clientId: string, clientName: string | undefined): SupervisedUpstream;
  maxProcesses: number;
  idleMs: number;
  clock: Clock;
}

interface Instance {
  readonly key: string;
  readonly clientId: string;
  readonly upstream: SupervisedUpstream;
  /** Resolves once the process is ready or has failed (supervised restart()). */
  readonly started: Promise<void>;
  inFlight: number;
  idleTimer: unknown;
  /** Why the process could not start (it no longer holds a slot). */
  failure?: UpstreamError;
}

/** What a client process looks like from outside (tests, diagnostics). */
export interface ClientProcess {
  clientId: string;
  pid: number | undefined;
  status: UpstreamState['status'];
  inFlight: number;
}

/**
 * `isolation: "per-client"`: one process per client for a stdio server that keeps per-user state.
 * The base process serves the merged lists (so the tool list is the same as a shared server's) and
 * never runs a client's call; each call goes to its client's own process, started on the client's
 * first call, bounded by maxProcesses (the next client is told so) and stopped after idleMs unused.
 */
export class PerClientUpstream extends EventEmitter<UpstreamEvents> implements SupervisedUpstream {
  readonly name: string;
  private readonly instances = new Map<string, Instance>();
  private handler: ServerRequestHandler | undefined;
  /** The log level last asked for: every process logs at it, including ones started later. */
  private logLevel: string | undefined;
  private stopped = false;

  constructor(private readonly opts: PerClientOptions) {
    super();
    this.name = opts.name;
    const { base } = opts;
    base.on('state', (s: UpstreamState) => this.emit('state', s));
    base.on('list-changed', (k) => this.emit('list-changed', k));
    base.on('notification', (n: JsonRpcNotification) => this.emit('notification', n));
  }

  get pid(): number | undefined {
    return this.opts.base.pid;
  }
  get connection(): SupervisedUpstream['connection'] {
    return this.opts.base.connection;
  }
  state(): UpstreamState {
    return this.opts.base.state();
  }
  logs(): string[] {
    return this.opts.base.logs();
  }
  tools(): readonly RawObject[] {
    return this.opts.base.tools();
  }
  prompts(): readonly RawObject[] {
    return this.opts.base.prompts();
  }
  resources(): readonly RawObject[] {
    return this.opts.base.resources();
  }
  resourceTemplates(): readonly RawObject[] {
    return this.opts.base.resourceTemplates();
  }

  /** The client processes running now. */
  clients(): ClientProcess[] {
    return [...this.instances.values()].map((i) => ({
      clientId: i.clientId,
      pid: i.upstream.pid,
      status: i.upstream.state().status,
      inFlight: i.inFlight,
    }));
  }

  async request(method: string, params: RawObject | undefined, options?: CallOptions): Promise<RawObject> {
    const key = options?.clientKey;
    const { base } = this.opts;
    if (key === undefined || base.state().status !== 'ready') {
      if (method === 'logging/setLevel' && typeof params?.['level'] === 'string') {
        this.logLevel = params['level'];
        for (const i of this.instances.values()) void this.applyLevel(i.upstream);
      }
      return base.request(method, params, options);
    }
    const inst = this.acquire(key, options?.clientName);
    inst.inFlight++;
    if (inst.idleTimer !== undefined) this.opts.clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = undefined;
    try {
      await inst.started;
      if (inst.failure !== undefined) throw inst.failure;
      return await inst.upstream.request(method, params, options);
    } finally {
      inst.inFlight--;
      this.release(inst);
    }
  }

  async notify(method: string, params?: RawObject): Promise<void> {
    // roots/list_changed and the like concern whoever is connected: every process hears it.
    for (const i of this.instances.values())
      if (i.upstream.state().status === 'ready') void i.upstream.notify(method, params).catch(() => {});
    await this.opts.base.notify(method, params);
  }

  setServerRequestHandler(h: ServerRequestHandler | undefined): void {
    this.handler = h;
    this.opts.base.setServerRequestHandler(h);
    for (const i of this.instances.values()) i.upstream.setServerRequestHandler(h);
  }

  async restart(): Promise<void> {
    this.stopped = false;
    await Promise.all([this.stopClients(), this.opts.base.restart()]);
  }

  async stop(status?: 'stopped' | 'disabled'): Promise<void> {
    this.stopped = true;
    await Promise.all([this.stopClients(), this.opts.base.stop(status)]);
  }

  private acquire(key: string, clientName: string | undefined): Instance {
    const found = this.instances.get(key);
    if (found !== undefined) return found;
    const { maxProcesses, name } = this.opts;
    if (this.instances.size >= maxProcesses)
      throw new UpstreamError(
        UPSTREAM_ERROR.unavailable,
        `Server '${name}' runs one process per client (isolation "per-client"), and all ${maxProcesses} are in use by other clients (mcpServers.${name}.perClient.maxProcesses). Try again once one has been idle for ${Math.round(this.opts.idleMs / 1000)} s, or ask the owner to raise the limit.`,
      );
    const clientId = clientIdOf(key);
    const upstream = this.opts.instance(clientId, clientName);
    upstream.setServerRequestHandler(this.handler);
    // The owner still sees a process's stray log lines in the activity log (the router sends
    // unattributed messages nowhere else); its resource updates have no subscriber here.
    upstream.on('notification', (n: JsonRpcNotification) => {
      if (n.method === 'notifications/message') this.emit('notification', n);
    });
    const started = upstream.restart().then(async () => {
      const st = upstream.state();
      // A process that cannot start must not hold a slot: the next call tries afresh.
      if (st.status === 'failed' || st.status === 'misconfigured') {
        inst.failure = new UpstreamError(
          UPSTREAM_ERROR.unavailable,
          `Server '${this.name}' could not start a process for this client (isolation "per-client"): ${st.error ?? st.status}`,
        );
        void this.drop(inst);
      } else await this.applyLevel(upstream);
    });
    const inst: Instance = { key, clientId, upstream, started, inFlight: 0, idleTimer: undefined };
    this.instances.set(key, inst);
    return inst;
  }

  /** After a call: an unused process is stopped once idleMs passes without another call. */
  private release(inst: Instance): void {
    if (inst.inFlight > 0 || this.instances.get(inst.key) !== inst || this.stopped) return;
    inst.idleTimer = this.opts.clock.setTimeout(() => {
      inst.idleTimer = undefined;
      if (inst.inFlight === 0) this.drop(inst);
    }, this.opts.idleMs);
  }

  private drop(inst: Instance): Promise<void> {
    if (this.instances.get(inst.key) === inst) this.instances.delete(inst.key);
    if (inst.idleTimer !== undefined) this.opts.clock.clearTimeout(inst.idleTimer);
    inst.idleTimer = undefined;
    const done = inst.upstream.stop();
    inst.upstream.removeAllListeners();
    inst.upstream.setServerRequestHandler(undefined);
    return done;
  }

  private async stopClients(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => this.drop(i)));
  }

  private async applyLevel(upstream: SupervisedUpstream): Promise<void> {
    const st = upstream.state();
    if (this.logLevel === undefined || st.status !== 'ready' || st.capabilities?.['logging'] === undefined)
      return;
    await upstream.request('logging/setLevel', { level: this.logLevel }).catch(() => {});
  }
}
