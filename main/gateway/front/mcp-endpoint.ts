import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ActivitySink } from '../../activity/types.js';
import type { Principal } from '../../auth/types.js';
import type { FrontRouter } from '../router-tap.js';
import { BODY_TURN, readBody, wholeBody } from '../../common/http-body.js';
import { answerInternalError, headerValue, sendRpcError } from './http-util.js';
import { classifyMessage, metaOf } from './messages.js';
import type { Classified } from './messages.js';
import { createModernEra } from './modern-era.js';
import { observeRouter, type ObservedRouter } from './observed-router.js';
import { Heartbeats } from './heartbeats.js';
import { createSessionEra } from './session-era.js';
import type { SessionStore } from './sessions.js';
import {
  INVALID_PARAMS,
  INVALID_REQUEST,
  isModernVersion,
  META_PROTOCOL_VERSION,
  PARSE_ERROR,
  SESSION_VERSIONS,
  TRANSPORT_ERROR,
} from './protocol.js';

/** Session versions whose transport allows JSON-RPC batches. */
const BATCH_VERSIONS = ['2025-03-26', '2024-11-05'];

export interface EndpointDeps {
  router: FrontRouter;
  sessions: SessionStore;
  /**
   * Whether a session-era GET stream is held open (the local endpoint) or primed and closed (the
   * public listener: a quick tunnel holds back a long-lived stream, PROTOCOL.md).
   */
  holdGetStreams: boolean;
  activity?: ActivitySink;
  maxBodyBytes: number;
  /** A call still running after this long switches to SSE and sends keep-alive comments. */
  heartbeatMs?: number;
}

/** Streamable HTTP at the MCP path: POST (both eras, chosen per request), GET and DELETE (sessions). */
/**
 * What the eras get: the router already observed, no activity sink of their own, and one keep-alive
 * timer for all their answers (heartbeats.ts).
 */
export type EraDeps = Omit<EndpointDeps, 'router' | 'activity' | 'heartbeatMs'> & {
  router: ObservedRouter;
  heartbeats: Heartbeats;
};

export function createMcpEndpoint(deps: EndpointDeps) {
  const heartbeats = new Heartbeats(deps.heartbeatMs ?? 25_000);
  const eraDeps: EraDeps = { ...deps, router: observeRouter(deps.router, deps.activity), heartbeats };
  const sessionEra = createSessionEra(eraDeps);
  const modernEra = createModernEra(eraDeps);

  /**
   * A POST: its body, then its message routed. It answers its own failures (answerInternalError),
   * and so does the request it starts, so neither promise rejects and nobody waits for them (issue
   * 16: no async frames above the request's own per call).
   */
  async function post(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    try {
      const type = headerValue(req.headers['content-type']);
      if (type !== undefined && !/^application\/json\b/i.test(type)) {
        sendRpcError(
          res,
          415,
          TRANSPORT_ERROR,
          `Unsupported Media Type: POST bodies must be application/json (got '${type}')`,
        );
        return;
      }
      // A turn later the body that came with the headers is all here, taken whole (http-body.ts);
      // readBody() reads anything else.
      await BODY_TURN;
      const body = wholeBody(req, deps.maxBodyBytes) ?? (await readBody(req, deps.maxBodyBytes));
      if (!body.ok) {
        if (body.reason === 'too-large')
          sendRpcError(
            res,
            413,
            TRANSPORT_ERROR,
            `Request body too large: the limit is ${deps.maxBodyBytes} bytes (gateway.maxBodyBytes in the config)`,
            null,
            { Connection: 'close' },
          );
        else res.destroy();
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.text);
      } catch (err) {
        sendRpcError(
          res,
          400,
          PARSE_ERROR,
          `Parse error: the request body is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
        );
        return;
      }
      if (Array.isArray(parsed)) {
        await batch(parsed, req, res, principal);
        return;
      }
      const m = classifyMessage(parsed);
      if (m.kind === 'invalid') {
        sendRpcError(res, 400, INVALID_REQUEST, `Invalid Request: ${m.reason}`);
        return;
      }
      void route(m, req, res, principal, body.bytes);
    } catch (err) {
      answerInternalError(res, err);
    }
  }

  /**
   * A JSON-RPC batch: part of MCP 2025-03-26 only (removed in 2025-06-18, never in 2026-07-28), so it
   * is served on sessions that negotiated 2025-03-26 (or 2024-11-05) and refused clearly elsewhere.
   */
  async function batch(
    items: unknown[],
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
  ): Promise<void> {
    const refuse = (why: string): void => sendRpcError(res, 400, INVALID_REQUEST, `Invalid Request: ${why}`);
    if (items.length === 0) return refuse('empty JSON-RPC batch');
    const messages: Exclude<Classified, { kind: 'invalid' }>[] = [];
    for (const [i, item] of items.entries()) {
      const m = classifyMessage(item);
      if (m.kind === 'invalid') return refuse(`batch element ${i}: ${m.reason}`);
      if (m.kind !== 'response' && META_PROTOCOL_VERSION in (metaOf(m.msg.params) ?? {}))
        return refuse('JSON-RPC batches are not part of protocol 2026-07-28; send one message per POST');
      if (m.kind === 'request' && m.msg.method === 'initialize')
        return refuse('initialize must not be part of a batch');
      messages.push(m);
    }
    const session = sessionEra.lookup(req, res, principal, null);
    if (session === undefined) return;
    if (!BATCH_VERSIONS.includes(session.client.protocolVersion))
      return refuse(
        `JSON-RPC batches were removed in MCP 2025-06-18 and this session uses ${session.client.protocolVersion}; send one message per POST`,
      );
    await sessionEra.batch(session, messages, res);
  }

  /**
   * Chooses the era per request, as the 2026-07-28 transport describes: the body's envelope decides.
   * Not async: it returns the era's promise while a request runs, without an async frame of its own
   * (issue 16: a promise and its microtask turns per call on every level).
   */
  function route(
    m: Exclude<Classified, { kind: 'invalid' }>,
    req: IncomingMessage,
    res: ServerResponse,
    principal: Principal,
    bytes: number,
  ): Promise<void> | void {
    const headerVersion = headerValue(req.headers['mcp-protocol-version'])?.trim();
    const params = m.kind === 'response' ? undefined : m.msg.params;
    const meta = metaOf(params);
    const claim =
      meta !== undefined && META_PROTOCOL_VERSION in meta ? meta[META_PROTOCOL_VERSION] : undefined;
    const id = m.kind === 'request' ? m.msg.id : null;

    if (claim !== undefined) return modernEra.handle(m, claim, headerVersion, req, res, principal, bytes);
    if (headerVersion !== undefined && isModernVersion(headerVersion) && m.kind !== 'response') {
      sendRpcError(
        res,
        400,
        INVALID_PARAMS,
        `Invalid params: the MCP-Protocol-Version header names ${headerVersion}, but params._meta lacks '${META_PROTOCOL_VERSION}' (required on every 2026-07-28 message)`,
        id,
      );
      return;
    }
    if (m.kind === 'request' && m.msg.method === 'initialize') {
      sessionEra.initialize(m.msg, res, principal, bytes);
      return;
    }
    if (m.kind === 'request' && m.msg.method === 'server/discover') {
      // Answered without a session: clients probe it before deciding which era to speak.
      modernEra.discover(m.msg, res);
      return;
    }
    if (headerVersion !== undefined && !(SESSION_VERSIONS as readonly string[]).includes(headerVersion)) {
      sendRpcError(
        res,
        400,
        INVALID_REQUEST,
        `Bad Request: unsupported MCP-Protocol-Version '${headerVersion}' (supported: ${SESSION_VERSIONS.join(', ')}, 2026-07-28)`,
        id,
      );
      return;
    }
    const session = sessionEra.lookup(req, res, principal, id);
    if (session === undefined) return;
    return sessionEra.handle(session, m, req, res, bytes);
  }

  return {
    /**
     * Answers one request at the MCP path. A promise it returns never rejects: a failure inside is
     * answered here (a 500, or the connection cut); only what throws at once is the caller's.
     */
    handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> | void {
      switch (req.method) {
        case 'POST':
          return post(req, res, principal);
        case 'GET':
          return sessionEra.get(req, res, principal);
        case 'DELETE':
          return sessionEra.delete(req, res, principal);
        default:
          sendRpcError(
            res,
            405,
            TRANSPORT_ERROR,
            `Method not allowed: ${req.method} (use POST, GET or DELETE)`,
            null,
            { Allow: 'GET, POST, DELETE' },
          );
      }
    },
    close(): void {
      modernEra.close();
      heartbeats.stop();
    },
  };
}
