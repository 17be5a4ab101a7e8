import type { JSONWebKeySet } from 'jose';

/**
 * An OAuth client known to the authorization server. No secrets are kept: clients are public
 * (`none` + PKCE) or prove themselves with a key pair whose public half their metadata names.
 */
export interface ClientRecord {
  clientId: string;
  /** client_name as the client stated it (shown to the owner; never trusted for decisions). */
  clientName: string;
  redirectUris: string[];
  /** 'dcr': registered at /oauth/register (RFC 7591); 'cimd': a Client ID Metadata Document URL. */
  source: 'dcr' | 'cimd';
  cimdUrl?: string;
  createdAt: number;
  /** Set when the client's metadata document declares RFC 7523 private_key_jwt; absent means "none". */
  authMethod?: 'private_key_jwt';
  /** Where its public keys are (private_key_jwt): one of these two. */
  jwksUri?: string;
  jwks?: JSONWebKeySet;
  /** The document's token_endpoint_auth_signing_alg: the only algorithm accepted from it when set. */
  signingAlg?: string;
  /** Last time an authorization request named it; lets the registry drop stale registrations. */
  lastSeenAt?: number;
}
