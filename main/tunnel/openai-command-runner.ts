/**
 * Executes one polled command of OpenAI's Secure MCP Tunnel against the gateway's MCP handling and
 * posts what it produced: zero or more `jsonrpc_notify` payloads, then one terminal payload
 * (openai/tunnel-client docs/protocol.md, "jsonrpc commands", "session_termination commands",
 * "Posting a response"). The deadline bounds the whole lifecycle; an expired command is dropped
 * without a word ("never synthesize a late error response").
 */
import type { Clock } from '../common/clock.js';
import { runExchange, type ExchangeResult, type ExchangeServe } from './in-process-exchange.js';
import type { PostOutcome } from './openai-control-plane.js';
import {
  filterResponseHeaders,
  type PolledCommand,
  type ResponseType,
  type TunnelResponsePayload,
  type WireHeaders,
} from './openai-wire.js';

export interface CommandRunnerDeps {
  serve: ExchangeServe;
  post(shardToken: string, payload: TunnelResponsePayload, signal: AbortSignal): Promise<PostOutcome>;
  clock: Clock;
  /** One line per notable event, with the opaque request_id only (never payloads or headers). */
  log(line: string): void;
}

export type CommandOutcome = 'answered' | 'expired' | 'unsupported' | 'gone' | 'failed' | 'unauthorized';

/** The only channel this client serves: the gateway's merged MCP endpoint. */
export const MAIN_CHANNEL = 'main';

/** Request headers the front reads; everything else (the connector's Authorization first) stays behind. */
function requestHeaders(headers: WireHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, values] of Object.entries(headers ?? {})) {
    const key = name.toLowerCase();
    if (!Array.isArray(values) || values.length === 0) continue;
    if (key.startsWith('mcp-') || key === 'last-event-id' || key === 'accept')
      // node:http joins repeated request headers the same way; nothing here is collapsed further.
      out[key] = values.map(String).join(', ');
  }
  out['accept'] ??= 'application/json, text/event-stream';
  out['content-type'] = 'application/json';
  out['host'] = 'openai-tunnel.invalid';
  return out;
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** -32603 with bounded provenance (protocol.md "Structured MCP errors and synthesized tunnel failures"). */
function synthesized(id: unknown, message: string, failure: JsonObject): JsonObject {
  return {
    jsonrpc: '2.0',
    id: id ?? null,
    error: { code: -32603, message, data: { tunnel_failure: { version: 1, ...failure } } },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Runs `command`; `deadline` is on `deps.clock` (receipt time + response_timeout), or undefined. */
export async function runCommand(
  deps: CommandRunnerDeps,
  command: PolledCommand,
  deadline: number | undefined,
  stop: AbortSignal,
): Promise<CommandOutcome> {
  const requestId = String(command.request_id);
  const type = command.command_type ?? 'jsonrpc';
  if (type !== 'jsonrpc' && type !== 'session_termination') {
    // Never reinterpreted as JSON-RPC ("Future command types"); polling goes on.
    deps.log(
      `OpenAI tunnel: unsupported command_type '${String(type).slice(0, 40)}' (request ${requestId}); skipped.`,
    );
    return 'unsupported';
  }
  if (deadline !== undefined && deps.clock.now() >= deadline) {
    deps.log(`OpenAI tunnel: request ${requestId} expired before it started; dropped.`);
    return 'expired';
  }
  const ctrl = new AbortController();
  const onStop = (): void => ctrl.abort();
  stop.addEventListener('abort', onStop, { once: true });
  const timer =
    deadline === undefined
      ? undefined
      : deps.clock.setTimeout(() => ctrl.abort(), deadline - deps.clock.now());
  const base = {
    request_id: requestId,
    ...(typeof command.channel === 'string' ? { channel: command.channel } : {}),
  };
  const post = (
    resp_type: ResponseType,
    resp_code: number,
    resp_json?: JsonObject,
    resp_headers?: WireHeaders,
  ) =>
    deps.post(
      command.shard_token,
      {
        ...base,
        ...(resp_json === undefined ? {} : { resp_json }),
        ...(resp_headers && Object.keys(resp_headers).length > 0 ? { resp_headers } : {}),
        resp_code,
        resp_type,
      },
      ctrl.signal,
    );
  try {
    const outcome = await execute(deps, command, type, ctrl.signal, post);
    if (outcome === 'aborted') {
      deps.log(
        `OpenAI tunnel: request ${requestId} ran past its response_timeout (or the tunnel stopped); dropped.`,
      );
      return 'expired';
    }
    if (outcome !== 'ok')
      deps.log(`OpenAI tunnel: answer to request ${requestId} not delivered (${outcome}).`);
    return outcome === 'ok' ? 'answered' : outcome;
  } finally {
    if (timer !== undefined) deps.clock.clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}

type Post = (
  type: ResponseType,
  code: number,
  json?: JsonObject,
  headers?: WireHeaders,
) => Promise<PostOutcome>;

async function execute(
  deps: CommandRunnerDeps,
  command: PolledCommand,
  type: 'jsonrpc' | 'session_termination',
  signal: AbortSignal,
  post: Post,
): Promise<PostOutcome> {
  const channel =
    typeof command.channel === 'string' && command.channel !== '' ? command.channel : MAIN_CHANNEL;
  const headers = requestHeaders(command.headers);
  if (type === 'session_termination') {
    if (channel !== MAIN_CHANNEL) return post('session_termination_response', 404);
    const r = await runExchange(deps.serve, { method: 'DELETE', headers }, () => undefined, signal);
    if (r === undefined) return 'aborted';
    return post('session_termination_response', r.status >= 200 && r.status < 300 ? 204 : r.status);
  }

  const msg = command.jsonrpc;
  const id = isObject(msg) ? msg['id'] : undefined;
  const isRequest = isObject(msg) && typeof msg['method'] === 'string' && id !== undefined && id !== null;
  if (!isObject(msg))
    return post('jsonrpc_response', 400, {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'Invalid Request: the tunnel command carries no JSON-RPC object' },
    });
  if (channel !== MAIN_CHANNEL)
    return post(
      'jsonrpc_response',
      404,
      synthesized(id, `Unsupported channel '${channel.slice(0, 64)}': this Tunnelgate serves only 'main'`, {
        source: 'client_internal',
        upstream_response_received: false,
      }),
    );

  // Notifications go out in order, before the terminal answer; after one fails the rest are skipped
  // (best effort) while the stream keeps draining ("Errors, retries, and concurrency").
  let terminal: JsonObject | undefined;
  let notifying: Promise<unknown> = Promise.resolve();
  let notifyBroken = false;
  const onMessage = (m: unknown): void => {
    if (!isObject(m)) return;
    if (isRequest && m['id'] === id && m['method'] === undefined) {
      terminal = m;
      return;
    }
    notifying = notifying.then(async () => {
      if (notifyBroken || signal.aborted) return;
      const r = await post('jsonrpc_notify', 200, m);
      if (r !== 'ok') notifyBroken = true;
    });
  };
  const r = await runExchange(
    deps.serve,
    { method: 'POST', headers, body: JSON.stringify(msg) },
    onMessage,
    signal,
  );
  await notifying;
  if (r === undefined || signal.aborted) return 'aborted';
  const respHeaders = filterResponseHeaders(r.headers);
  if (!isRequest) {
    // A notification (or a client's answer to a server request): 202 is the acknowledgment.
    const body = r.body === '' ? undefined : parseJson(r.body);
    if (r.status >= 400 && isObject(body)) return post('jsonrpc_response', r.status, body, respHeaders);
    return post('notify_ack', r.status, undefined, respHeaders);
  }
  return post('jsonrpc_response', ...finalAnswer(r, id, terminal), respHeaders);
}

/** The terminal JSON-RPC payload and status: the gateway's own answer when there is one. */
function finalAnswer(r: ExchangeResult, id: unknown, terminal: JsonObject | undefined): [number, JsonObject] {
  if (r.sse) {
    if (terminal) return [r.status, terminal];
    return [
      502,
      synthesized(id, 'Bad Gateway: the MCP stream ended without a response', {
        source: 'protocol',
        transport_error_kind: 'unexpected_eof',
        upstream_response_received: true,
      }),
    ];
  }
  const body = parseJson(r.body);
  // Recognized JSON-RPC answers (errors included, e.g. -32003/-32004) pass through exactly.
  if (isObject(body) && body['jsonrpc'] === '2.0') return [r.status, body];
  return [
    502,
    synthesized(id, 'Bad Gateway: the gateway answered without a JSON-RPC message', {
      ...(r.status >= 400 && r.status <= 599
        ? { source: 'target_http', upstream_status: r.status }
        : { source: 'protocol', transport_error_kind: 'non_protocol_response' }),
      upstream_response_received: true,
    }),
  ];
}
