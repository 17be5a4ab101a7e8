import { messageShape } from '../json-rpc.js';
import type { JsonRpcId, JsonRpcNotification, JsonRpcRequest, RawObject } from '../upstream/types.js';
import {
  META_CLIENT_CAPABILITIES,
  META_CLIENT_INFO,
  META_LOG_LEVEL,
  META_PROTOCOL_VERSION,
} from './protocol.js';

export type Classified =
  | { kind: 'request'; msg: JsonRpcRequest }
  | { kind: 'notification'; msg: JsonRpcNotification }
  | { kind: 'response'; id: JsonRpcId; result?: RawObject; error?: unknown }
  | { kind: 'invalid'; reason: string };

function isObject(v: unknown): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sorts one parsed JSON value into a JSON-RPC 2.0 request, notification or response (section 4, 5). */
export function classifyMessage(body: unknown): Classified {
  if (!isObject(body)) return { kind: 'invalid', reason: 'the body must be one JSON-RPC message object' };
  if (body['jsonrpc'] !== '2.0') return { kind: 'invalid', reason: '"jsonrpc" must be "2.0"' };
  if (params(body) === false) return { kind: 'invalid', reason: '"params" must be an object' };
  switch (messageShape(body)) {
    case 'notification':
      return { kind: 'notification', msg: body as unknown as JsonRpcNotification };
    case 'request':
      return { kind: 'request', msg: body as unknown as JsonRpcRequest };
    case 'bad-id':
      return { kind: 'invalid', reason: '"id" must be a string or a number' };
    case 'bad-method':
      return { kind: 'invalid', reason: '"method" must be a string' };
    case 'response':
      return {
        kind: 'response',
        id: body['id'] as JsonRpcId,
        result: body['result'] as RawObject | undefined,
        error: body['error'],
      };
    default:
      return {
        kind: 'invalid',
        reason:
          'a message needs "method" (request or notification) or "result"/"error" with an "id" (response)',
      };
  }
}

function params(body: RawObject): RawObject | undefined | false {
  const p = body['params'];
  if (p === undefined) return undefined;
  return isObject(p) ? p : false;
}

/** The request's `_meta` object, if any. */
export function metaOf(params: RawObject | undefined): RawObject | undefined {
  const m = params?.['_meta'];
  return isObject(m) ? m : undefined;
}

const ENVELOPE_KEYS = [META_PROTOCOL_VERSION, META_CLIENT_INFO, META_CLIENT_CAPABILITIES, META_LOG_LEVEL];

/**
 * Params to forward upstream for a 2026-07-28 request: the per-request envelope belongs to the hop
 * between client and gateway (upstreams have their own, negotiated by the upstream connection), so its
 * reserved keys are removed; every other `_meta` key (progressToken, openai/*, ...) stays as sent.
 */
export function withoutEnvelope(params: RawObject | undefined): RawObject | undefined {
  const meta = metaOf(params);
  if (params === undefined || meta === undefined) return params;
  const rest: RawObject = {};
  let kept = 0;
  for (const k in meta) {
    if (ENVELOPE_KEYS.includes(k)) continue;
    rest[k] = meta[k];
    kept++;
  }
  const out: RawObject = { ...params };
  if (kept === 0) delete out['_meta'];
  else out['_meta'] = rest;
  return out;
}
