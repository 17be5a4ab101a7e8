import { randomBytes } from 'node:crypto';
import type { RawObject } from '../upstream/types.js';
import type { Outcome } from './observe.js';

/** How long an `input_required` answer waits for the client's retry before the call is abandoned. */
const EXCHANGE_TTL_MS = 10 * 60_000;

interface Pending {
  resolve(r: RawObject): void;
  reject(e: Error): void;
}

/**
 * One call in the 2026-07-28 multi-round-trip flow: there is no server-to-client request channel, so
 * a sampling/elicitation/roots request from the upstream is returned to the client inside an
 * `input_required` result, and the client retries the same request with `inputResponses` and the
 * `requestState` we gave it. The upstream call stays open meanwhile.
 */
export class InputExchange {
  readonly ctrl = new AbortController();
  private readonly pending = new Map<string, Pending>();
  private fresh: Record<string, RawObject> = {};
  private settled?: Outcome;
  private wake?: () => void;
  private seq = 0;
  token?: string;
  timer?: NodeJS.Timeout;
  outcome?: Promise<Outcome>;

  constructor(
    readonly owner: string,
    readonly method: string,
  ) {}

  /** Feeds the router call's eventual outcome in. */
  track(outcome: Promise<Outcome>): void {
    this.outcome = outcome;
    void outcome.then((o) => {
      this.settled = o;
      this.wake?.();
    });
  }

  /** Called by the router (ctx.ask) when the upstream asks the client something. */
  ask(method: string, params: RawObject): Promise<RawObject> {
    const id = `in${++this.seq}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.fresh[id] = { method, params };
      this.wake?.();
    });
  }

  /** Delivers the client's answers from a retry. */
  answer(responses: RawObject): void {
    for (const [id, result] of Object.entries(responses)) {
      const p = this.pending.get(id);
      if (p === undefined) continue;
      this.pending.delete(id);
      p.resolve(result as RawObject);
    }
  }

  /** Waits until the call finishes or the upstream has new questions (gathered for one tick). */
  next(): Promise<
    { kind: 'final'; outcome: Outcome } | { kind: 'input'; requests: Record<string, RawObject> }
  > {
    return new Promise((resolve) => {
      const check = (): void => {
        this.wake = undefined;
        if (this.settled !== undefined) return resolve({ kind: 'final', outcome: this.settled });
        if (Object.keys(this.fresh).length > 0) {
          setImmediate(() => {
            if (this.settled !== undefined) return resolve({ kind: 'final', outcome: this.settled });
            const requests = this.fresh;
            this.fresh = {};
            resolve({ kind: 'input', requests });
          });
          return;
        }
        this.wake = check;
      };
      check();
    });
  }

  abandon(reason: string): void {
    this.ctrl.abort();
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }
}

/**
 * Prefix of the requestState tokens the gateway makes. Any other requestState is an upstream's own
 * (a 2026-07-28 upstream's `input_required` passed through unchanged): the retry carrying it goes to
 * that upstream as the client sent it.
 */
const TOKEN_PREFIX = 'tunnelgate.';

/** Whether a requestState is one of the gateway's (else an upstream's, relayed as is). */
export function isGatewayState(token: string): boolean {
  return token.startsWith(TOKEN_PREFIX);
}

/**
 * Parked exchanges one client may hold. Each is an upstream call still in flight (a stdio server's
 * handler, one of the 128 sockets to an HTTP upstream) that no HTTP request holds open, so neither the
 * public listener's cap on requests in flight nor a client closing its connection bounds them: without
 * this, one client could park enough calls to starve every other client of an upstream for
 * EXCHANGE_TTL_MS. Past it the client's oldest parked call is abandoned (its retry gets "expired").
 */
export const MAX_PARKED_PER_CLIENT = 32;

/** Open exchanges by their unguessable requestState token. */
export function createExchangeTable(maxPerOwner = MAX_PARKED_PER_CLIENT) {
  const table = new Map<string, InputExchange>();
  const drop = (ex: InputExchange, reason: string): void => {
    clearTimeout(ex.timer);
    table.delete(ex.token!);
    ex.abandon(reason);
    // Still log the call: it ended (cancelled) without any response to carry it.
    void ex.outcome?.then((o) => o.finish());
  };
  return {
    park(ex: InputExchange): string {
      ex.token ??= TOKEN_PREFIX + randomBytes(18).toString('base64url');
      clearTimeout(ex.timer);
      ex.timer = setTimeout(
        () => drop(ex, 'the client did not answer the input request in time'),
        EXCHANGE_TTL_MS,
      );
      ex.timer.unref();
      table.set(ex.token, ex);
      // Oldest first (a Map keeps insertion order; a parked-again exchange was taken out meanwhile).
      const mine = [...table.values()].filter((e) => e.owner === ex.owner);
      for (const old of mine.slice(0, Math.max(0, mine.length - maxPerOwner)))
        drop(old, `the client left more than ${maxPerOwner} input requests unanswered`);
      return ex.token;
    },
    take(token: string, owner: string, method: string): InputExchange | undefined {
      const ex = table.get(token);
      if (ex === undefined || ex.owner !== owner || ex.method !== method) return undefined;
      table.delete(token);
      clearTimeout(ex.timer);
      return ex;
    },
    close(): void {
      for (const ex of table.values()) {
        clearTimeout(ex.timer);
        ex.abandon('the gateway is shutting down');
      }
      table.clear();
    },
  };
}
