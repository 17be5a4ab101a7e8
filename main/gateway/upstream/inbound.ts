import type { ListKind } from './list-cache.js';
import { errorFromResponse, isRequest, isResponse } from './messages.js';
import type { PendingCall, PendingCalls } from './pending-calls.js';
import { handleServerRequest, type ServerRequestHandler } from './server-requests.js';
import type { JsonRpcId, JsonRpcNotification, RawObject } from './types.js';

const LIST_KINDS: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/** What one connection gives the routing of what its upstream sends. */
export interface InboundContext {
  name: string;
  /** Streamable HTTP: the POST stream a message came on names its call (`origin`). */
  byOrigin: boolean;
  calls: PendingCalls;
  /** Live server requests, so `notifications/cancelled` from the upstream can abort them. */
  serverAborts: Map<JsonRpcId, AbortController>;
  handler: ServerRequestHandler | undefined;
  /** Prefix of the progress tokens we give this upstream. */
  progressPrefix: string;
  /** Every log message, for the server's own log. */
  log(params: RawObject): void;
  listChanged(kinds: ListKind[]): void;
  /** A notification no call can be named for (resources/updated, unattributable log messages, ...). */
  unrelated(n: JsonRpcNotification): void;
  /** Sends our answer to a server request back over the link it came on. */
  reply(message: RawObject): Promise<void>;
}

/**
 * One message from the upstream: an answer settles its call; a server request goes to the handler
 * with the call that caused it; progress, log messages and the like go to their call's client only.
 */
export function routeInbound(msg: RawObject, origin: JsonRpcId | undefined, ctx: InboundContext): void {
  const { calls } = ctx;
  if (isResponse(msg)) {
    const call = calls.take(msg.id as JsonRpcId);
    if (!call) return; // late answer to a cancelled or timed-out call
    if ('error' in msg) call.reject(errorFromResponse(msg.error, ctx.name, call.method));
    else call.resolve(msg.result !== null && typeof msg.result === 'object' ? (msg.result as RawObject) : {});
    return;
  }
  if (typeof msg.method !== 'string') return;
  if (isRequest(msg)) {
    handleServerRequest({
      name: ctx.name,
      msg,
      // Some servers (SDK v2's requestSampling on a session) send these on the GET stream, unrelated
      // to any POST: then, as on stdio, only a call alone in flight can be named.
      callKey: (relatedCall(origin, ctx) ?? (origin === undefined ? calls.soleExternal() : undefined))
        ?.callKey,
      handler: ctx.handler,
      aborts: ctx.serverAborts,
      reply: ctx.reply,
    });
    return;
  }
  const params = (msg.params ?? {}) as RawObject;
  // Every log message goes to the server's log, whichever client it is also relayed to below.
  if (msg.method === 'notifications/message') ctx.log(params);
  if (msg.method === 'notifications/progress') {
    const call = calls.byProgressToken(params.progressToken);
    if (call) {
      call.touch();
      call.onProgress?.({ ...params, progressToken: call.originalToken });
      return;
    }
    // Late progress for a call that already ended: our token means nothing to any client.
    if (typeof params.progressToken === 'string' && params.progressToken.startsWith(ctx.progressPrefix))
      return;
  } else if (msg.method === 'notifications/cancelled') {
    const id = params.requestId as JsonRpcId;
    ctx.serverAborts
      .get(id)
      ?.abort(new Error(typeof params.reason === 'string' ? params.reason : 'cancelled by the upstream'));
    ctx.serverAborts.delete(id);
    return;
  } else if (LIST_KINDS[msg.method]) {
    ctx.listChanged(LIST_KINDS[msg.method]!);
    return;
  } else if (msg.method === 'notifications/subscriptions/acknowledged') {
    return; // our own listen stream's answer (2026-07-28 subscriptions)
  } else if (msg.method !== 'notifications/resources/updated') {
    // Log messages and the like belong to the client whose call caused them, never to every client.
    const call = relatedCall(origin, ctx);
    if (call?.onNotification) {
      call.onNotification(msg as unknown as JsonRpcNotification);
      return;
    }
  }
  ctx.unrelated(msg as unknown as JsonRpcNotification);
}

/**
 * The client call a message from the upstream belongs to. Streamable HTTP says it exactly: the
 * call whose POST response stream carried it (spec: Transports, "the server MAY send requests and
 * notifications before sending the JSON-RPC response... These messages SHOULD relate to the
 * originating client request"); a notification on the GET stream relates to no call. stdio and
 * legacy SSE carry no such link, so only a call alone in flight can be named without guessing.
 */
function relatedCall(origin: JsonRpcId | undefined, ctx: InboundContext): PendingCall | undefined {
  if (origin !== undefined) {
    const call = ctx.calls.get(origin);
    return call && !call.internal ? call : undefined;
  }
  return ctx.byOrigin ? undefined : ctx.calls.soleExternal();
}
