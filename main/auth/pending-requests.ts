import { randomBytes, randomInt } from 'node:crypto';
import { addressGroup } from './address-filter.js';
import type { ClientRecord } from './client-record.js';
import type { Clock } from '../common/clock.js';

/** An authorization request waiting for the owner's decision in the app. */
export interface PendingRequest {
  /** Unguessable (128-bit): the approval page's address, the only handle the public side has. */
  id: string;
  /** Short code shown both on the page and in the app so the owner can tell requests apart. */
  pairingCode: string;
  client: ClientRecord;
  redirectUri: string;
  state?: string;
  codeChallenge: string;
  resource: string;
  requestedScopes: string[];
  /** The address that asked (Cf-Connecting-Ip through the tunnel): shown to the owner, and the queue's key. */
  ip?: string;
  createdAt: number;
  expiresAt: number;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  /** Where the browser is sent once decided: the redirect URI with `code` or `error`. */
  redirectTo?: string;
  /**
   * An error answer for a redirect URI the owner never approved: not followed by itself, only offered
   * as a link the person in the browser may choose (RFC 9700 §4.11.2).
   */
  returnTo?: string;
}

const PAIRING_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I/L: read aloud easily

function pairingCode(): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return `${s.slice(0, 3)}-${s.slice(3)}`;
}

/** Pending requests in memory: they expire (10 min by default) and are not worth a restart. */
export function createPendingRequests(deps: {
  clock: Clock;
  ttlMs?: number;
  maxPending?: number;
  maxPerAddress?: number;
  onChange?: () => void;
}) {
  const ttlMs = deps.ttlMs ?? 10 * 60_000;
  const maxPending = deps.maxPending ?? 50;
  const maxPerAddress = deps.maxPerAddress ?? 5;
  const maxWaitersPerRequest = 2;
  const maxWaiters = 32;
  const requests = new Map<string, PendingRequest>();
  const waiters = new Map<string, Set<() => void>>();

  function wake(id: string): void {
    const set = waiters.get(id);
    waiters.delete(id);
    for (const w of set ?? []) w();
  }

  /** Marks due requests expired and forgets decided ones an expiry period later. */
  function sweep(): boolean {
    const now = deps.clock.now();
    let changed = false;
    for (const r of requests.values()) {
      if (r.status === 'pending' && r.expiresAt <= now) {
        r.status = 'expired';
        changed = true;
        wake(r.id);
      } else if (r.status !== 'pending' && r.expiresAt + ttlMs <= now) {
        requests.delete(r.id);
      }
    }
    if (changed) deps.onChange?.();
    return changed;
  }

  const pending = () => [...requests.values()].filter((r) => r.status === 'pending');
  // IPv6 by /64 (address-filter.ts): one subscriber holds a whole /64 and must count as one address.
  const groupOf = (r: { ip?: string }) => (r.ip === undefined ? '' : addressGroup(r.ip));

  function drop(r: PendingRequest): void {
    r.status = 'expired';
    wake(r.id);
  }

  /** Decided and dropped requests are kept a while for their pages; bounded, since drops are cheap to cause. */
  function forgetBeyond(keep: number): void {
    const done = [...requests.values()].filter((r) => r.status !== 'pending');
    for (const r of done.slice(0, Math.max(0, done.length - keep))) requests.delete(r.id);
  }

  /**
   * The request to drop when the queue is full: the oldest one of the address group holding the most.
   * Plain "oldest first" would let a few addresses, each within its own cap, push a single waiting
   * request (the owner's) out again; taking from the largest holder leaves it alone until every
   * address is down to one request.
   */
  function victim(): PendingRequest | undefined {
    const byGroup = new Map<string, PendingRequest[]>();
    for (const r of pending().sort((a, b) => a.createdAt - b.createdAt)) {
      const key = groupOf(r);
      const list = byGroup.get(key);
      if (list) list.push(r);
      else byGroup.set(key, [r]);
    }
    let pick: PendingRequest[] | undefined;
    for (const list of byGroup.values()) {
      if (
        !pick ||
        list.length > pick.length ||
        (list.length === pick.length && list.at(-1)!.createdAt >= pick.at(-1)!.createdAt)
      )
        pick = list;
    }
    // Among equal holders the most recent request goes: a flood from many fresh addresses then churns
    // its own requests, and the owner's, asked earlier, stays until the owner acts on it.
    return pick?.[0];
  }

  return {
    /**
     * Queues a request for the owner. Always succeeds: an address over its share replaces its own
     * oldest request, and a full queue drops the oldest request of the largest holder, so the owner's
     * own sign-in always gets in (issue 10: 11 addresses x 5 requests used to lock it out for 10 min).
     */
    create(
      input: Omit<PendingRequest, 'id' | 'pairingCode' | 'createdAt' | 'expiresAt' | 'status'>,
    ): PendingRequest {
      sweep();
      // Capped per address, not per client: client ids are public (a CIMD URL such as ChatGPT's), so a
      // per-client cap would let anyone block the owner's client. An address over its cap replaces its
      // own oldest request, so a retrying owner is never stuck and an attacker only churns their own.
      const group = groupOf(input);
      const mine = pending()
        .filter((r) => groupOf(r) === group)
        .sort((a, b) => a.createdAt - b.createdAt);
      for (const old of mine.slice(0, Math.max(0, mine.length - maxPerAddress + 1))) drop(old);
      for (let r = victim(); r && pending().length >= maxPending; r = victim()) drop(r);
      forgetBeyond(maxPending * 4);
      const now = deps.clock.now();
      const req: PendingRequest = {
        ...input,
        id: randomBytes(16).toString('base64url'),
        pairingCode: pairingCode(),
        createdAt: now,
        expiresAt: now + ttlMs,
        status: 'pending',
      };
      requests.set(req.id, req);
      deps.onChange?.();
      return req;
    },

    get(id: string): PendingRequest | undefined {
      sweep();
      return requests.get(id);
    },

    list(): PendingRequest[] {
      sweep();
      return pending().sort((a, b) => a.createdAt - b.createdAt);
    },

    /** Records the decision; where the browser goes is computed by the caller (it mints the code). */
    decide(
      id: string,
      status: 'approved' | 'denied',
      target: { redirectTo: string } | { returnTo: string },
    ): void {
      const r = requests.get(id);
      if (!r) return;
      r.status = status;
      if ('redirectTo' in target) r.redirectTo = target.redirectTo;
      else r.returnTo = target.returnTo;
      wake(id);
      deps.onChange?.();
    },

    /**
     * Resolves true when the request changes state or after `timeoutMs` (long-poll); false at once
     * when too many polls already wait (per request, and in all). A quick tunnel serves only 200
     * requests in flight for the whole URL, so held polls must stay few whoever opens them.
     */
    waitForChange(id: string, timeoutMs: number): Promise<boolean> {
      let total = 0;
      for (const set of waiters.values()) total += set.size;
      if ((waiters.get(id)?.size ?? 0) >= maxWaitersPerRequest || total >= maxWaiters)
        return Promise.resolve(false);
      return new Promise((resolve) => {
        let set = waiters.get(id);
        if (!set) waiters.set(id, (set = new Set()));
        const done = () => {
          clearTimeout(timer);
          set!.delete(done);
          if (set!.size === 0 && waiters.get(id) === set) waiters.delete(id);
          resolve(true);
        };
        const timer = setTimeout(done, timeoutMs);
        timer.unref();
        set.add(done);
      });
    },

    sweep,

    /** Expires every waiting request that matches (e.g. bound to a public URL that is gone). */
    expireWhere(match: (r: PendingRequest) => boolean): void {
      let changed = false;
      for (const r of requests.values()) {
        if (r.status === 'pending' && match(r)) {
          r.status = 'expired';
          changed = true;
          wake(r.id);
        }
      }
      if (changed) deps.onChange?.();
    },

    close(): void {
      for (const id of [...waiters.keys()]) wake(id);
      requests.clear();
    },
  };
}

export type PendingRequests = ReturnType<typeof createPendingRequests>;
