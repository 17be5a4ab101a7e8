import type { IncomingMessage, ServerResponse } from 'node:http';

/** Who is calling, as established by the public listener's auth hook. */
export interface Principal {
  /** 'tunnel': a request delivered by OpenAI's Secure MCP Tunnel, bound to the owner's OpenAI workspace. */
  /** 'doctor': the owner's connection doctor (auth/doctor-access.ts), never a remote client. */
  kind: 'oauth' | 'anonymous' | 'local' | 'tunnel' | 'doctor';
  clientId?: string;
  clientName?: string;
  grantId?: string;
  scopes: readonly string[];
}

export type AuthDecision =
  | { ok: true; principal: Principal }
  | { ok: false; status: number; headers?: Record<string, string>; body?: unknown };

/**
 * The seam between the public listener (gateway/front) and auth/.
 * The front calls `handle` first for every request: auth/ serves its own routes (well-known metadata,
 * /oauth/*, the approval page) and returns true. For the MCP path the front calls `authenticate`.
 */
export interface PublicAuthHook {
  /** Paths at which MCP is served (e.g. ['/mcp'] or ['/s/<secret>/mcp'] for `--auth none`). */
  mcpPaths(): readonly string[];
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
  authenticate(req: IncomingMessage, url: URL): Promise<AuthDecision>;
}
