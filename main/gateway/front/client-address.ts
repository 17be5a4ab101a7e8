import type { IncomingMessage } from 'node:http';
import { addressGroup } from '../../auth/address-filter.js';
import { recordClientAddress } from '../../auth/http-util.js';
import { headerValue } from './http-util.js';

/**
 * The address a public-listener request comes from, recorded for auth's rate limits and approval
 * queue, and the key its budget is counted under (IPv6 by /64).
 *
 * Cf-Connecting-Ip is trusted only while a Cloudflare tunnel is what forwards to this listener:
 * Cloudflare's edge overwrites any value a client sends. Behind the user's own reverse proxy the
 * header would be whatever the sender wrote, so there the socket's address is used (every request then
 * shares the proxy's address; the global budgets still hold). X-Forwarded-For is never read: its
 * left-most entry is the sender's own words in every setup.
 */
export function publicClientAddress(req: IncomingMessage, trustCloudflare: boolean): string {
  const cf = trustCloudflare ? headerValue(req.headers['cf-connecting-ip'])?.trim() : undefined;
  const address = cf || req.socket.remoteAddress || 'unknown';
  recordClientAddress(req, address);
  return addressGroup(address);
}
