/**
 * The CLI's way into a running `tunnelgate serve`: the same contract methods, over the dashboard
 * listener's HTTP API, authenticated with the token from the connection file.
 */
import { API_METHODS, type TunnelgateApi } from '../../preload/contract.js';
import { readControlConnection } from './connection-file.js';

export type ControlMethod = (typeof API_METHODS)[number];
/** Every request/response method of the contract (subscriptions need SSE and are not offered). */
export type ControlClient = Pick<TunnelgateApi, ControlMethod>;

export interface ControlHttpClientOptions {
  port: number;
  token: string;
  host?: string;
  /** Per call; default 30 s. */
  timeoutMs?: number;
}

export function createControlHttpClient(opts: ControlHttpClientOptions): ControlClient {
  const origin = `http://${opts.host ?? '127.0.0.1'}:${opts.port}`;
  async function call(method: ControlMethod, args: unknown[]): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${origin}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${opts.token}` },
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const why =
        err instanceof Error && err.name === 'TimeoutError'
          ? 'it did not answer in time'
          : 'nothing answered';
      throw new Error(
        `Could not reach the Tunnelgate gateway at ${origin} (${why}). Is "tunnelgate serve" running?`,
      );
    }
    let body: { result?: unknown; error?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new Error(
        `The gateway at ${origin} answered ${res.status} without JSON; is another program using that port?`,
      );
    }
    if (res.status === 401)
      throw new Error(
        'The gateway refused the dashboard token; restart "tunnelgate serve" or check the data folder.',
      );
    if (!res.ok || body.error !== undefined)
      throw new Error(body.error ?? `The gateway answered ${res.status}.`);
    return body.result === null ? undefined : body.result;
  }
  const client = {} as Record<ControlMethod, (...args: unknown[]) => Promise<unknown>>;
  for (const m of API_METHODS) client[m] = (...args: unknown[]) => call(m, args);
  return client as unknown as ControlClient;
}

/** A client for the gateway whose connection file is in `dataDir`. */
export async function connectControlClient(dataDir: string, timeoutMs?: number): Promise<ControlClient> {
  const info = await readControlConnection(dataDir);
  const opts: ControlHttpClientOptions = { port: info.port, token: info.token };
  if (timeoutMs !== undefined) opts.timeoutMs = timeoutMs;
  return createControlHttpClient(opts);
}
