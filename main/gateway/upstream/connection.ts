import { EventEmitter } from 'node:events';
import { ListCache, type ListKind } from './list-cache.js';
import { PendingCalls, type PendingCall } from './pending-calls.js';
import { createTransport } from './create-transport.js';
import {
  describeFailure,
  isPermanent,
  isRequest,
  isResponse,
  errorFromResponse,
  plainError,
  StartError,
} from './messages.js';
import { handleServerRequest, type ServerRequestHandler } from './server-requests.js';
import { initializeParams, readInitializeResult, type InitInfo, type UpstreamDeps } from './handshake.js';
import { logMessageEntry } from './server-log.js';
import { makeRedactor, type WireTransport } from './wire-transport.js';
import {
  UpstreamError,
  UPSTREAM_ERROR,
  type CallOptions,
  type JsonRpcId,
  type JsonRpcNotification,
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
const LIST_KINDS: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/**
 * One initialized raw JSON-RPC connection to one upstream (not supervised: see supervised-upstream.ts).
 * Objects are forwarded as received; we own id correlation, progress tokens, timeouts and cancellation.
 */
export function createUpstream(spec: UpstreamSpec, deps: UpstreamDeps = {}): UpstreamConnection {
  const { name } = spec;
  const emitter = new EventEmitter();
  const calls = new PendingCalls(PROGRESS_PREFIX);
  const serverAborts = new Map<JsonRpcId, AbortController>();
  let handler: ServerRequestHandler | undefined;
  let status: UpstreamStatus = 'stopped';
  let error: string | undefined;
  let since = Date.now();
  let info: InitInfo = {};
  let transport: WireTransport | undefined;
  /** The transport of this connection, kept after it dies so its stderr can still be shown. */
  let lastTransport: WireTransport | undefined;
  let started = false;
  /** A permanent problem a transport reported while sending (e.g. HTTP 401 with no sign-in possible). */
  let startBlocker: StartError | undefined;
  const configTimeout = spec.config.timeoutMs;
  // Log messages may echo what the server was configured with (env values, header values).
  const redactLog = makeRedactor(configuredValues(spec.config));
  const startTimeoutMs = deps.startTimeoutMs ?? 30_000;
  // List fetches are ours, not a client's: bounded by the start timeout, not the call timeout.
  const lists = new ListCache((method, params) =>
    send(method, params, { internal: true, timeoutMs: startTimeoutMs }),
  );

  function setStatus(next: UpstreamStatus, err?: string): void {
    if (status === next && error === err) return;
    status = next;
    error = err;
    since = Date.now();
    emitter.emit('state', api.state());
  }

  function send(
    method: string,
    params: RawObject | undefined,
    opts: CallOptions & { internal?: boolean },
  ): Promise<RawObject> {
    const t = transport;
    if (!t || (!opts.internal && status !== 'ready')) {
      const why = status === 'ready' ? 'not connected' : `status: ${status}${error ? `; ${error}` : ''}`;
      return Promise.reject(
        new UpstreamError(
          UPSTREAM_ERROR.unavailable,
          `Upstream '${name}' is not available (${why}). Its tools are unavailable until it is back.`,
        ),
      );
    }
    if (opts.signal?.aborted) return Promise.reject(cancelledError(method, opts.signal.reason));
    const id = calls.allocateId();
    const mapped = calls.mapProgressToken(params);
    const timeoutMs = opts.timeoutMs ?? configTimeout ?? deps.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    return new Promise<RawObject>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () =>
        abandon(
          cancelledError(method, opts.signal?.reason),
          String(opts.signal?.reason ?? 'cancelled by the client'),
        );
      const abandon = (err: UpstreamError, reason: string) => {
        if (!calls.take(id)) return;
        // Spec: Utilities/Cancellation: tell the server it may stop; its late answer is ignored.
        // initialize is the one request that must never be cancelled.
        if (method !== 'initialize')
          transport
            ?.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } })
            .catch(() => {});
        transport?.forget?.(id);
        reject(err);
      };
      const call: PendingCall = {
        id,
        method,
        callKey: opts.callKey,
        internal: opts.internal === true,
        resolve,
        reject,
        originalToken: mapped.original,
        mappedToken: mapped.mapped,
        onProgress: opts.onProgress,
        onNotification: opts.onNotification,
        touch() {
          // refresh() re-arms the same Timeout (no new object per progress notification). Timers of
          // one duration share one list and one native timer in Node, so a timer per call is cheap.
          if (timer) timer.refresh();
          else
            timer = setTimeout(
              () =>
                abandon(
                  new UpstreamError(
                    UPSTREAM_ERROR.timeout,
                    timeoutText(method, timeoutMs, opts.internal === true),
                  ),
                  'timed out',
                ),
              timeoutMs,
            );
        },
        dispose() {
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      };
      calls.add(call);
      call.touch();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const message: RawObject = { jsonrpc: '2.0', id, method };
      if (mapped.params !== undefined) message.params = mapped.params;
      t.send(message).catch((err: unknown) => {
        if (err instanceof StartError) startBlocker = err;
        const text = plainError(err);
        const words = text.startsWith(`Upstream '${name}'`)
          ? text
          : `Could not send ${method} to upstream '${name}': ${text}`;
        if (calls.take(id)) reject(new UpstreamError(UPSTREAM_ERROR.connectionClosed, words));
      });
    });
  }

  function timeoutText(method: string, ms: number, internal: boolean): string {
    return internal
      ? `Upstream '${name}' did not answer ${method} within ${ms} ms while starting; it may be stuck or not an MCP server.`
      : `Upstream '${name}' did not answer ${method} within ${ms} ms (no progress either); the call was cancelled. Raise mcpServers.${name}.timeoutMs if it needs longer.`;
  }

  function cancelledError(method: string, reason: unknown): UpstreamError {
    const why = reason instanceof Error ? reason.message : reason === undefined ? '' : String(reason);
    return new UpstreamError(
      UPSTREAM_ERROR.cancelled,
      `The ${method} call to upstream '${name}' was cancelled${why ? ` (${why})` : ''}.`,
    );
  }

  let lastHeard = Date.now();
  let healthTimer: NodeJS.Timeout | undefined;

  function startHealthCheck(): void {
    const every = deps.healthCheckMs ?? (spec.kind === 'http' ? 30_000 : 0);
    if (every <= 0) return;
    const waitMs = Math.min(every, 10_000);
    healthTimer = setInterval(() => {
      if (status !== 'ready' || Date.now() - lastHeard < every) return;
      send('ping', undefined, { internal: true, timeoutMs: waitMs }).catch((err: unknown) => {
        // Unreachable servers are reported by the transport itself; a silent one is declared down here.
        if (!(err instanceof UpstreamError) || err.code !== UPSTREAM_ERROR.timeout || !transport) return;
        const t = transport;
        onTransportClose(`did not answer a health-check ping within ${waitMs} ms`);
        void t.close().catch(() => {});
      });
    }, every);
    healthTimer.unref();
  }

  function onMessage(msg: RawObject, origin?: JsonRpcId): void {
    lastHeard = Date.now();
    if (isResponse(msg)) {
      const call = calls.take(msg.id as JsonRpcId);
      if (!call) return; // late answer to a cancelled or timed-out call
      if ('error' in msg) call.reject(errorFromResponse(msg.error, name, call.method));
      else
        call.resolve(msg.result !== null && typeof msg.result === 'object' ? (msg.result as RawObject) : {});
      return;
    }
    if (typeof msg.method !== 'string') return;
    if (isRequest(msg)) {
      handleServerRequest({
        name,
        msg,
        // Some servers (SDK v2's requestSampling on a session) send these on the GET stream, unrelated
        // to any POST: then, as on stdio, only a call alone in flight can be named.
        callKey: (relatedCall(origin) ?? (origin === undefined ? calls.soleExternal() : undefined))?.callKey,
        handler,
        aborts: serverAborts,
        reply: (m) => transport?.send(m) ?? Promise.resolve(),
      });
      return;
    }
    const params = (msg.params ?? {}) as RawObject;
    // Every log message goes to the server's log, whichever client it is also relayed to below.
    if (msg.method === 'notifications/message') deps.log?.(logMessageEntry(params, redactLog));
    if (msg.method === 'notifications/progress') {
      const call = calls.byProgressToken(params.progressToken);
      if (call) {
        call.touch();
        call.onProgress?.({ ...params, progressToken: call.originalToken });
        return;
      }
      // Late progress for a call that already ended: our token means nothing to any client.
      if (typeof params.progressToken === 'string' && params.progressToken.startsWith(PROGRESS_PREFIX))
        return;
    } else if (msg.method === 'notifications/cancelled') {
      const id = params.requestId as JsonRpcId;
      serverAborts
        .get(id)
        ?.abort(new Error(typeof params.reason === 'string' ? params.reason : 'cancelled by the upstream'));
      serverAborts.delete(id);
      return;
    } else if (LIST_KINDS[msg.method]) {
      void refreshLists(LIST_KINDS[msg.method]!);
      return;
    } else if (msg.method !== 'notifications/resources/updated') {
      // Log messages and the like belong to the client whose call caused them, never to every client.
      const call = relatedCall(origin);
      if (call?.onNotification) {
        call.onNotification(msg as unknown as JsonRpcNotification);
        return;
      }
    }
    emitter.emit('notification', msg);
  }

  /**
   * The client call a message from the upstream belongs to. Streamable HTTP says it exactly: the
   * call whose POST response stream carried it (spec: Transports, "the server MAY send requests and
   * notifications before sending the JSON-RPC response... These messages SHOULD relate to the
   * originating client request"); a notification on the GET stream relates to no call. stdio and
   * legacy SSE carry no such link, so only a call alone in flight can be named without guessing.
   */
  function relatedCall(origin: JsonRpcId | undefined): PendingCall | undefined {
    if (origin !== undefined) {
      const call = calls.get(origin);
      return call && !call.internal ? call : undefined;
    }
    return spec.kind === 'http' ? undefined : calls.soleExternal();
  }

  async function refreshLists(kinds: ListKind[]): Promise<void> {
    try {
      await Promise.all(kinds.map((k) => lists.refresh(k)));
      emitter.emit('list-changed', kinds[0] === 'resourceTemplates' ? 'resources' : kinds[0]);
    } catch {
      // A failed refetch keeps the previous list; the next list_changed tries again.
    }
  }

  function onTransportClose(reason: string, detail?: string): void {
    clearInterval(healthTimer);
    const text = `Upstream '${name}' ${reason}`;
    const tail = detail ? `: ${detail.replace(/\.+$/, '')}` : '';
    calls.rejectAll(
      (c) =>
        new UpstreamError(UPSTREAM_ERROR.connectionClosed, `${text} while ${c.method} was in flight${tail}.`),
    );
    for (const a of serverAborts.values()) a.abort(new Error(text));
    serverAborts.clear();
    transport = undefined;
    if (status !== 'stopped') setStatus('failed', text + tail);
  }

  async function initialize(): Promise<void> {
    const result = await send('initialize', initializeParams(deps), {
      internal: true,
      timeoutMs: startTimeoutMs,
    });
    info = readInitializeResult(name, result);
    await transport?.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  async function fetchLists(): Promise<void> {
    const caps = info.capabilities ?? {};
    const kinds: ListKind[] = [];
    if (caps.tools) kinds.push('tools');
    if (caps.prompts) kinds.push('prompts');
    if (caps.resources) kinds.push('resources', 'resourceTemplates');
    await Promise.all(kinds.map((k) => lists.refresh(k)));
  }

  const api = Object.assign(emitter, {
    name,
    state(): UpstreamState {
      return { name, transport: spec.kind, status, ...(error ? { error } : {}), since, restarts: 0, ...info };
    },
    request(method: string, params: RawObject | undefined, options: CallOptions = {}) {
      return send(method, params, options);
    },
    async notify(method: string, params?: RawObject) {
      if (!transport || status !== 'ready')
        throw new UpstreamError(
          UPSTREAM_ERROR.unavailable,
          `Upstream '${name}' is not available (status: ${status}).`,
        );
      await transport.send(
        params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params },
      );
    },
    logs: () => lastTransport?.stderrLines?.() ?? [],
    tools: () => lists.get('tools'),
    prompts: () => lists.get('prompts'),
    resources: () => lists.get('resources'),
    resourceTemplates: () => lists.get('resourceTemplates'),
    setServerRequestHandler(h: ServerRequestHandler | undefined) {
      handler = h;
    },
    async start() {
      if (started)
        throw new Error(`Upstream '${name}' was already started; create a new connection to restart it.`);
      started = true;
      setStatus('starting');
      const t = createTransport(spec, deps);
      t.onmessage = onMessage;
      t.onclose = onTransportClose;
      t.onrequestlost = (id, reason) =>
        calls
          .take(id)
          ?.reject(new UpstreamError(UPSTREAM_ERROR.connectionClosed, `Upstream '${name}': ${reason}`));
      t.onneedsauth = (reason) => {
        calls.rejectAll(
          (c) =>
            new UpstreamError(
              UPSTREAM_ERROR.needsAuth,
              `Upstream '${name}' needs you to sign in (${reason}); ${c.method} could not be sent. Sign in from the Servers page.`,
            ),
        );
        setStatus('needs-auth', `Upstream '${name}' needs you to sign in: ${reason}`);
      };
      t.onreinitialized = (result) => {
        info = readInitializeResult(name, result);
        void fetchLists().then(
          () => ['tools', 'prompts', 'resources'].forEach((k) => emitter.emit('list-changed', k)),
          () => {},
        );
      };
      transport = t;
      lastTransport = t;
      try {
        await t.start();
        await initialize();
        await fetchLists();
      } catch (err) {
        const wasNeedsAuth = (status as UpstreamStatus) === 'needs-auth';
        const message = startBlocker?.message ?? describeFailure(name, err, error);
        await t.close().catch(() => {});
        transport = undefined;
        if (!wasNeedsAuth && (status as UpstreamStatus) !== 'stopped') setStatus('failed', message);
        throw wasNeedsAuth
          ? new UpstreamError(UPSTREAM_ERROR.needsAuth, error ?? message)
          : new StartError(message, isPermanent(err) || startBlocker !== undefined);
      }
      if ((status as UpstreamStatus) === 'starting') {
        setStatus('ready');
        startHealthCheck();
      }
    },
    async close() {
      clearInterval(healthTimer);
      const t = transport;
      transport = undefined;
      if (status !== 'stopped') setStatus('stopped');
      calls.rejectAll(
        (c) =>
          new UpstreamError(
            UPSTREAM_ERROR.connectionClosed,
            `Upstream '${name}' was stopped while ${c.method} was in flight.`,
          ),
      );
      for (const a of serverAborts.values()) a.abort(new Error(`Upstream '${name}' was stopped`));
      serverAborts.clear();
      lists.clear();
      await t?.close();
    },
  });
  // A getter (Object.assign would copy its value once).
  Object.defineProperty(api, 'pid', { get: () => transport?.pid, enumerable: true });
  return api as unknown as UpstreamConnection;
}

/** Values from the config that may be secret (resolved `${secret:...}` among them), for masking. */
function configuredValues(config: UpstreamSpec['config']): string[] {
  const env = Object.values((config as { env?: Record<string, unknown> }).env ?? {});
  const headers = Object.values((config as { headers?: Record<string, unknown> }).headers ?? {});
  // "Bearer <token>": the token alone may show up too.
  const tokens = headers.flatMap((v) => (typeof v === 'string' ? v.split(/\s+/).slice(1) : []));
  return [...env, ...headers, ...tokens].filter((v): v is string => typeof v === 'string');
}
