import { SCOPES_SUPPORTED } from '../../preload/contract.js';
import { ASSERTION_ALGS } from './client-jwks.js';

/** Paths of the authorization server's endpoints on the public origin. */
export const OAUTH_PATHS = {
  authorize: '/oauth/authorize',
  token: '/oauth/token',
  register: '/oauth/register',
  revoke: '/oauth/revoke',
  approval: '/oauth/approval',
  approvalStatus: '/oauth/approval/status',
} as const;

/** Older clients (MCP 2025-03-26 without discovery) fall back to these default paths. */
export const LEGACY_ALIASES: Record<string, string> = {
  '/authorize': OAUTH_PATHS.authorize,
  '/token': OAUTH_PATHS.token,
  '/register': OAUTH_PATHS.register,
};

/** The resource identifier (RFC 8707) of the MCP endpoint on `origin`. */
export function resourceFor(origin: string): string {
  return `${origin}/mcp`;
}

/** The issuer (the origin) a resource identifier from resourceFor() belongs to. */
export function issuerOfResource(resource: string): string {
  return resource.endsWith('/mcp') ? resource.slice(0, -'/mcp'.length) : new URL(resource).origin;
}

/** RFC 9728 protected-resource metadata. */
export function protectedResourceMetadata(origin: string): Record<string, unknown> {
  return {
    resource: resourceFor(origin),
    authorization_servers: [origin],
    scopes_supported: SCOPES_SUPPORTED,
    bearer_methods_supported: ['header'],
    resource_name: 'Tunnelgate',
  };
}

/**
 * RFC 8414 authorization-server metadata. Every authorization response carries `iss` (RFC 9207 §3),
 * and private_key_jwt is offered for Client ID Metadata Document clients such as ChatGPT (RFC 7523).
 */
export function authorizationServerMetadata(origin: string): Record<string, unknown> {
  return {
    issuer: origin,
    authorization_endpoint: `${origin}${OAUTH_PATHS.authorize}`,
    token_endpoint: `${origin}${OAUTH_PATHS.token}`,
    registration_endpoint: `${origin}${OAUTH_PATHS.register}`,
    revocation_endpoint: `${origin}${OAUTH_PATHS.revoke}`,
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGS],
    revocation_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    code_challenge_methods_supported: ['S256'],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

/** Accepts the resource with or without a trailing slash (RFC 8707 §2; clients differ). */
export function sameResource(given: string, expected: string): boolean {
  return given === expected || given === `${expected}/`;
}
