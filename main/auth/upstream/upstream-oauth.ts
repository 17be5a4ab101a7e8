import { randomBytes } from 'node:crypto';
import { oauthClient } from './oauth-sdk.js';
import type { OAuthClientInformationMixed } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { UpstreamAuth, UpstreamAuthFactory } from '../../gateway/upstream/upstream-auth.js';
import { SecretStoreUnavailableError, type SecretStore } from '../../secrets/secret-store.js';
import type { BrowserOpener } from './browser-opener.js';
import {
  classifyTokenError,
  describeError,
  UpstreamAuthError,
  UpstreamAuthTransientError,
} from './errors.js';
import { RedirectPortInUseError, startLoopbackReceiver } from './loopback-receiver.js';
import { discoverUpstreamAuth, type UpstreamAuthDiscovery } from './oauth-discovery.js';
import { createOAuthRecords, type StoredTokens } from './oauth-records.js';
import { parseBearerChallenge } from './www-authenticate.js';

export interface UpstreamOAuthDeps {
  /** Where client records and tokens are kept (`oauth:<server>:client`, `oauth:<server>:tokens`). */
  store: SecretStore;
  /** Opens the authorization page: the system browser in the app, a fetch-driven one in tests. */
  opener: BrowserOpener;
  fetch?: typeof fetch;
  now?: () => number;
  /** Every token value loaded or obtained, for the activity log's redaction (activity's addSecretValues). */
  onSecretValues?: (values: string[]) => void;
  /** client_name sent in dynamic registration. */
  clientName?: string;
  /** An https URL serving our Client ID Metadata Document, if one is hosted; else DCR is used. */
  clientMetadataUrl?: string;
  /** How long signIn() waits for the browser to come back. Default 5 minutes. */
  signInTimeoutMs?: number;
  /** Refresh this long before expiry (capped at a quarter of the token's lifetime). Default 60 s. */
  refreshSkewMs?: number;
}

// A token obtained by a 401-triggered refresh and rejected again this soon: refreshing again will
// not help (refresh on 401 once), the user must sign in.
const REFRESH_ON_401_COOLDOWN_MS = 60_000;

/**
 * Upstream OAuth client (MCP authorization spec, 2025-06-18 and later): on a 401, RFC 9728 / RFC 8414
 * discovery; a pre-configured client id, a Client ID Metadata Document, or RFC 7591 dynamic
 * registration; PKCE S256; the RFC 8707 `resource` parameter; the code received on a loopback
 * redirect (RFC 8252); tokens kept in the SecretStore and refreshed before expiry or once on a 401.
 * Network and 5xx failures throw UpstreamAuthTransientError (retry with backoff); a refused grant
 * means 'needs-sign-in'.
 */
export function createUpstreamAuthFactory(deps: UpstreamOAuthDeps): UpstreamAuthFactory {
  return (serverName, serverUrl, options) => createUpstreamOAuth(deps, serverName, serverUrl, options);
}

export function createUpstreamOAuth(
  deps: UpstreamOAuthDeps,
  serverName: string,
  serverUrl: string,
  options: { clientId?: string; scopes?: string[]; redirectPort?: number } = {},
): UpstreamAuth {
  const fetchFn = deps.fetch ?? fetch;
  const now = deps.now ?? Date.now;
  const records = createOAuthRecords(deps.store, serverName, deps.onSecretValues ?? (() => undefined));
  let challenge: { resourceMetadataUrl?: string; scope?: string } = {};
  let discovery: UpstreamAuthDiscovery | undefined;
  let refreshing: Promise<StoredTokens | undefined> | undefined;
  let signingIn: Promise<void> | undefined;
  let from401Token: string | undefined;
  // The access token last handed to a request: a 401 while the current token was never sent came
  // from a request that carried an older one (when the caller does not say which it sent).
  let handedOut: string | undefined;

  async function discover(fresh = false): Promise<UpstreamAuthDiscovery> {
    if (!discovery || fresh)
      discovery = await discoverUpstreamAuth(serverName, serverUrl, {
        resourceMetadataUrl: challenge.resourceMetadataUrl,
        fetchFn,
      });
    return discovery;
  }

  async function currentTokens(): Promise<StoredTokens | undefined> {
    const t = await records.loadTokens();
    // Tokens are bound to the URL they were obtained for: never send them to a changed URL.
    return t && t.serverUrl === serverUrl ? t : undefined;
  }

  const usesCimd = (d: UpstreamAuthDiscovery) =>
    d.metadata.client_id_metadata_document_supported === true && deps.clientMetadataUrl !== undefined;

  /** The client to use with this authorization server: configured, registered earlier, or our CIMD URL. */
  async function clientInformation(
    d: UpstreamAuthDiscovery,
  ): Promise<OAuthClientInformationMixed | undefined> {
    if (options.clientId) return { client_id: options.clientId };
    const stored = await records.loadClient();
    if (stored && stored.issuer === d.authorizationServerUrl) return stored.client;
    return usesCimd(d) && deps.clientMetadataUrl ? { client_id: deps.clientMetadataUrl } : undefined;
  }

  /** Refresh once at a time: refresh tokens rotate, so two parallel refreshes would revoke each other. */
  function refresh(tokens: StoredTokens): Promise<StoredTokens | undefined> {
    refreshing ??= (async () => {
      try {
        if (!tokens.refreshToken) return undefined;
        const d = await discover();
        const client = await clientInformation(d);
        if (!client) {
          await records.clearTokens(); // the registration they belong to is gone: only a sign-in helps
          return undefined;
        }
        try {
          const fresh = await (
            await oauthClient()
          ).refreshAuthorization(d.authorizationServerUrl, {
            metadata: d.metadata,
            clientInformation: client,
            refreshToken: tokens.refreshToken,
            resource: tokens.resource,
            fetchFn,
          });
          const saved = await records.saveTokens(fresh, {
            serverUrl,
            issuer: d.authorizationServerUrl,
            resource: tokens.resource,
            now: now(),
            previous: tokens,
          });
          return saved;
        } catch (err) {
          if (classifyTokenError(err) === 'sign-in') {
            await records.clearTokens();
            return undefined;
          }
          throw new UpstreamAuthTransientError(
            `Could not refresh the sign-in for "${serverName}" (${describeError(err)}). Will retry.`,
            { cause: err },
          );
        }
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  function needsRefresh(t: StoredTokens): boolean {
    if (t.expiresAt === undefined) return false;
    const skew = Math.min(deps.refreshSkewMs ?? 60_000, Math.max(0, (t.expiresAt - t.obtainedAt) / 4));
    return now() >= t.expiresAt - skew;
  }

  async function authorization(): Promise<string | undefined> {
    if (refreshing) await refreshing.catch(() => undefined);
    let t = await currentTokens();
    if (!t) return undefined;
    if (needsRefresh(t)) {
      if (!t.refreshToken) return undefined; // expired and nothing to refresh with: the 401 will ask for sign-in
      t = await refresh(t);
      if (!t) return undefined;
    }
    return bearer(t);
  }

  /** The header value of the last token handed out, made once per token rather than per request. */
  let bearerHeader = { token: '', value: '' };

  function bearer(t: StoredTokens): string {
    handedOut = t.accessToken;
    // The same string each time: the transport reuses its request headers while the value is the
    // same one, and compares it on every request (issue 16).
    // RFC 6750 §2.1: the scheme is "Bearer" whatever case token_type came in.
    if (bearerHeader.token !== t.accessToken)
      bearerHeader = { token: t.accessToken, value: `Bearer ${t.accessToken}` };
    return bearerHeader.value;
  }

  /** authorization() without waiting, when the tokens are in memory and fresh (UpstreamAuth). */
  function authorizationNow(): string | undefined | null {
    if (refreshing) return null;
    const known = records.tokensInMemory();
    if (known === null) return null;
    const t = known && known.serverUrl === serverUrl ? known : undefined;
    if (!t) return undefined;
    if (needsRefresh(t)) return null;
    return bearer(t);
  }

  async function unauthorized(info: {
    url: string;
    wwwAuthenticate?: string;
    status: number;
    authorization?: string;
  }): Promise<'retry' | 'needs-sign-in'> {
    const c = parseBearerChallenge(info.wwwAuthenticate);
    challenge = {
      resourceMetadataUrl: c.resourceMetadataUrl ?? challenge.resourceMetadataUrl,
      scope: c.scope ?? challenge.scope,
    };
    if (c.resourceMetadataUrl) discovery = undefined; // the server said where its metadata is: follow it
    // 403 insufficient_scope: only a new consent with the wider scope helps (step-up, MCP spec).
    if (info.status === 403 && c.error === 'insufficient_scope') return 'needs-sign-in';

    if (refreshing) {
      await refreshing; // transient failures propagate
      return (await currentTokens()) ? 'retry' : 'needs-sign-in';
    }
    const t = await currentTokens();
    if (t) {
      const sent = info.authorization;
      const current = `Bearer ${t.accessToken}`;
      if (sent !== undefined ? sent !== current : handedOut !== t.accessToken) return 'retry';
      const refusedAgain =
        t.accessToken === from401Token && now() - t.obtainedAt < REFRESH_ON_401_COOLDOWN_MS;
      if (t.refreshToken && !refusedAgain) {
        const fresh = await refresh(t);
        from401Token = fresh?.accessToken;
        return fresh ? 'retry' : 'needs-sign-in';
      }
      await records.clearTokens(); // rejected and cannot be renewed: forget it, ask the user
      return 'needs-sign-in';
    }
    // No tokens: make sure sign-in can work at all, so an API-key server with a wrong key is not
    // mistaken for one that wants a browser sign-in. Network failures throw (transient).
    await discover();
    return 'needs-sign-in';
  }

  async function doSignIn(): Promise<void> {
    // Tokens are only ever kept in the keychain: without one, do not send the user to the browser.
    const availability = await deps.store.availability();
    if (!availability.available) {
      throw new UpstreamAuthError(
        `Cannot sign in to "${serverName}": the OS keychain is not available (${availability.reason ?? 'unknown reason'}), and tokens are never stored in plain text.`,
      );
    }
    const d = await discover(true);
    const scope = options.scopes?.join(' ') ?? challenge.scope ?? d.scopesSupported?.join(' ');
    let stored = options.clientId ? undefined : await records.loadClient();
    if (stored && stored.issuer !== d.authorizationServerUrl) stored = undefined;
    const storedPort = stored ? Number(new URL(stored.redirectUri).port) : 0;

    let receiver;
    const state = randomBytes(32).toString('base64url');
    const receiverOptions = { expectedState: state, timeoutMs: deps.signInTimeoutMs ?? 300_000, serverName };
    try {
      receiver = await startLoopbackReceiver({
        ...receiverOptions,
        port: options.redirectPort ?? storedPort,
      });
    } catch (err) {
      if (!(err instanceof RedirectPortInUseError)) throw err;
      if (options.redirectPort !== undefined) {
        throw new UpstreamAuthError(
          `${err.message} It is set in servers.${serverName}.oauth.redirectPort: free it or choose another port registered with the provider.`,
        );
      }
      stored = undefined; // the registered redirect port is taken: register again with a new one
      receiver = await startLoopbackReceiver({ ...receiverOptions, port: 0 });
    }

    try {
      let client: OAuthClientInformationMixed;
      if (options.clientId) client = { client_id: options.clientId };
      else if (stored && stored.redirectUri === receiver.redirectUri) client = stored.client;
      else if (usesCimd(d) && deps.clientMetadataUrl) client = { client_id: deps.clientMetadataUrl };
      else client = await register(d, receiver.redirectUri, scope);

      const { authorizationUrl, codeVerifier } = await (
        await oauthClient()
      ).startAuthorization(d.authorizationServerUrl, {
        metadata: d.metadata,
        clientInformation: client,
        redirectUrl: receiver.redirectUri,
        scope,
        state,
        resource: d.resource,
      });
      await deps.opener.open(authorizationUrl.href);
      const code = await receiver.code;
      let tokens;
      try {
        tokens = await (
          await oauthClient()
        ).exchangeAuthorization(d.authorizationServerUrl, {
          metadata: d.metadata,
          clientInformation: client,
          authorizationCode: code,
          codeVerifier,
          redirectUri: receiver.redirectUri,
          resource: d.resource,
          fetchFn,
        });
      } catch (err) {
        const message = `Signing in to "${serverName}" failed when exchanging the code for tokens (${describeError(err)}).`;
        throw classifyTokenError(err) === 'transient'
          ? new UpstreamAuthTransientError(`${message} Try again.`, { cause: err })
          : new UpstreamAuthError(`${message} Try signing in again.`, { cause: err });
      }
      await records.saveTokens(tokens, {
        serverUrl,
        issuer: d.authorizationServerUrl,
        resource: d.resource,
        now: now(),
      });
    } finally {
      receiver.close();
    }
  }

  async function register(
    d: UpstreamAuthDiscovery,
    redirectUri: string,
    scope: string | undefined,
  ): Promise<OAuthClientInformationMixed> {
    if (!d.metadata.registration_endpoint) {
      throw new UpstreamAuthError(
        `The authorization server of "${serverName}" (${d.authorizationServerUrl}) does not allow automatic client registration. Register an app with the provider (redirect URI http://127.0.0.1:PORT/callback), then set servers.${serverName}.oauth.clientId and oauth.redirectPort.`,
      );
    }
    try {
      const info = await (
        await oauthClient()
      ).registerClient(d.authorizationServerUrl, {
        metadata: d.metadata,
        clientMetadata: {
          client_name: deps.clientName ?? 'Tunnelgate',
          redirect_uris: [redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none', // a desktop app cannot keep a client secret (RFC 8252 §8.4)
        },
        scope,
        fetchFn,
      });
      await records.saveClient({ issuer: d.authorizationServerUrl, redirectUri, client: info });
      return info;
    } catch (err) {
      if (err instanceof SecretStoreUnavailableError)
        throw new UpstreamAuthError(err.message, { cause: err });
      const message = `Registering Tunnelgate with the authorization server of "${serverName}" failed (${describeError(err)}).`;
      throw classifyTokenError(err) === 'transient'
        ? new UpstreamAuthTransientError(`${message} Try again.`, { cause: err })
        : new UpstreamAuthError(message, { cause: err });
    }
  }

  return {
    authorization,
    authorizationNow,
    unauthorized,
    signIn() {
      signingIn ??= doSignIn().finally(() => (signingIn = undefined));
      return signingIn;
    },
    async signOut() {
      const t = await currentTokens();
      await records.clearTokens();
      // Best effort RFC 7009 revocation of the refresh token; signing out never fails on it.
      const endpoint = (discovery?.metadata as { revocation_endpoint?: unknown } | undefined)
        ?.revocation_endpoint;
      const client = discovery && (await clientInformation(discovery));
      if (t?.refreshToken && typeof endpoint === 'string' && client) {
        const body = new URLSearchParams({
          token: t.refreshToken,
          token_type_hint: 'refresh_token',
          client_id: client.client_id,
        });
        await fetchFn(endpoint, { method: 'POST', body, signal: AbortSignal.timeout(5000) }).catch(
          () => undefined,
        );
      }
    },
  };
}
