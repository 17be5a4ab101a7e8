import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/types.js';
import { UpstreamError } from '../upstream/types.js';
import type { JsonRpcId, JsonRpcRequest, RawObject } from '../upstream/types.js';
import type { RouteContext } from '../router/types.js';
import type { EraDeps } from './mcp-endpoint.js';
import { answerInternalError, headerValue, sendJson, sendRpcError } from './http-util.js';
import type { Classified } from './messages.js';
import {
  GET_NEEDS_SSE_MESSAGE,
  INVALID_REQUEST,
  LATEST_SESSION_VERSION,
  SESSION_VERSIONS,
  TRANSPORT_ERROR,
} from './protocol.js';
import { createResponseStream } from './response-stream.js';
import type { Session } from './sessions.js';

const never = new AbortController().signal;

/** Whether the client takes an SSE answer (Streamable HTTP: clients list both types in Accept). */
export function acceptsSse(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  return accept !== undefined && /text\/event-stream|\*\/\*/i.test(accept);
}

/** The session era (MCP 2025-03-26, 2025-06-18, 2025-11-25): initialize, Mcp-Session-Id, GET, DELETE. */
export function createSessionEra(deps: EraDeps) {
  const { router, sessions } = deps;

  /** The session named by Mcp-Session-Id; answers 400 (missing) or 404 (unknown) itself. */
  function lookup(
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    id: JsonRpcId | null,
  ): Session | undefined {
    const sid = headerValue(req.headers['mcp-session-id']);
    if (sid === undefined || sid === '') {
      sendRpcError(
        res,
        400,
        TRANSPORT_ERROR,
        'Bad Request: Mcp-Session-Id header is required; send initialize first (or use protocol 2026-07-28 with a per-request _meta envelope)',
        id,
      );
      return undefined;
    }
    const s = sessions.get(sid, principal);
    // 404 tells the client to start a new session (Streamable HTTP, session management).
    if (s === undefined)
      sendRpcError(
        res,
        404,
        TRANSPORT_ERROR,
        'Session not found: it ended, expired or the gateway restarted; send initialize to start a new session',
        id,
      );
    return s;
  }

  function initialize(msg: JsonRpcRequest, res: ServerResponse, principal: Principal, bytes: number): void {
    const params = msg.params ?? {};
    const requested = typeof params['protocolVersion'] === 'string' ? params['protocolVersion'] : '';
    // Version negotiation: the client's version when supported, else our latest (lifecycle spec).
    const version = (SESSION_VERSIONS as readonly string[]).includes(requested)
      ? requested
      : LATEST_SESSION_VERSION;
    const s = sessions.create(principal, version, params);
    s.detach = router.addListener(s.listener);
    const ctx: RouteContext = {
      client: s.client,
      signal: never,
      notify: () => {},
      ask: () => Promise.reject(new Error('not during initialize')),
    };
    void router.initialize(version, params, ctx, bytes).then((o) => {
      o.finish(
        sendJson(res, 200, { jsonrpc: '2.0', id: msg.id, result: o.result }, { 'Mcp-Session-Id': s.id }),
      );
    });
  }

  /** A request on the session; answers its own failures (its promise never rejects). */
  async function request(
    s: Session,
    msg: JsonRpcRequest,
    req: IncomingMessage,
    res: ServerResponse,
    bytes: number,
  ): Promise<void> {
    try {
      if (msg.method === 'initialize') {
        sendRpcError(
          res,
          400,
          INVALID_REQUEST,
          'Invalid Request: this session is already initialized; to start over, send initialize without Mcp-Session-Id',
          msg.id,
        );
        return;
      }
      const ctrl = new AbortController();
      s.inflight.set(msg.id, ctrl);
      const sseAllowed = acceptsSse(req);
      const stream = createResponseStream(res, {
        sseAllowed,
        headers: s.headers,
        heartbeats: deps.heartbeats,
        // The log is made only when the answer turns into SSE: a plain JSON answer has nothing to
        // resume (issue 16: most calls; it was a log, its key and a table entry per call).
        openLog: sseAllowed ? () => sessions.streamLog(s, () => ctrl.abort()) : undefined,
        // Empty-data events are new in 2025-11-25; older clients' SSE parsers may choke on them.
        primeRetryMs:
          s.client.protocolVersion >= '2025-11-25' ? (deps.holdGetStreams ? 1000 : 3000) : undefined,
      });
      // A client that saw an event id may resume the stream (its log then decides when to give up);
      // before that, a closed connection leaves the answer nowhere to go. (on(): 'close' comes once.)
      res.on('close', () => {
        if (!stream.finished && !stream.resumable) ctrl.abort();
      });
      const ctx: RouteContext = {
        client: s.client,
        signal: ctrl.signal,
        notify: (method, params) => void stream.event({ jsonrpc: '2.0', method, params }),
        ask: (method, params) => sessions.ask(s, stream, method, params, ctrl.signal),
        // Set by the router: present from the start, so every call's context has one shape.
        target: undefined,
        upstream: undefined,
      };
      const o = await router.call(msg.method, msg.params, ctx, bytes);
      s.inflight.delete(msg.id);
      const reply =
        o.error === undefined
          ? { jsonrpc: '2.0', id: msg.id, result: o.result }
          : { jsonrpc: '2.0', id: msg.id, error: o.error };
      o.finish(stream.finish(reply));
      if (stream.log !== undefined) sessions.settleStream(s, stream.log);
    } catch (err) {
      answerInternalError(res, err);
    }
  }

  /** A client notification or a response to one of our server-to-client requests. */
  function clientMessage(s: Session, m: Exclude<Classified, { kind: 'invalid' | 'request' }>): void {
    if (m.kind === 'response') {
      const pending = s.pendingAsks.get(String(m.id));
      if (pending !== undefined) {
        s.pendingAsks.delete(String(m.id));
        if (m.error !== undefined) {
          const e = m.error as RawObject;
          pending.reject(
            new UpstreamError(
              Number(e['code'] ?? -32603),
              String(e['message'] ?? 'error from the client'),
              e['data'],
            ),
          );
        } else pending.resolve(m.result ?? {});
      }
    } else if (m.msg.method === 'notifications/cancelled') {
      const requestId = m.msg.params?.['requestId'];
      if (typeof requestId === 'string' || typeof requestId === 'number') s.inflight.get(requestId)?.abort();
    } else if (m.msg.method === 'notifications/roots/list_changed') {
      router.broadcastNotification(m.msg.method, m.msg.params);
    }
  }

  /** Answers a 2025-03-26 batch with one JSON array (batched requests get no stream of their own). */
  async function batch(
    s: Session,
    messages: Exclude<Classified, { kind: 'invalid' }>[],
    res: ServerResponse,
  ): Promise<void> {
    const replies = await Promise.all(
      messages.map(async (m) => {
        if (m.kind !== 'request') return void clientMessage(s, m);
        const msg = m.msg;
        const ctrl = new AbortController();
        s.inflight.set(msg.id, ctrl);
        const ctx: RouteContext = {
          client: s.client,
          signal: ctrl.signal,
          notify: () => {},
          ask: (method) =>
            Promise.reject(
              new Error(
                `${method} cannot reach a client through a batched request; send the call on its own`,
              ),
            ),
        };
        const o = await router.call(msg.method, msg.params, ctx);
        s.inflight.delete(msg.id);
        o.finish();
        return o.error === undefined
          ? { jsonrpc: '2.0', id: msg.id, result: o.result }
          : { jsonrpc: '2.0', id: msg.id, error: o.error };
      }),
    );
    const out = replies.filter((r) => r !== undefined);
    if (out.length === 0) res.writeHead(202).end();
    else sendJson(res, 200, out, { 'Mcp-Session-Id': s.id });
  }

  return {
    lookup,
    initialize,
    batch,
    /** A request's promise while it runs; a notification or response is answered at once. */
    handle(
      s: Session,
      m: Exclude<Classified, { kind: 'invalid' }>,
      req: IncomingMessage,
      res: ServerResponse,
      bytes: number,
    ): Promise<void> | void {
      if (m.kind === 'request') return request(s, m.msg, req, res, bytes);
      clientMessage(s, m);
      // Notifications and responses are accepted with 202 and no body (Streamable HTTP).
      res.writeHead(202).end();
    },
    get(req: IncomingMessage, res: ServerResponse, principal: Principal): void {
      if (!acceptsSse(req)) {
        sendRpcError(res, 406, TRANSPORT_ERROR, GET_NEEDS_SSE_MESSAGE);
        return;
      }
      const s = lookup(req, res, principal, null);
      if (s === undefined) return;
      // Held open only on the local endpoint: through a quick tunnel the stream would be held back
      // (PROTOCOL.md), so the public listener sends the priming event and what is due, then closes.
      const hold = deps.holdGetStreams;
      sessions.openGetStream(s, res, headerValue(req.headers['last-event-id']), hold, hold ? 1000 : 3000);
    },
    delete(req: IncomingMessage, res: ServerResponse, principal: Principal): void {
      const s = lookup(req, res, principal, null);
      if (s === undefined) return;
      sessions.end(s);
      res.writeHead(200).end();
    },
  };
}
