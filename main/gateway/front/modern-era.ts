import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../../auth/types.js';
import type { JsonRpcRequest, RawObject } from '../upstream/types.js';
import type { ClientView, RouteContext } from '../router/types.js';
import type { EraDeps } from './mcp-endpoint.js';
import { answerInternalError, sendJson, sendRpcError } from './http-util.js';
import { createExchangeTable, InputExchange, isGatewayState } from './input-exchange.js';
import type { Classified } from './messages.js';
import { metaOf, withoutEnvelope } from './messages.js';
import { LOG_LEVELS } from '../router/log-levels.js';
import { checkHeaders, methodNotFoundText, MODERN_METHODS } from './modern-headers.js';
import {
  INVALID_PARAMS,
  INVALID_REQUEST,
  META_CLIENT_CAPABILITIES,
  META_CLIENT_INFO,
  META_LOG_LEVEL,
  META_SUBSCRIPTION_ID,
  METHOD_NOT_FOUND,
  MODERN_VERSIONS,
} from './protocol.js';
import { createResponseStream, SSE_HEADERS, sseEvent } from './response-stream.js';
import type { ResponseStream } from './response-stream.js';
import { acceptsSse } from './session-era.js';
import { CallMap } from '../../common/call-tables.js';
import { isSharedJson, shareJson } from '../../common/json-text.js';
import { principalKey } from './sessions.js';

/** Results whose 2026-07-28 shape carries cache hints (ttlMs, cacheScope). */
const CACHEABLE = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
]);

/** Shared results (the router's merged lists, each from one method) -> their completed form. */
const completed = new WeakMap<object, RawObject>();

/**
 * 2026-07-28 results carry `resultType`; cacheable ones also `ttlMs` and `cacheScope`. The gateway's
 * merged view changes with upstream state and differs per client scope, so: no caching, private.
 * The upstream's own fields are kept as sent.
 */
function completeResult(method: string, result: RawObject): RawObject {
  const known = isSharedJson(result) ? completed.get(result) : undefined;
  if (known !== undefined) return known;
  const out: RawObject = { resultType: 'complete', ...result };
  // An upstream's own `input_required` (a 2026-07-28 upstream's, relayed natively) is not cacheable.
  if (CACHEABLE.has(method) && out['resultType'] === 'complete') {
    out['ttlMs'] ??= 0;
    out['cacheScope'] ??= 'private';
  }
  // A shared result (a merged list) is completed once and shared in turn (serialised once).
  if (isSharedJson(result)) completed.set(result, shareJson(out));
  return out;
}

/** The stateless era: no session, every request carries its protocol version and client in `_meta`. */
export function createModernEra(deps: EraDeps) {
  const { router } = deps;
  // A CallMap: it lets go of a call when it ends (call-tables.ts).
  const inflight = new CallMap<string, AbortController>();
  const exchanges = createExchangeTable();
  const listenStreams = new Map<ServerResponse, () => void>();

  function discover(msg: JsonRpcRequest, res: ServerResponse): void {
    sendJson(res, 200, {
      jsonrpc: '2.0',
      id: msg.id,
      result: completeResult('server/discover', router.discoverResult(MODERN_VERSIONS)),
    });
  }

  function listen(msg: JsonRpcRequest, client: ClientView, req: IncomingMessage, res: ServerResponse): void {
    if (!acceptsSse(req)) {
      sendRpcError(
        res,
        406,
        INVALID_REQUEST,
        'subscriptions/listen answers with a stream: send Accept: text/event-stream',
        msg.id,
      );
      return;
    }
    const filter = (msg.params?.['notifications'] ?? {}) as RawObject;
    const listenerId = `listen-${randomBytes(9).toString('base64url')}`;
    res.writeHead(200, SSE_HEADERS);
    const write = (method: string, params: RawObject | undefined): void => {
      const p = params ?? {};
      const meta = { ...((p['_meta'] as RawObject | undefined) ?? {}), [META_SUBSCRIPTION_ID]: msg.id };
      if (!res.destroyed)
        res.write(sseEvent(JSON.stringify({ jsonrpc: '2.0', method, params: { ...p, _meta: meta } })));
    };
    const detach = router.addListener({
      id: listenerId,
      era: 'modern',
      send: write,
      wantsListChanged: (kind) => filter[`${kind}ListChanged`] === true,
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 25_000);
    keepAlive.unref();
    const stop = (): void => {
      clearInterval(keepAlive);
      detach();
      listenStreams.delete(res);
    };
    listenStreams.set(res, () => {
      stop();
      // Graceful end of a listen stream: its (empty) result, stamped with the subscription id.
      res.end(
        sseEvent(
          JSON.stringify({
            jsonrpc: '2.0',
            id: msg.id,
            result: { resultType: 'complete', _meta: { [META_SUBSCRIPTION_ID]: msg.id } },
          }),
        ),
      );
    });
    res.on('close', stop);
    const uris = Array.isArray(filter['resourceSubscriptions'])
      ? (filter['resourceSubscriptions'] as unknown[]).filter((u): u is string => typeof u === 'string')
      : [];
    const subClient: ClientView = { ...client, sessionId: listenerId };
    const ctx: RouteContext = {
      client: subClient,
      signal: new AbortController().signal,
      notify: () => {},
      ask: () => Promise.reject(new Error('no input on listen')),
    };
    void Promise.all(
      uris.map((uri) =>
        router.request('resources/subscribe', { uri }, ctx).then(
          () => uri,
          () => undefined,
        ),
      ),
    ).then((ok) => {
      const honored: RawObject = {};
      for (const k of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'])
        if (filter[k] === true) honored[k] = true;
      if (uris.length > 0) honored['resourceSubscriptions'] = ok.filter((u) => u !== undefined);
      write('notifications/subscriptions/acknowledged', { notifications: honored });
    });
  }

  /** One request; answers its own failures (its promise never rejects). */
  async function request(
    msg: JsonRpcRequest,
    client: ClientView,
    req: IncomingMessage,
    res: ServerResponse,
    bytes: number,
  ): Promise<void> {
    try {
      const method = msg.method;
      if (method === 'server/discover') return discover(msg, res);
      if (method === 'subscriptions/listen') return listen(msg, client, req, res);
      const owner = principalKey(client.principal);
      const stream = createResponseStream(res, { sseAllowed: acceptsSse(req), heartbeats: deps.heartbeats });
      const state = msg.params?.['requestState'];
      let ex: (InputExchange & { stream?: ResponseStream }) | undefined;
      if (typeof state === 'string' && isGatewayState(state)) {
        ex = exchanges.take(state, owner, method);
        if (ex === undefined) {
          stream.finish({
            jsonrpc: '2.0',
            id: msg.id,
            error: {
              code: INVALID_PARAMS,
              message:
                'Invalid params: requestState is unknown or expired; send the request again without requestState and inputResponses',
            },
          });
          return;
        }
        ex.answer((msg.params?.['inputResponses'] as RawObject | undefined) ?? {});
      } else {
        const fresh: InputExchange & { stream?: ResponseStream } = new InputExchange(owner, method);
        ex = fresh;
        const level = metaOf(msg.params)?.[META_LOG_LEVEL];
        const ctx: RouteContext = {
          client,
          ...(typeof level === 'string' ? { logLevel: level } : {}),
          signal: fresh.ctrl.signal,
          notify: (m, p) => void fresh.stream?.event({ jsonrpc: '2.0', method: m, params: p }),
          ask: (m, p) => fresh.ask(m, p),
        };
        const params = withoutEnvelope(msg.params);
        fresh.track(router.call(method, params, ctx, bytes));
      }
      ex.stream = stream;
      const key = `${owner}\u0000${String(msg.id)}`;
      inflight.set(key, ex.ctrl);
      const current = ex;
      // on(): 'close' comes once.
      res.on('close', () => {
        if (!stream.finished) current.abandon('the client closed the connection');
      });
      const step = await ex.next();
      inflight.delete(key);
      if (step.kind === 'input') {
        const requestState = exchanges.park(ex);
        stream.finish({
          jsonrpc: '2.0',
          id: msg.id,
          result: { resultType: 'input_required', inputRequests: step.requests, requestState },
        });
        return;
      }
      const o = step.outcome;
      const reply =
        o.error === undefined
          ? { jsonrpc: '2.0', id: msg.id, result: completeResult(method, o.result ?? {}) }
          : { jsonrpc: '2.0', id: msg.id, error: o.error };
      o.finish(stream.finish(reply));
    } catch (err) {
      answerInternalError(res, err);
    }
  }

  return {
    discover,
    /** A request's promise while it runs; anything refused or a notification is answered at once. */
    handle(
      m: Exclude<Classified, { kind: 'invalid' }>,
      claim: unknown,
      headerVersion: string | undefined,
      req: IncomingMessage,
      res: ServerResponse,
      principal: Principal,
      bytes: number,
    ): Promise<void> | void {
      const id = m.kind === 'request' ? m.msg.id : null;
      if (m.kind === 'response') {
        sendRpcError(
          res,
          400,
          INVALID_REQUEST,
          'Invalid Request: 2026-07-28 has no server-to-client requests, so responses cannot be posted',
        );
        return;
      }
      const refusal = checkHeaders(m, claim, headerVersion, req);
      if (refusal !== undefined) {
        const error = {
          code: refusal.code,
          message: refusal.message,
          ...(refusal.data ? { data: refusal.data } : {}),
        };
        sendJson(res, 400, { jsonrpc: '2.0', id, error });
        return;
      }
      const meta = metaOf(m.msg.params) ?? {};
      if (m.kind === 'notification') {
        if (m.msg.method === 'notifications/cancelled') {
          const requestId = m.msg.params?.['requestId'];
          inflight.get(`${principalKey(principal)}\u0000${String(requestId)}`)?.abort();
        }
        res.writeHead(202).end();
        return;
      }
      const caps = meta[META_CLIENT_CAPABILITIES] as RawObject;
      if (!MODERN_METHODS.has(m.msg.method)) {
        // Removed in 2026-07-28 (initialize, ping, logging/setLevel, resources/subscribe, ...) or
        // never known: 404 with -32601, so a client probing eras learns it at once (transports spec).
        sendRpcError(res, 404, METHOD_NOT_FOUND, methodNotFoundText(m.msg.method), id);
        return;
      }
      const level = meta[META_LOG_LEVEL];
      if (level !== undefined && !LOG_LEVELS.includes(level as string)) {
        sendRpcError(
          res,
          400,
          INVALID_PARAMS,
          `Invalid params: params._meta['${META_LOG_LEVEL}'] must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(level)})`,
          id,
        );
        return;
      }
      const clientInfo = meta[META_CLIENT_INFO];
      const client: ClientView = {
        protocolVersion: claim as string,
        principal,
        capabilities: caps as RawObject,
        clientInfo:
          typeof clientInfo === 'object' && clientInfo !== null ? (clientInfo as RawObject) : undefined,
      };
      return request(m.msg, client, req, res, bytes);
    },
    close(): void {
      for (const end of [...listenStreams.values()]) end();
      exchanges.close();
    },
  };
}
