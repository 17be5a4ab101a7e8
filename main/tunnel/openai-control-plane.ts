/**
 * HTTP client for the Secure MCP Tunnel control plane (openai/tunnel-client docs/protocol.md): the
 * plural /v1/tunnels/{id} paths, the common headers on every request, one long-poll, and response
 * POSTs with the retry rules of "Errors, retries, and concurrency". Time goes through `clock` so
 * tests never sleep for real backoff.
 */
import type { Clock } from '../common/clock.js';
import {
  HEADER,
  WIRE_PROTOCOL_VERSION,
  errorCodeOf,
  parseRetryAfter,
  type PolledCommand,
  type TunnelResponsePayload,
} from './openai-wire.js';

export interface ControlPlaneDeps {
  /** Host root, e.g. https://api.openai.com (no /v1 path). */
  baseUrl: string;
  tunnelId: string;
  /** The tunnel's runtime API key, held in memory only (read from the keychain at start). */
  apiKey: string;
  clientName: string;
  clientVersion: string;
  /** Stable per running client; protocol.md sends it alongside X-Tunnel-MCP-Server-Info. */
  instanceId: string;
  serverInfo: string;
  fetch: typeof fetch;
  clock: Clock;
  random?: () => number;
  /** Response POST retries: first delay ceiling, largest ceiling, attempts; Retry-After cap. */
  retry?: { baseMs?: number; maxMs?: number; attempts?: number; retryAfterCapMs?: number };
}

export type PollOutcome =
  | { kind: 'commands'; receivedAt: number; commands: PolledCommand[] }
  | { kind: 'idle' }
  /** 401/403: the key is wrong, revoked or lacks tunnel use; needs the owner, never a tight loop. */
  | { kind: 'unauthorized'; status: number; code?: string; message?: string }
  /** Transient: network failure, 429 or 5xx; `retryAfterMs` from a valid Retry-After. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** Any other answer (400 invalid_tunnel_id_format, ...): a configuration problem. */
  | { kind: 'rejected'; status: number; code?: string; message?: string };

export type PostOutcome = 'ok' | 'gone' | 'unauthorized' | 'failed' | 'aborted';

/** Errors thrown by fetch before the request left (nothing can have been enqueued twice). */
const PRE_WRITE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function errnoOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** Waits `ms` on the injected clock; resolves false at once if `signal` aborts first. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff with full jitter: uniformly random in [0, min(max, base * 2^attempt)]. */
export function fullJitter(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

export function createControlPlaneClient(deps: ControlPlaneDeps) {
  const root = `${deps.baseUrl.replace(/\/+$/, '')}/v1/tunnels/${encodeURIComponent(deps.tunnelId)}`;
  const random = deps.random ?? Math.random;
  const retry = { baseMs: 250, maxMs: 8000, attempts: 6, retryAfterCapMs: 60_000, ...deps.retry };
  const common = (): Record<string, string> => ({
    [HEADER.authorization]: `Bearer ${deps.apiKey}`,
    [HEADER.clientName]: deps.clientName,
    [HEADER.clientVersion]: deps.clientVersion,
    [HEADER.wireVersion]: WIRE_PROTOCOL_VERSION,
    [HEADER.serverInfo]: deps.serverInfo,
    [HEADER.instanceId]: deps.instanceId,
  });
  const readJson = async (res: Response): Promise<unknown> => {
    const text = await res.text().catch(() => '');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  };
  const retryAfter = (res: Response): number | undefined =>
    parseRetryAfter(res.headers.get('retry-after'), Date.now(), retry.retryAfterCapMs);

  return {
    /** GET /v1/tunnels/{id}: startup metadata (id, name, description; other fields ignored). */
    async metadata(signal: AbortSignal): Promise<{ status: number; name?: string; code?: string }> {
      const res = await deps.fetch(root, { headers: common(), signal });
      const body = await readJson(res);
      if (res.status !== 200) return { status: res.status, ...errorCodeOf(body) };
      const name = (body as { name?: unknown } | undefined)?.name;
      return { status: 200, ...(typeof name === 'string' ? { name: name.slice(0, 200) } : {}) };
    },

    /** One long-poll: GET .../poll?limit=&timeout_ms= (protocol.md "Poll loop"). */
    async poll(limit: number, timeoutMs: number, signal: AbortSignal): Promise<PollOutcome> {
      let res: Response;
      try {
        res = await deps.fetch(`${root}/poll?limit=${limit}&timeout_ms=${timeoutMs}`, {
          headers: common(),
          signal,
        });
      } catch (err) {
        if (signal.aborted) return { kind: 'retry', reason: 'stopped' };
        return {
          kind: 'retry',
          reason: `could not reach the control plane (${errnoOf(err) ?? String(err)})`,
        };
      }
      // One receipt time per response, taken when the headers arrive and before the body is decoded:
      // every command's deadline is anchored here ("Response timeout").
      const receivedAt = deps.clock.now();
      if (res.status === 204) {
        await res.body?.cancel().catch(() => undefined);
        return { kind: 'idle' };
      }
      if (res.status === 200) {
        const body = await readJson(res).catch(() => undefined);
        const commands = (body as { commands?: unknown } | undefined)?.commands;
        if (!Array.isArray(commands))
          return { kind: 'retry', reason: 'the control plane sent a poll answer without a commands list' };
        return { kind: 'commands', receivedAt, commands: commands as PolledCommand[] };
      }
      const detail = errorCodeOf(await readJson(res));
      if (res.status === 401 || res.status === 403)
        return { kind: 'unauthorized', status: res.status, ...detail };
      if (res.status === 429 || res.status >= 500) {
        const ra = retryAfter(res);
        return {
          kind: 'retry',
          reason: `the control plane answered ${res.status}${detail.code ? ` (${detail.code})` : ''}`,
          ...(ra === undefined ? {} : { retryAfterMs: ra }),
        };
      }
      return { kind: 'rejected', status: res.status, ...detail };
    },

    /**
     * POST .../response for one command. The shard token goes in its header only, never the body.
     * Terminal payloads retry network failures, 408, 429, 502, 503 and 504 with the same body and
     * headers; notifications retry only 429 and failures before the request was written (a replay
     * could enqueue the same notification twice). `signal` carries the command's deadline: no retry
     * or wait outlives it. 404 means already fulfilled or expired: terminal, never replayed.
     */
    async postResponse(
      shardToken: string,
      payload: TunnelResponsePayload,
      signal: AbortSignal,
    ): Promise<PostOutcome> {
      const terminal = payload.resp_type !== 'jsonrpc_notify';
      const body = JSON.stringify(payload);
      const headers = { ...common(), 'Content-Type': 'application/json', [HEADER.shardToken]: shardToken };
      for (let attempt = 0; ; attempt++) {
        if (signal.aborted) return 'aborted';
        let again = false;
        let minDelay: number | undefined;
        try {
          const res = await deps.fetch(`${root}/response`, { method: 'POST', headers, body, signal });
          await res.body?.cancel().catch(() => undefined);
          if (res.status >= 200 && res.status < 300) return 'ok';
          if (res.status === 404) return 'gone';
          if (res.status === 401 || res.status === 403) return 'unauthorized';
          again = terminal ? [408, 429, 502, 503, 504].includes(res.status) : res.status === 429;
          if (res.status === 429 || res.status === 503) minDelay = retryAfter(res);
        } catch (err) {
          if (signal.aborted) return 'aborted';
          again = terminal || PRE_WRITE_CODES.has(errnoOf(err) ?? '');
        }
        if (!again || attempt + 1 >= retry.attempts) return 'failed';
        const delay = (minDelay ?? 0) + fullJitter(attempt, retry.baseMs, retry.maxMs, random);
        if (!(await sleepOn(deps.clock, delay, signal))) return 'aborted';
      }
    },
  };
}

export type ControlPlaneClient = ReturnType<typeof createControlPlaneClient>;
