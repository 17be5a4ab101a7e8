import type { Clock } from '../common/clock.js';

/**
 * A token bucket per key (IP address or client id): `limit` events per `windowMs`, refilled
 * continuously. Used for failed authentication per IP and for calls per client (answer 429 +
 * Retry-After, RFC 6585 §4).
 */
export function createRateLimiter(deps: { limit: number; windowMs: number; clock: Clock; maxKeys?: number }) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const rate = deps.limit / deps.windowMs;
  const maxKeys = deps.maxKeys ?? 10_000;

  function bucket(key: string) {
    const now = deps.clock.now();
    let b = buckets.get(key);
    if (!b) {
      if (buckets.size >= maxKeys) {
        // Forget the fullest buckets first: they are the least interesting to keep.
        for (const [k, v] of buckets) if (v.tokens + (now - v.at) * rate >= deps.limit) buckets.delete(k);
        if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
      }
      b = { tokens: deps.limit, at: now };
      buckets.set(key, b);
    }
    b.tokens = Math.min(deps.limit, b.tokens + (now - b.at) * rate);
    b.at = now;
    return b;
  }

  const waitFor = (b: { tokens: number }): number =>
    b.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));

  return {
    /** Seconds until one more event is allowed for `key`, or 0 if allowed now (nothing consumed). */
    retryAfter: (key: string): number => waitFor(bucket(key)),
    /** Consumes one event; returns 0 if allowed, else the seconds to wait (nothing consumed). */
    take(key: string): number {
      const b = bucket(key);
      const wait = waitFor(b);
      if (wait === 0) b.tokens -= 1;
      return wait;
    },
    close(): void {
      buckets.clear();
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
