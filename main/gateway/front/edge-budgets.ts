/**
 * In-flight budgets for the public listener (issue 10). Unauthenticated work (OAuth endpoints,
 * metadata, the approval page, 401 and 404 answers) is counted per client address and in a small
 * global pool; MCP requests with a valid token draw from their own pool. So one address flooding the
 * token endpoint with slow bodies runs out of its own few slots, a crowd of addresses runs out of the
 * unauthenticated pool, and approved clients keep the capacity reserved for them either way. Both
 * pools together stay below the 200 requests a quick tunnel lets through before Cloudflare answers
 * 429 itself (PROTOCOL.md, cloudflared).
 */
export interface EdgeBudgetOptions {
  /** Unauthenticated requests in flight per client address (IPv6 by /64); default 8. */
  perAddress?: number;
  /** Unauthenticated requests in flight in all; default 48. */
  unauthenticated?: number;
  /** Authenticated MCP requests in flight; default 128. */
  authenticated?: number;
  /** Retry-After on a refusal (RFC 9110 §10.2.3); default 2 s. */
  retryAfterSeconds?: number;
}

export type BudgetEntry =
  { ok: true; release: () => void } | { ok: false; status: 429 | 503; retryAfter: number; message: string };

export function createEdgeBudgets(options: EdgeBudgetOptions = {}) {
  const perAddress = options.perAddress ?? 8;
  const unauthMax = options.unauthenticated ?? 48;
  const authMax = options.authenticated ?? 128;
  const retryAfter = options.retryAfterSeconds ?? 2;
  const byAddress = new Map<string, number>();
  let unauth = 0;
  let auth = 0;

  const once = (fn: () => void): (() => void) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      fn();
    };
  };

  return {
    /** A slot for unauthenticated work from `address` (its budget key), or the refusal to send. */
    enterUnauthenticated(address: string): BudgetEntry {
      const mine = byAddress.get(address) ?? 0;
      // 429 for the one address over its share (RFC 6585 §4); 503 when the pool itself is full.
      if (mine >= perAddress)
        return {
          ok: false,
          status: 429,
          retryAfter,
          message: `Too many requests in progress from this address (at most ${perAddress}).`,
        };
      if (unauth >= unauthMax)
        return {
          ok: false,
          status: 503,
          retryAfter,
          message: 'Too many unauthenticated requests are in progress.',
        };
      byAddress.set(address, mine + 1);
      unauth++;
      return {
        ok: true,
        release: once(() => {
          unauth--;
          const left = (byAddress.get(address) ?? 1) - 1;
          if (left <= 0) byAddress.delete(address);
          else byAddress.set(address, left);
        }),
      };
    },
    /** A slot for an MCP request whose token was accepted. */
    enterAuthenticated(): BudgetEntry {
      if (auth >= authMax)
        return {
          ok: false,
          status: 503,
          retryAfter,
          message: `More than ${authMax} MCP requests are in progress.`,
        };
      auth++;
      return { ok: true, release: once(() => auth--) };
    },
    inFlight(): { unauthenticated: number; authenticated: number; addresses: number } {
      return { unauthenticated: unauth, authenticated: auth, addresses: byAddress.size };
    },
  };
}

export type EdgeBudgets = ReturnType<typeof createEdgeBudgets>;
