import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createSerialWriter, readJsonFile } from './json-file.js';
import { hashToken, randomToken } from './token-codec.js';
import type { Clock } from '../common/clock.js';

/** What the owner approved for one client; survives restarts. Holds hashes, never token values. */
export interface Grant {
  id: string;
  clientId: string;
  clientName: string;
  redirectHost: string;
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
}

interface GrantsFile {
  version: 1;
  grants: Grant[];
  /** Revoked access tokens (RFC 7009) by jti, until they would have expired anyway. */
  revokedJtis: Record<string, number>;
}

export type RotateResult =
  | { ok: true; grant: Grant; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'replayed' | 'expired'; grant?: Grant };

const REFRESH_LIFETIME_MS = 90 * 24 * 3_600_000;
const KEEP_USED_HASHES = 50;

/** Grants persisted in `<dataDir>/auth/grants.json` (metadata and hashes only). */
export async function createGrantStore(deps: {
  dataDir: string;
  clock: Clock;
  onChange?: () => void;
  warn?: (message: string) => void;
}) {
  const path = join(deps.dataDir, 'auth', 'grants.json');
  const file = await readJsonFile<GrantsFile>(path, { version: 1, grants: [], revokedJtis: {} }, deps.warn);
  const grants = new Map<string, Grant>((file.grants ?? []).map((g) => [g.id, g]));
  const revokedJtis = new Map<string, number>(Object.entries(file.revokedJtis ?? {}));
  const writer = createSerialWriter(path, (): GrantsFile => ({
    version: 1,
    grants: [...grants.values()],
    revokedJtis: Object.fromEntries(revokedJtis),
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
      input: Omit<Grant, 'id' | 'createdAt' | 'refreshHash' | 'refreshExpiresAt' | 'usedRefreshHashes'>,
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

    /** Deletes the grant: every token from it fails on its next use. */
    async revoke(id: string): Promise<boolean> {
      if (!grants.delete(id)) return false;
      await changed();
      return true;
    },

    /** Exchanges a refresh token for a new one (rotation); detects replays of rotated-out tokens. */
    async rotate(refreshToken: string): Promise<RotateResult> {
      const grant = grants.get(refreshToken.split('.')[0] ?? '');
      if (!grant) return { ok: false, reason: 'unknown' };
      const hash = hashToken(refreshToken);
      if (grant.usedRefreshHashes.includes(hash)) return { ok: false, reason: 'replayed', grant };
      if (hash !== grant.refreshHash) return { ok: false, reason: 'unknown' };
      if (grant.refreshExpiresAt <= deps.clock.now()) return { ok: false, reason: 'expired', grant };
      grant.usedRefreshHashes = [...grant.usedRefreshHashes, hash].slice(-KEEP_USED_HASHES);
      const next = issueRefresh(grant);
      await writer.save();
      return { ok: true, grant, refreshToken: next };
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
      if (touchTimer) clearTimeout(touchTimer);
      touchTimer = undefined;
      await writer.save().catch(() => undefined);
    },
  };
}

export type GrantStore = Awaited<ReturnType<typeof createGrantStore>>;
