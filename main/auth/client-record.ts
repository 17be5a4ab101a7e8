/** An OAuth client known to the authorization server (all public clients: no secrets to keep). */
export interface ClientRecord {
  clientId: string;
  /** client_name as the client stated it (shown to the owner; never trusted for decisions). */
  clientName: string;
  redirectUris: string[];
  /** 'dcr': registered at /oauth/register (RFC 7591); 'cimd': a Client ID Metadata Document URL. */
  source: 'dcr' | 'cimd';
  cimdUrl?: string;
  createdAt: number;
  /** Last time an authorization request named it; lets the registry drop stale registrations. */
  lastSeenAt?: number;
}
