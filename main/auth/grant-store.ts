import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createSerialWriter, readJsonFile } from './json-file.js';
import { redirectHost, redirectUriMatches } from './redirect-uri.js';
import { hashToken, randomToken } from './token-codec.js';
import type { Clock } from '../common/clock.js';

/** What the owner approved for one client; survives restarts. Holds hashes, never token values. */
export interface Grant {
  id: string;
  clientId: string;
  clientName: string;
  redirectHost: string;
  /**
   * The redirect URI the owner approved (absent on grants from before it was recorded): the only
   * place, with its client, that authorization errors may be redirected to (RFC 9700 §4.11.2).
   */
  redirectUri?: string;
  cimdUrl?: string;
  scopes: string[];
  /** The RFC 8707 resource the tokens are bound to (the MCP URL at approval time). */
  resource: string;
  createdAt: number;
  lastUsedAt?: number;
  /** SHA-256 of the current refresh token. */
  refreshHash: string;
  refreshExpiresAt: number;
  /** Hashes of rotated-out refresh tokens: presenting one again is a replay (OAuth 2.1 §4.3.1). */
  usedRefreshHashes: string[];
  /** When the refresh token was last rotated (the start of the retry grace window). */
  rotatedAt?: number;
  /** How the client must authenticate at the token endpoint; absent: a public client ("none"). */
  authMethod?: 'private_key_jwt';
}

/** Why Tunnelgate itself revoked a grant (as opposed to the owner or the client). */
export type AutoRevokeReason = 'refresh-reuse' | 'code-reuse';

/** A grant Tunnelgate revoked by itself, remembered so the client and the owner hear why. */
export interface GrantRevocation {
  grantId: string;
  clientId: string;
  clientName: string;
  reason: AutoRevokeReason;
  at: number;
}

interface GrantsFile {
  version: 1;
  grants: Grant[];
  /** Revoked access tokens (RFC 7009) by jti, until they would have expired anyway. */
  revokedJtis: Record<string, number>;
  autoRevoked?: GrantRevocation[];
}

/** What the client is told about a grant Tunnelgate revoked by itself (not "revoked by the owner"). */
export function autoRevokeMessage(reason: AutoRevokeReason): string {
  return reason === 'refresh-reuse'
    ? 'refresh token reused; sign in again. Tunnelgate revoked this access because a refresh token that had already been replaced was presented again (RFC 9700 §4.14.2).'
    : 'authorization code reused; sign in again. Tunnelgate revoked the access issued from that code (OAuth 2.1 §4.1.3).';
}

export type RotateResult =
  | { ok: true; grant: Grant; refreshToken: string; retry?: true }
  | { ok: false; reason: 'unknown' | 'replayed' | 'expired' | 'superseded'; grant?: Grant };

const REFRESH_LIFETIME_MS = 90 * 24 * 3_600_000;
const KEEP_USED_HASHES = 50;
/**
 * A retry of the just-rotated refresh token within this window gets the same successor instead of
 * revoking the grant: an answer lost in the tunnel, or two workers refreshing at once, send the same
 * token twice (RFC 9700 §4.14.2 allows such a grace period for rotation).
 */
const REFRESH_GRACE_MS = 60_000;
const KEEP_REVOCATIONS = 20;
const REVOCATION_MEMORY_MS = 30 * 24 * 3_600_000;

/** Grants persisted in `<dataDir>/auth/grants.json` (metadata and hashes only). */
export async function createGrantStore(deps: {
  dataDir: string;
  clock: Clock;
  onChange?: () => void;
  /** Tunnelgate revoked a grant by itself (replay, code reuse): the owner must hear it. */
  onAutoRevoke?: (revocation: GrantRevocation) => void;
  warn?: (message: string) => void;
}) {
  const path = join(deps.dataDir, 'auth', 'grants.json');
  const file = await readJsonFile<GrantsFile>(path, { version: 1, grants: [], revokedJtis: {} }, deps.warn);
  const grants = new Map<string, Grant>((file.grants ?? []).map((g) => [g.id, g]));
  const revokedJtis = new Map<string, number>(Object.entries(file.revokedJtis ?? {}));
  let autoRevoked: GrantRevocation[] = Array.isArray(file.autoRevoked) ? file.autoRevoked : [];
  /**
   * The successor handed out by the last rotation of each grant, in memory only (never on disk): a
   * retry within the grace window gets this same token, so whichever answer the client keeps works.
   */
  const successors = new Map<string, { fromHash: string; token: string }>();
  const writer = createSerialWriter(path, (): GrantsFile => ({
    version: 1,
    grants: [...grants.values()],
    revokedJtis: Object.fromEntries(revokedJtis),
    autoRevoked,
  }));
  let touchTimer: NodeJS.Timeout | undefined;

  const changed = async () => {
    await writer.save();
    deps.onChange?.();
  };

  function issueRefresh(grant: Grant): string {
    const token = `${grant.id}.${randomToken()}`;
    grant.refreshHash = hashToken(token);
    grant.refreshExpiresAt = deps.clock.now() + REFRESH_LIFETIME_MS;
    return token;
  }

  return {
    async create(
      input: Omit<
        Grant,
        'id' | 'createdAt' | 'refreshHash' | 'refreshExpiresAt' | 'usedRefreshHashes' | 'rotatedAt'
      >,
    ) {
      const grant: Grant = {
        ...input,
        id: `g_${randomBytes(12).toString('base64url')}`,
        createdAt: deps.clock.now(),
        refreshHash: '',
        refreshExpiresAt: 0,
        usedRefreshHashes: [],
      };
      const refreshToken = issueRefresh(grant);
      grants.set(grant.id, grant);
      await changed();
      return { grant, refreshToken };
    },

    get(id: string): Grant | undefined {
      return grants.get(id);
    },

    list(): Grant[] {
      return [...grants.values()].sort((a, b) => a.createdAt - b.createdAt);
    },

    /**
     * Deletes the grant: every token from it fails on its next use. With a reason, Tunnelgate revoked
     * it by itself: that is remembered (for the client's error and the owner's window) and reported.
     */
    async revoke(id: string, reason?: AutoRevokeReason): Promise<boolean> {
      const grant = grants.get(id);
      if (!grant) return false;
      grants.delete(id);
      successors.delete(id);
      let revocation: GrantRevocation | undefined;
      if (reason) {
        const now = deps.clock.now();
        revocation = { grantId: id, clientId: grant.clientId, clientName: grant.clientName, reason, at: now };
        autoRevoked = [...autoRevoked.filter((r) => r.at > now - REVOCATION_MEMORY_MS), revocation].slice(
          -KEEP_REVOCATIONS,
        );
      }
      await changed();
      if (revocation) deps.onAutoRevoke?.(revocation);
      return true;
    },

    /** Why Tunnelgate revoked this grant by itself, if it did. */
    autoRevocation(id: string): GrantRevocation | undefined {
      return autoRevoked.find((r) => r.grantId === id);
    },

    /** Grants Tunnelgate revoked by itself lately, newest first. */
    autoRevocations(): GrantRevocation[] {
      return [...autoRevoked].reverse();
    },

    /**
     * Whether the owner approved `redirectUri` for this client: some grant of the client was made
     * through it. Only such a URI may receive an error redirect (RFC 9700 §4.11.2): anyone can register
     * a client, so a registered URI alone is nobody's vetted address.
     */
    approvesRedirect(clientId: string, redirectUri: string): boolean {
      for (const g of grants.values()) {
        if (g.clientId !== clientId) continue;
        if (
          g.redirectUri !== undefined
            ? redirectUriMatches([g.redirectUri], redirectUri)
            : g.redirectHost === redirectHost(redirectUri)
        )
          return true;
      }
      return false;
    },

    /** The grant a refresh token names (by its id prefix), whatever the token's state. */
    grantNamedBy(refreshToken: string): Grant | undefined {
      return grants.get(refreshToken.split('.')[0] ?? '');
    },

    /**
     * Exchanges a refresh token for a new one (rotation). The just-rotated token presented again
     * within REFRESH_GRACE_MS gets the same successor (`retry`); any other rotated-out token is a
     * replay (OAuth 2.1 §4.3.1), for the caller to punish. The caller has checked the client.
     */
    async rotate(refreshToken: string): Promise<RotateResult> {
      const grant = grants.get(refreshToken.split('.')[0] ?? '');
      if (!grant) return { ok: false, reason: 'unknown' };
      const hash = hashToken(refreshToken);
      const now = deps.clock.now();
      if (grant.usedRefreshHashes.includes(hash)) {
        const justRotated = grant.usedRefreshHashes.at(-1) === hash;
        if (!justRotated || now - (grant.rotatedAt ?? 0) > REFRESH_GRACE_MS)
          return { ok: false, reason: 'replayed', grant };
        const next = successors.get(grant.id);
        // After a restart the successor is gone (it is never written down): refuse, but keep the grant.
        if (!next || next.fromHash !== hash || hashToken(next.token) !== grant.refreshHash)
          return { ok: false, reason: 'superseded', grant };
        return { ok: true, grant, refreshToken: next.token, retry: true };
      }
      if (hash !== grant.refreshHash) return { ok: false, reason: 'unknown' };
      if (grant.refreshExpiresAt <= now) return { ok: false, reason: 'expired', grant };
      grant.usedRefreshHashes = [...grant.usedRefreshHashes, hash].slice(-KEEP_USED_HASHES);
      grant.rotatedAt = now;
      const token = issueRefresh(grant);
      // Recorded before the write below yields, so a concurrent retry already finds it.
      successors.set(grant.id, { fromHash: hash, token });
      // Kept no longer than needed: a live refresh token is a credential.
      setTimeout(() => {
        if (successors.get(grant.id)?.token === token) successors.delete(grant.id);
      }, REFRESH_GRACE_MS + 1_000).unref();
      await writer.save();
      return { ok: true, grant, refreshToken: token };
    },

    /** Whether `refreshToken` is the current refresh token of some grant (for RFC 7009 revocation). */
    grantOfRefreshToken(refreshToken: string): Grant | undefined {
      const grant = grants.get(refreshToken.split('.')[0] ?? '');
      return grant && grant.refreshHash === hashToken(refreshToken) ? grant : undefined;
    },

    /** Notes a use; written to disk in batches since it happens on every call. */
    touch(id: string): void {
      const grant = grants.get(id);
      if (!grant) return;
      grant.lastUsedAt = deps.clock.now();
      if (!touchTimer) {
        touchTimer = setTimeout(() => {
          touchTimer = undefined;
          void writer.save().catch(() => undefined);
        }, 2_000);
        touchTimer.unref();
      }
    },

    async revokeJti(jti: string, exp: number): Promise<void> {
      const nowSec = deps.clock.now() / 1000;
      for (const [k, e] of revokedJtis) if (e < nowSec) revokedJtis.delete(k);
      revokedJtis.set(jti, exp);
      await writer.save();
    },

    isJtiRevoked(jti: string): boolean {
      return revokedJtis.has(jti);
    },

    async close(): Promise<void> {
      successors.clear();
      if (touchTimer) clearTimeout(touchTimer);
      touchTimer = undefined;
      await writer.save().catch(() => undefined);
    },
  };
}

export type GrantStore = Awaited<ReturnType<typeof createGrantStore>>;
