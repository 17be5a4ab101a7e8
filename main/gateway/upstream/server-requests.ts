import {
  UpstreamError,
  UPSTREAM_ERROR,
  type JsonRpcId,
  type JsonRpcRequest,
  type RawObject,
  type ServerRequestContext,
} from './types.js';
import { plainError } from './messages.js';

export type ServerRequestHandler = (req: JsonRpcRequest, ctx: ServerRequestContext) => Promise<RawObject>;

export interface ServerRequestJob {
  name: string;
  msg: RawObject;
  callKey: string | undefined;
  handler: ServerRequestHandler | undefined;
  /** Live server requests, so `notifications/cancelled` from the upstream can abort them. */
  aborts: Map<JsonRpcId, AbortController>;
  reply(message: RawObject): Promise<void>;
}

/**
 * Answers one server-to-client request (sampling, elicitation, roots, ping). `ping` is answered here
 * (spec: Utilities/Ping); everything else goes to the router's handler, which relays it to the client
 * whose call caused it. The answer goes back with the upstream's own id.
 */
export function handleServerRequest(job: ServerRequestJob): void {
  const { msg, name } = job;
  const id = msg.id as JsonRpcId;
  const method = msg.method as string;
  const answer = (body: RawObject) => job.reply({ jsonrpc: '2.0', id, ...body }).catch(() => {});
  if (method === 'ping') {
    void answer({ result: {} });
    return;
  }
  if (!job.handler) {
    void answer({
      error: {
        code: UPSTREAM_ERROR.methodNotFound,
        message: `The gateway has no client to relay ${method} to (from upstream '${name}').`,
      },
    });
    return;
  }
  const abort = new AbortController();
  job.aborts.set(id, abort);
  const req: JsonRpcRequest = {
    jsonrpc: '2.0',
    id,
    method,
    ...(msg.params !== undefined ? { params: msg.params as RawObject } : {}),
  };
  const ctx: ServerRequestContext = {
    upstream: name,
    signal: abort.signal,
    ...(job.callKey !== undefined ? { callKey: job.callKey } : {}),
  };
  let promise: Promise<RawObject>;
  try {
    promise = job.handler(req, ctx);
  } catch (err) {
    promise = Promise.reject(err);
  }
  promise.then(
    (result) => {
      if (job.aborts.get(id) !== abort || abort.signal.aborted) return;
      job.aborts.delete(id);
      void answer({ result });
    },
    (err: unknown) => {
      if (job.aborts.get(id) !== abort || abort.signal.aborted) return;
      job.aborts.delete(id);
      const error: RawObject =
        err instanceof UpstreamError
          ? { code: err.code, message: err.message, ...(err.data !== undefined ? { data: err.data } : {}) }
          : { code: UPSTREAM_ERROR.internal, message: plainError(err) };
      void answer({ error });
    },
  );
}
