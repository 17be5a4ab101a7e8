import { oauthClient } from './oauth-sdk.js';
import type {
  AuthorizationServerMetadata,
  OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import {
  checkResourceAllowed,
  resourceUrlFromServerUrl,
} from '@modelcontextprotocol/sdk/shared/auth-utils.js';
import { describeError, isNetworkError, UpstreamAuthError, UpstreamAuthTransientError } from './errors.js';

export interface UpstreamAuthDiscovery {
  /** Where the authorization server metadata was found (the issuer). */
  authorizationServerUrl: string;
  metadata: AuthorizationServerMetadata;
  /** RFC 8707 resource indicator sent in authorization and token requests. */
  resource: string;
  scopesSupported?: string[];
}

/**
 * MCP authorization discovery (spec 2025-06-18+ "Authorization Server Discovery"): RFC 9728
 * protected-resource metadata (the URL from WWW-Authenticate first, then the well-known paths),
 * then RFC 8414 / OpenID Connect metadata of the first authorization server it names. Servers
 * without RFC 9728 fall back to their own origin as authorization server (2025-03-26 behaviour).
 * The SDK helpers swallow network failures into "not found", so fetch is wrapped to tell a network
 * problem (transient) from a server that really has no metadata (permanent).
 */
export async function discoverUpstreamAuth(
  serverName: string,
  serverUrl: string,
  options: { resourceMetadataUrl?: string; fetchFn: typeof fetch },
): Promise<UpstreamAuthDiscovery> {
  let networkError: unknown;
  const fetchFn: typeof fetch = async (input, init) => {
    try {
      return await options.fetchFn(input, init);
    } catch (err) {
      if (isNetworkError(err)) networkError = err;
      throw err;
    }
  };
  const transient = (what: string, cause: unknown) =>
    new UpstreamAuthTransientError(
      `Could not reach "${serverName}" to look up how to sign in (${what}: ${describeError(cause)}). Will retry.`,
      { cause },
    );

  let prm: OAuthProtectedResourceMetadata | undefined;
  try {
    prm = await (
      await oauthClient()
    ).discoverOAuthProtectedResourceMetadata(
      serverUrl,
      { resourceMetadataUrl: options.resourceMetadataUrl },
      fetchFn,
    );
  } catch (err) {
    if (networkError) throw transient('protected resource metadata', networkError);
    if (err instanceof Error && /HTTP 5\d\d/.test(err.message))
      throw transient('protected resource metadata', err);
    prm = undefined;
  }

  if (prm && !checkResourceAllowed({ requestedResource: serverUrl, configuredResource: prm.resource })) {
    // RFC 9728 §7.3: metadata for another resource must not be used (token phishing).
    throw new UpstreamAuthError(
      `"${serverName}" published OAuth metadata for a different resource (${prm.resource}) than its URL ${shownUrl(serverUrl)}; sign-in is refused for safety. Check servers.${serverName}.url.`,
    );
  }
  const authorizationServerUrl = prm?.authorization_servers?.[0] ?? new URL('/', serverUrl).origin;

  let metadata: AuthorizationServerMetadata | undefined;
  try {
    metadata = await (
      await oauthClient()
    ).discoverAuthorizationServerMetadata(authorizationServerUrl, { fetchFn });
  } catch (err) {
    if (networkError || (err instanceof Error && /HTTP 5\d\d/.test(err.message)))
      throw transient('authorization server metadata', networkError ?? err);
    throw new UpstreamAuthError(
      `The authorization server of "${serverName}" (${authorizationServerUrl}) published unusable metadata: ${describeError(err)}.`,
      { cause: err },
    );
  }
  if (!metadata) {
    if (networkError) throw transient('authorization server metadata', networkError);
    throw new UpstreamAuthError(
      `"${serverName}" answered 401 but offers no OAuth sign-in (no RFC 9728 or RFC 8414 metadata at ${authorizationServerUrl}). If it takes an API key, put it in servers.${serverName}.headers as \${secret:NAME}.`,
    );
  }
  if (!sameIssuer(metadata.issuer, authorizationServerUrl)) {
    // RFC 8414 §3.3: metadata whose issuer differs from the server it was fetched for must not be used (mix-up attacks).
    throw new UpstreamAuthError(
      `The authorization server of "${serverName}" at ${authorizationServerUrl} published metadata for another issuer (${metadata.issuer}); sign-in is refused for safety.`,
    );
  }
  return {
    authorizationServerUrl,
    metadata,
    resource: prm?.resource ?? resourceUrlFromServerUrl(serverUrl).href,
    scopesSupported: prm?.scopes_supported,
  };
}

/** Issuer identifiers compared as URLs, tolerating one trailing "/" (RFC 8414 §3.3). */
function sameIssuer(a: string, b: string): boolean {
  const norm = (x: string) => (URL.canParse(x) ? new URL(x).href : x).replace(/\/$/, '');
  return norm(a) === norm(b);
}

/**
 * The server URL as shown in messages: origin and path only. The configured URL may carry a key
 * resolved from `${secret:...}` in its query (and messages reach the UI and logs).
 */
function shownUrl(url: string): string {
  return URL.canParse(url) ? `${new URL(url).origin}${new URL(url).pathname}` : '(the configured URL)';
}
