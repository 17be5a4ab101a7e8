/**
 * How ChatGPT introduces itself to an authorization server (PROTOCOL.md, late 2026), for the
 * doctor's dry runs: its Dynamic Client Registration body and its Client ID Metadata Document.
 */

/** A connector id for the dry runs; ChatGPT uses one per connector. */
const CONNECTOR = 'tunnelgate-doctor-dry-run';

/** ChatGPT's RFC 7591 registration body (both redirect forms it has been seen to use). */
export const CHATGPT_REGISTRATION = {
  client_name: 'ChatGPT',
  redirect_uris: [
    `https://chatgpt.com/connector/oauth/${CONNECTOR}`,
    'https://chatgpt.com/connector_platform_oauth_redirect',
  ],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  application_type: 'web',
};

export const CHATGPT_CIMD_URL = `https://chatgpt.com/oauth/${CONNECTOR}/client.json`;
export const CHATGPT_REDIRECT = `https://chatgpt.com/connector/oauth/${CONNECTOR}`;

/** ChatGPT's CIMD document: private_key_jwt, with no fallback to "none". */
export const CHATGPT_CIMD_DOCUMENT: Record<string, unknown> = {
  client_id: CHATGPT_CIMD_URL,
  client_name: 'ChatGPT',
  redirect_uris: [CHATGPT_REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'RS256',
  jwks_uri: 'https://chatgpt.com/oauth/jwks.json',
};
