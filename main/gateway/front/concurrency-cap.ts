import type { ServerResponse } from 'node:http';

/**
 * Caps requests in flight on the public listener. A Cloudflare quick tunnel allows 200 concurrent
 * requests and then answers 429 itself (PROTOCOL.md, cloudflared); refusing earlier with 503 and
 * Retry-After (RFC 9110 §15.6.4) keeps the gateway in control and tells clients when to come back.
 */
export function createConcurrencyCap(options: { max?: number; retryAfterSeconds?: number } = {}) {
  const max = options.max ?? 150;
  const retryAfter = String(options.retryAfterSeconds ?? 2);
  let inFlight = 0;

  return {
    /** A release function (idempotent) if there is room, else null. */
    tryEnter(): (() => void) | null {
      if (inFlight >= max) return null;
      inFlight++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight--;
      };
    },
    /**
     * For the front: enters, or answers 503 and returns null. The slot is released when the response
     * is done: its 'close', which node:http emits once for every response, after 'finish' or when the
     * connection went first (one listener per call instead of two; issue 16).
     */
    guard(res: ServerResponse): boolean {
      const release = this.tryEnter();
      if (!release) {
        const body = JSON.stringify({
          error: 'overloaded',
          error_description: `More than ${max} requests are in progress. Retry after ${retryAfter} s.`,
        });
        res.writeHead(503, {
          'Content-Type': 'application/json',
          'Retry-After': retryAfter,
          'Content-Length': String(Buffer.byteLength(body)),
        });
        res.end(body);
        return false;
      }
      // on(), not once(): it comes once, so the wrapper once() makes per call is not needed.
      res.on('close', release);
      return true;
    },
    inFlight(): number {
      return inFlight;
    },
    max,
  };
}

export type ConcurrencyCap = ReturnType<typeof createConcurrencyCap>;
