import { isResponse } from './messages.js';
import type { RawObject } from './types.js';

const ACCEPT_BOTH = 'application/json, text/event-stream';

/**
 * The Streamable HTTP session as the client keeps it (spec 2025-11-25 "Transports: Streamable HTTP",
 * session management): Mcp-Session-Id from the initialize answer and the negotiated
 * MCP-Protocol-Version go on every later request; the initialize request is kept to start over after
 * a 404.
 */
export class HttpSession {
  id: string | undefined;
  protocolVersion: string | undefined;
  /** The initialize request as first sent, replayed when the session expires. */
  init: RawObject | undefined;
  private post: Record<string, string> | undefined;

  /** Session headers for GET and DELETE (and resumption). */
  headers(): Record<string, string> {
    return {
      ...(this.id ? { 'mcp-session-id': this.id } : {}),
      ...(this.protocolVersion ? { 'mcp-protocol-version': this.protocolVersion } : {}),
    };
  }

  /** Headers of every POST; one object, rebuilt only when the session or version changes. */
  postHeaders(): Record<string, string> {
    const c = this.post;
    if (c && c['mcp-session-id'] === this.id && c['mcp-protocol-version'] === this.protocolVersion) return c;
    this.post = { ...this.headers(), accept: ACCEPT_BOTH, 'content-type': 'application/json' };
    return this.post;
  }

  /** Notes the negotiated version when `msg` answers our initialize. */
  noteAnswer(msg: RawObject): void {
    if (this.init && isResponse(msg) && msg.id === this.init.id) {
      const v = (msg.result as RawObject | undefined)?.protocolVersion;
      if (typeof v === 'string') this.protocolVersion = v;
    }
  }

  /** Forgets the session (it expired); the initialize request is kept. */
  reset(): void {
    this.id = undefined;
    this.protocolVersion = undefined;
  }
}

/** Headers of the first POST of a new session. */
export const INIT_HEADERS: Readonly<Record<string, string>> = {
  accept: ACCEPT_BOTH,
  'content-type': 'application/json',
};
