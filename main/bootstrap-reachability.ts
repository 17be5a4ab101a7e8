/**
 * The tunnel's reachability probe for `--auth none`. The tunnel's default probe fetches RFC 9728
 * metadata (/.well-known/oauth-protected-resource), which only exists in oauth mode: in none mode the
 * gateway answers it 404, so the checklist would say "not reachable" for a working tunnel. Here the
 * probe GETs the secret MCP path without `Accept: text/event-stream`; only our front answers that
 * with its 406 JSON-RPC error, which proves the request went through Cloudflare to this gateway.
 */
import { GET_NEEDS_SSE_MESSAGE } from './gateway/gateway.js';
import type { ReachabilityResult } from './tunnel/index.js';

export interface McpPathProbeDeps {
  /** The MCP path to probe (with `--auth none` it holds the secret segment: never put it in words). */
  path(): string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** A `checkReachable` for createTunnelManager that probes the MCP path itself. */
export function createMcpPathProbe(
  deps: McpPathProbeDeps,
): (publicOrigin: string) => Promise<ReachabilityResult> {
  const doFetch = deps.fetch ?? globalThis.fetch;
  return async (publicOrigin) => {
    const origin = publicOrigin.replace(/\/+$/, '');
    // Details are shown in the window and may be logged: they name the origin, never the secret path.
    const where = `${origin} (the MCP path)`;
    let res: Response;
    try {
      res = await doFetch(`${origin}${deps.path()}`, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
      });
    } catch (err) {
      return {
        ok: false,
        detail: `Could not fetch ${where}: ${describe(err)}. The public URL does not answer from this computer yet.`,
      };
    }
    const body = await res.text().catch(() => '');
    if (fromGateway(res.status, body)) {
      return { ok: true, detail: `${where} answered through the tunnel: the gateway is reachable.` };
    }
    if (res.status === 502 || res.status === 530 || /error code: 10\d\d/i.test(body)) {
      return {
        ok: false,
        detail: `${where} answered ${res.status} from Cloudflare: the tunnel is up but cloudflared cannot reach the gateway on this computer.`,
      };
    }
    return {
      ok: false,
      detail: `${where} answered ${res.status}, not the gateway's own answer: something else serves this URL.`,
    };
  };
}

/** The front's 406 for a GET without SSE, or its 503 when busy (the concurrency cap): both are ours. */
function fromGateway(status: number, body: string): boolean {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof json !== 'object' || json === null) return false;
  const o = json as { jsonrpc?: unknown; error?: unknown };
  if (status === 406 && o.jsonrpc === '2.0' && typeof o.error === 'object' && o.error !== null) {
    return (o.error as { message?: unknown }).message === GET_NEEDS_SSE_MESSAGE;
  }
  return status === 503 && o.error === 'overloaded';
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'no answer within the time limit';
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : err.message;
}
