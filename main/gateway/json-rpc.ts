import type { RawObject } from './upstream/types.js';

/**
 * What one JSON-RPC 2.0 message is, by its members (JSON-RPC 2.0 §4 request and notification, §5
 * response): the one classifier behind the front's validation of client messages and the upstream
 * connections' sorting of server messages. An id is a string or a finite number.
 */
export type MessageShape = 'request' | 'notification' | 'response' | 'bad-id' | 'bad-method' | 'unknown';

export function messageShape(msg: RawObject): MessageShape {
  const id = msg['id'];
  const idOk = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
  if (typeof msg['method'] === 'string') {
    if (id === undefined) return 'notification';
    return idOk ? 'request' : 'bad-id';
  }
  if (msg['method'] !== undefined) return 'bad-method';
  return idOk && ('result' in msg || 'error' in msg) ? 'response' : 'unknown';
}
