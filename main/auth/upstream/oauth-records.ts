import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { SecretStore } from '../../secrets/secret-store.js';

/** Tokens for one upstream, as kept in the keychain (`oauth:<server>:tokens`). */
export interface StoredTokens {
  /** The upstream URL they were issued for: tokens are never sent to another URL. */
  serverUrl: string;
  issuer: string;
  resource: string;
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  /** ms since epoch; absent when the server gave no expires_in. */
  expiresAt?: number;
  obtainedAt: number;
  scope?: string;
}

/** Client registration for one upstream (`oauth:<server>:client`): DCR result or CIMD URL. */
export interface StoredClient {
  issuer: string;
  redirectUri: string;
  client: OAuthClientInformationMixed;
}

/**
 * Reads and writes one upstream's OAuth records in the SecretStore. Every secret value loaded or
 * saved is reported to `onSecretValues` so the activity log redacts it.
 */
export function createOAuthRecords(
  store: SecretStore,
  serverName: string,
  onSecretValues: (values: string[]) => void,
) {
  const tokensName = `oauth:${serverName}:tokens`;
  const clientName = `oauth:${serverName}:client`;

  const report = (values: Array<string | undefined>) => {
    const v = values.filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (v.length > 0) onSecretValues(v);
  };

  async function read<T>(name: string): Promise<T | undefined> {
    let raw: string | undefined;
    try {
      raw = await store.get(name);
    } catch {
      return undefined; // keychain unreadable: as good as no record; sign-in will say why it cannot save
    }
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      return undefined; // damaged record: sign in again rather than fail forever
    }
  }

  // Every request to a remote upstream asks for its tokens: read the keychain once, then keep them
  // in memory (misses too, so servers without OAuth cost no keychain call per request).
  let memo: { tokens: StoredTokens | undefined } | undefined;

  return {
    tokensName,
    clientName,
    /** The tokens loadTokens() would give, when they are in memory already; null before the first load. */
    tokensInMemory(): StoredTokens | undefined | null {
      return memo === undefined ? null : memo.tokens;
    },
    async loadTokens(): Promise<StoredTokens | undefined> {
      if (memo) return memo.tokens;
      const t = await read<StoredTokens>(tokensName);
      const tokens = t && typeof t.accessToken === 'string' ? t : undefined;
      if (tokens) report([tokens.accessToken, tokens.refreshToken]);
      memo = { tokens };
      return tokens;
    },
    async saveTokens(
      tokens: OAuthTokens,
      ctx: { serverUrl: string; issuer: string; resource: string; now: number; previous?: StoredTokens },
    ): Promise<StoredTokens> {
      const record: StoredTokens = {
        serverUrl: ctx.serverUrl,
        issuer: ctx.issuer,
        resource: ctx.resource,
        accessToken: tokens.access_token,
        tokenType: tokens.token_type,
        // A refresh response may omit refresh_token: keep the one we had (RFC 6749 §6).
        refreshToken: tokens.refresh_token ?? ctx.previous?.refreshToken,
        expiresAt: typeof tokens.expires_in === 'number' ? ctx.now + tokens.expires_in * 1000 : undefined,
        obtainedAt: ctx.now,
        scope: tokens.scope ?? ctx.previous?.scope,
      };
      report([record.accessToken, record.refreshToken]);
      await store.set(tokensName, JSON.stringify(record));
      memo = { tokens: record };
      return record;
    },
    async clearTokens(): Promise<void> {
      memo = { tokens: undefined };
      await store.delete(tokensName).catch(() => false);
    },
    async loadClient(): Promise<StoredClient | undefined> {
      const c = await read<StoredClient>(clientName);
      if (!c || typeof c.client?.client_id !== 'string') return undefined;
      report([c.client.client_secret]);
      return c;
    },
    async saveClient(record: StoredClient): Promise<void> {
      report([record.client.client_secret]);
      await store.set(clientName, JSON.stringify(record));
    },
    async clearClient(): Promise<void> {
      await store.delete(clientName).catch(() => false);
    },
  };
}

export type OAuthRecords = ReturnType<typeof createOAuthRecords>;
