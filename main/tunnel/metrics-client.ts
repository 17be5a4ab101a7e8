/**
 * Talks to cloudflared's metrics server (`--metrics 127.0.0.1:M`), cloudflared's metrics/ package:
 *   GET /ready        200 {"status":200,"readyConnections":N,...} once an edge connection is up, else 503
 *   GET /quicktunnel  {"hostname":"words.trycloudflare.com"} (quick tunnels; hostname without scheme)
 */
export interface MetricsClient {
  /** HTTP status of /ready, or null when the metrics server does not answer (yet). */
  ready(): Promise<number | null>;
  /** Hostname of the quick tunnel from /quicktunnel, or null when absent or unknown. */
  quickTunnelHostname(): Promise<string | null>;
}

export function createMetricsClient(deps: {
  fetch: typeof fetch;
  port: number;
  timeoutMs?: number;
}): MetricsClient {
  const base = `http://127.0.0.1:${deps.port}`;
  const timeoutMs = deps.timeoutMs ?? 2000;
  const get = (path: string): Promise<Response> =>
    deps.fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return {
    async ready() {
      try {
        const res = await get('/ready');
        await res.arrayBuffer().catch(() => undefined);
        return res.status;
      } catch {
        return null;
      }
    },
    async quickTunnelHostname() {
      try {
        const res = await get('/quicktunnel');
        if (!res.ok) {
          await res.arrayBuffer().catch(() => undefined);
          return null;
        }
        const body = (await res.json()) as { hostname?: unknown };
        const host =
          typeof body.hostname === 'string'
            ? body.hostname.replace(/^https:\/\//, '').replace(/\/+$/, '')
            : '';
        return host.length > 0 ? host.toLowerCase() : null;
      } catch {
        return null;
      }
    },
  };
}
