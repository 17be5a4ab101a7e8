import type { ActivitySink } from '../../activity/types.js';
import { CallMap } from '../../common/call-tables.js';
import { UpstreamError } from '../upstream/types.js';
import type { JsonRpcRequest, RawObject, ServerRequestContext } from '../upstream/types.js';
import { ERR_INTERNAL, ERR_METHOD_NOT_FOUND } from './errors.js';
import type { RouteContext } from './types.js';

/** Client capability each server-to-client request needs (MCP client features). */
const NEEDS: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

export type ServerRequestRelay = ReturnType<typeof createServerRequestRelay>;

/**
 * Routes server-to-client requests back to the client whose call caused them: each forwarded call
 * registers its context under a callKey that the upstream connection hands back with the request.
 */
export function createServerRequestRelay(deps: { activity?: ActivitySink }) {
  // A CallMap: a call's context must not outlive its entry (call-tables.ts).
  const calls = new CallMap<string, RouteContext>();
  let seq = 0;

  return {
    register(ctx: RouteContext): string {
      const key = `c${++seq}`;
      calls.set(key, ctx);
      return key;
    },
    unregister(key: string): void {
      calls.delete(key);
    },
    async handle(req: JsonRpcRequest, sctx: ServerRequestContext): Promise<RawObject> {
      const ctx = sctx.callKey === undefined ? undefined : calls.get(sctx.callKey);
      const started = Date.now();
      const record = (outcome: 'ok' | 'error' | 'note', message?: string): void =>
        deps.activity?.record({
          time: started,
          kind: 'server-request',
          method: req.method,
          upstream: sctx.upstream,
          sessionId: ctx?.client.sessionId,
          client:
            ctx === undefined
              ? undefined
              : { id: ctx.client.principal.clientId, name: ctx.client.principal.clientName },
          durationMs: Date.now() - started,
          outcome,
          error: message === undefined ? undefined : { message },
          request: req.params,
        });
      if (ctx === undefined) {
        const message = `Upstream '${sctx.upstream}' sent ${req.method} outside any client call, so there is no client to answer it`;
        // Servers ask this on their own (server-everything asks roots/list once initialized): the
        // upstream gets the error, but nothing a client asked for failed, so the log calls it a note.
        record('note', `${message}; the gateway answered it with an error`);
        throw new UpstreamError(ERR_INTERNAL, message);
      }
      const capability = NEEDS[req.method];
      if (capability === undefined || ctx.client.capabilities[capability] === undefined) {
        const who = String(
          ctx.client.clientInfo?.['name'] ?? ctx.client.principal.clientName ?? 'the client',
        );
        const message =
          capability === undefined
            ? `Method not found: the gateway does not relay '${req.method}' to clients`
            : `Upstream '${sctx.upstream}' asked for ${req.method}, but ${who} did not declare the '${capability}' capability`;
        record('error', message);
        throw new UpstreamError(ERR_METHOD_NOT_FOUND, message);
      }
      try {
        const result = await ctx.ask(req.method, req.params ?? {});
        record('ok');
        return result;
      } catch (err) {
        record('error', err instanceof Error ? err.message : String(err));
        throw err;
      }
    },
  };
}
