import { EventEmitter } from 'node:events';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { UpstreamError } from '../../main/gateway/upstream/types.js';
import { waitUntil } from './wait.js';
import type {
  CallOptions,
  JsonRpcNotification,
  JsonRpcRequest,
  RawObject,
  ServerRequestContext,
  Upstream,
  UpstreamEvents,
  UpstreamListKind,
  UpstreamState,
} from '../../main/gateway/upstream/types.js';

type Handler = (req: JsonRpcRequest, ctx: ServerRequestContext) => Promise<RawObject>;
interface Pending {
  resolve(r: RawObject): void;
  reject(e: Error): void;
  options?: CallOptions;
  progressToken?: unknown;
}

/**
 * An in-process Upstream for unit tests: a real SDK McpServer behind an InMemoryTransport, spoken to
 * in raw JSON-RPC (never re-parsed), with id and progress-token rewriting like the real connection.
 * `crash()` mimics a dying process: calls in flight fail, the state goes to 'restarting'.
 */
export class FakeUpstream extends EventEmitter<UpstreamEvents> implements Upstream {
  private transport?: InMemoryTransport;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private st: UpstreamState;
  private handler?: Handler;
  private lists = {
    tools: [] as RawObject[],
    prompts: [] as RawObject[],
    resources: [] as RawObject[],
    resourceTemplates: [] as RawObject[],
  };
  /** Every message that came from the server, raw. */
  readonly received: RawObject[] = [];
  /** Every message sent to the server, raw. */
  readonly sent: RawObject[] = [];

  constructor(
    readonly name: string,
    private readonly build: () => McpServer,
  ) {
    super();
    this.st = { name, transport: 'builtin', status: 'starting', since: Date.now(), restarts: 0 };
  }

  state(): UpstreamState {
    return this.st;
  }

  private setState(patch: Partial<UpstreamState>): void {
    this.st = { ...this.st, ...patch, since: Date.now() };
    this.emit('state', this.st);
  }

  async start(): Promise<this> {
    const [client, server] = InMemoryTransport.createLinkedPair();
    this.transport = client;
    client.onmessage = (m) => this.onMessage(m as unknown as RawObject);
    await this.build().connect(server);
    await client.start();
    const init = await this.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
      clientInfo: { name: 'tunnelgate-test', version: '0' },
    });
    await this.notify('notifications/initialized');
    const caps = (init['capabilities'] ?? {}) as RawObject;
    this.st = {
      ...this.st,
      protocolVersion: String(init['protocolVersion']),
      serverInfo: init['serverInfo'] as RawObject,
      capabilities: caps,
      instructions: init['instructions'] as string | undefined,
    };
    await this.refresh();
    this.setState({ status: 'ready' });
    return this;
  }

  private async refresh(): Promise<void> {
    const caps = this.st.capabilities ?? {};
    if (caps['tools']) this.lists.tools = (await this.request('tools/list', {}))['tools'] as RawObject[];
    if (caps['prompts'])
      this.lists.prompts = (await this.request('prompts/list', {}))['prompts'] as RawObject[];
    if (caps['resources']) {
      this.lists.resources = (await this.request('resources/list', {}))['resources'] as RawObject[];
      this.lists.resourceTemplates = (await this.request('resources/templates/list', {}))[
        'resourceTemplates'
      ] as RawObject[];
    }
  }

  /** Simulates the process dying: in-flight calls fail at once, state goes to restarting. */
  crash(): void {
    for (const p of this.pending.values())
      p.reject(new UpstreamError(-32000, `Upstream '${this.name}' exited while the call was in flight`));
    this.pending.clear();
    void this.transport?.close();
    this.setState({
      status: 'restarting',
      nextRetryAt: Date.now() + 4000,
      error: 'process exited with code 1',
    });
  }

  /**
   * Resolves once a `method` request went to the server after the first `since` messages of `sent`:
   * a call is then in flight (instead of a sleep that assumed it was).
   */
  async requested(method: string, since: number): Promise<void> {
    await waitUntil(
      () => this.sent.slice(since).some((m) => m['method'] === method),
      `${method} sent to ${this.name}`,
    );
  }

  private send(m: RawObject): void {
    this.sent.push(m);
    void this.transport!.send(m as unknown as JSONRPCMessage);
  }

  request(method: string, params: RawObject | undefined, options?: CallOptions): Promise<RawObject> {
    if (this.st.status !== 'ready' && method !== 'initialize' && !method.endsWith('/list')) {
      return Promise.reject(new UpstreamError(-32003, `Upstream '${this.name}' is ${this.st.status}`));
    }
    const id = ++this.seq;
    let sent = params;
    const meta = params?.['_meta'] as RawObject | undefined;
    const progressToken = meta?.['progressToken'];
    if (progressToken !== undefined)
      sent = { ...params, _meta: { ...meta, progressToken: `${this.name}-p${id}` } };
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(timer);
        if (options?.timeoutMs !== undefined)
          timer = setTimeout(
            () =>
              done(
                new UpstreamError(-32001, `Upstream '${this.name}' timed out after ${options.timeoutMs} ms`),
              ),
            options.timeoutMs,
          );
      };
      const onAbort = (): void => {
        this.send({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: id, reason: 'cancelled by the client' },
        });
        done(new UpstreamError(-32800, 'Request cancelled'));
      };
      const done = (err: Error | undefined, result?: RawObject): void => {
        clearTimeout(timer);
        options?.signal?.removeEventListener('abort', onAbort);
        if (!this.pending.delete(id)) return;
        if (err !== undefined) reject(err);
        else resolve(result!);
      };
      this.pending.set(id, {
        resolve: (r) => done(undefined, r),
        reject: (e) => done(e),
        options: {
          ...options,
          onProgress:
            options?.onProgress &&
            ((p) => {
              arm();
              options.onProgress!(p);
            }),
        },
        progressToken,
      });
      options?.signal?.addEventListener('abort', onAbort, { once: true });
      arm();
      this.send({ jsonrpc: '2.0', id, method, ...(sent === undefined ? {} : { params: sent }) });
    });
  }

  async notify(method: string, params?: RawObject): Promise<void> {
    this.send({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
  }

  tools(): readonly RawObject[] {
    return this.lists.tools;
  }
  prompts(): readonly RawObject[] {
    return this.lists.prompts;
  }
  resources(): readonly RawObject[] {
    return this.lists.resources;
  }
  resourceTemplates(): readonly RawObject[] {
    return this.lists.resourceTemplates;
  }
  setServerRequestHandler(handler: Handler | undefined): void {
    this.handler = handler;
  }

  private onMessage(m: RawObject): void {
    this.received.push(m);
    const id = m['id'];
    const method = m['method'];
    if (typeof method !== 'string') {
      const p = this.pending.get(id as number);
      if (p === undefined) return;
      if (m['error'] !== undefined) {
        const e = m['error'] as RawObject;
        p.reject(new UpstreamError(Number(e['code']), String(e['message']), e['data']));
      } else p.resolve(m['result'] as RawObject);
      return;
    }
    const params = m['params'] as RawObject | undefined;
    if (id !== undefined) {
      // Server-to-client request: relate it to the call in flight (the only one, or the newest).
      const keys = [...this.pending.values()]
        .map((p) => p.options?.callKey)
        .filter((k): k is string => k !== undefined);
      const ctx: ServerRequestContext = { upstream: this.name, callKey: keys[keys.length - 1] };
      const h = this.handler;
      const reply =
        h === undefined
          ? Promise.reject(new UpstreamError(-32601, 'no handler'))
          : h({ jsonrpc: '2.0', id: id as number, method, params }, ctx);
      reply.then(
        (result) => this.send({ jsonrpc: '2.0', id, result }),
        (err: unknown) =>
          this.send({
            jsonrpc: '2.0',
            id,
            error: {
              code: err instanceof UpstreamError ? err.code : -32603,
              message: err instanceof Error ? err.message : String(err),
            },
          }),
      );
      return;
    }
    if (method === 'notifications/progress') {
      const token = String(params?.['progressToken']);
      const callId = Number(token.slice(token.lastIndexOf('-p') + 2));
      const p = this.pending.get(callId);
      if (p !== undefined && token === `${this.name}-p${callId}`)
        p.options?.onProgress?.({ ...params, progressToken: p.progressToken });
      return;
    }
    const kind = /^notifications\/(tools|prompts|resources)\/list_changed$/.exec(method)?.[1] as
      UpstreamListKind | undefined;
    if (kind !== undefined) {
      void this.refresh().then(() => this.emit('list-changed', kind));
      return;
    }
    const note = { jsonrpc: '2.0', method, params } satisfies JsonRpcNotification;
    // Like a stdio connection: a notification made while exactly one call is in flight is that call's.
    const only = this.pending.size === 1 ? [...this.pending.values()][0] : undefined;
    if (method !== 'notifications/resources/updated' && only?.options?.onNotification) {
      only.options.onNotification(note);
      return;
    }
    this.emit('notification', note);
  }
}

/** A minimal stand-in for the upstream manager: list() plus the 'added'/'removed' events. */
export class FakeUpstreamSource extends EventEmitter {
  private readonly ups = new Map<string, Upstream>();
  list(): readonly Upstream[] {
    return [...this.ups.values()];
  }
  add(u: Upstream): void {
    this.ups.set(u.name, u);
    this.emit('added', u);
  }
  remove(name: string): void {
    this.ups.delete(name);
    this.emit('removed', name);
  }
}
