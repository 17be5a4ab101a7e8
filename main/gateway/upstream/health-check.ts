import { UpstreamError, UPSTREAM_ERROR, type RawObject } from './types.js';

export interface HealthCheck {
  /** Interval (ms); 0 = off. */
  every: number;
  /** How long (ms) since anything was heard from the upstream. */
  quietFor(): number;
  ready(): boolean;
  /** The cheapest request the upstream answers, with this timeout. */
  probe(waitMs: number): Promise<RawObject>;
  /** The probe timed out: the upstream is declared down. */
  silent(waitMs: number): void;
}

/**
 * After `every` ms with nothing heard from the upstream, one cheap request (spec: Utilities/Ping) so a
 * remote server that went away is noticed while idle. Unreachable servers are reported by the
 * transport itself; only a silent one (the probe times out) is declared down here.
 */
export function startHealthCheck(h: HealthCheck): NodeJS.Timeout | undefined {
  if (h.every <= 0) return undefined;
  const waitMs = Math.min(h.every, 10_000);
  const timer = setInterval(() => {
    if (!h.ready() || h.quietFor() < h.every) return;
    h.probe(waitMs).catch((err: unknown) => {
      if (err instanceof UpstreamError && err.code === UPSTREAM_ERROR.timeout) h.silent(waitMs);
    });
  }, h.every);
  timer.unref();
  return timer;
}
