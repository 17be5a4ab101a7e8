import type { UpstreamAuth } from '../../../main/gateway/upstream/upstream-auth.js';

export type CallOutcome =
  { ok: true; result: Record<string, unknown> } | { ok: false; needsSignIn: true; status: number };

/**
 * What a remote upstream connection does with UpstreamAuth, reduced to one JSON-RPC POST: ask for
 * the header, send, on 401 ask unauthorized() and retry once. The fixture MCP server is stateless.
 */
export async function callWithAuth(
  auth: UpstreamAuth,
  url: string,
  method: string,
  params?: Record<string, unknown>,
): Promise<CallOutcome> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const authorization = await auth.authorization();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'MCP-Protocol-Version': '2025-06-18',
        ...(authorization ? { Authorization: authorization } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      const verdict = await auth.unauthorized({
        url,
        status: res.status,
        wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined,
        authorization,
      });
      if (verdict === 'needs-sign-in' || attempt === 1)
        return { ok: false, needsSignIn: true, status: res.status };
      continue;
    }
    const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
    if (!res.ok || !body.result)
      throw new Error(`upstream answered ${res.status}: ${JSON.stringify(body.error ?? body)}`);
    return { ok: true, result: body.result };
  }
  throw new Error('unreachable');
}
