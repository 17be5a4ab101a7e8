import { hashToken, randomToken } from './token-codec.js';
import type { Clock } from '../common/clock.js';

/** What an authorization code stands for; stored under the code's hash. */
export interface CodeGrantInfo {
  clientId: string;
  clientName: string;
  cimdUrl?: string;
  redirectUri: string;
  codeChallenge: string;
  resource: string;
  scopes: string[];
  /** How the client must authenticate when it redeems the code (from its metadata document). */
  authMethod?: 'private_key_jwt';
}

interface CodeRecord extends CodeGrantInfo {
  expiresAt: number;
  used: boolean;
  /** Set once exchanged, so a second use can revoke what the first one issued (OAuth 2.1 §4.1.3). */
  grantId?: string;
  /** A second use arrived while the first was still issuing: revoke as soon as the grant exists. */
  reusedBeforeIssue?: boolean;
}

export type RedeemResult =
  | { ok: true; info: CodeGrantInfo; markIssued(grantId: string): { reused: boolean } }
  | { ok: false; reason: 'unknown' | 'expired' }
  | { ok: false; reason: 'reused'; grantId?: string };

/** Single-use, short-lived authorization codes, in memory (a restart simply invalidates them). */
export function createCodeStore(deps: { clock: Clock; ttlMs?: number }) {
  const ttlMs = deps.ttlMs ?? 2 * 60_000;
  const codes = new Map<string, CodeRecord>();

  function sweep(): void {
    const now = deps.clock.now();
    // Used codes are kept a while longer so that a replay is recognised and punished.
    for (const [k, c] of codes) if (c.expiresAt + 10 * 60_000 <= now) codes.delete(k);
  }

  return {
    issue(info: CodeGrantInfo): string {
      sweep();
      const code = randomToken();
      codes.set(hashToken(code), { ...info, expiresAt: deps.clock.now() + ttlMs, used: false });
      return code;
    },

    /**
     * What a known code stands for (used or not), without consuming it: the client is checked first, so
     * someone without the client's key can neither spend a code nor, by replaying one, revoke its grant.
     */
    peek(code: string): CodeGrantInfo | undefined {
      return codes.get(hashToken(code));
    },

    /** Consumes a code. The caller checks client, redirect URI and PKCE before issuing tokens. */
    redeem(code: string): RedeemResult {
      sweep();
      const rec = codes.get(hashToken(code));
      if (!rec) return { ok: false, reason: 'unknown' };
      if (rec.used) {
        if (!rec.grantId) rec.reusedBeforeIssue = true;
        return { ok: false, reason: 'reused', grantId: rec.grantId };
      }
      rec.used = true;
      if (rec.expiresAt <= deps.clock.now()) return { ok: false, reason: 'expired' };
      return {
        ok: true,
        info: rec,
        markIssued: (grantId) => {
          rec.grantId = grantId;
          return { reused: rec.reusedBeforeIssue === true };
        },
      };
    },

    close(): void {
      codes.clear();
    },
  };
}

export type CodeStore = ReturnType<typeof createCodeStore>;
