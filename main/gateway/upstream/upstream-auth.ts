/**
 * The seam between a remote upstream connection (gateway/upstream) and the upstream OAuth client
 * (auth/upstream). The connection asks for headers before each HTTP request and reports a 401; it
 * never sees how tokens are obtained, stored (keychain) or refreshed.
 */
export interface UpstreamAuth {
  /** Authorization header value to send (e.g. "Bearer ..."), refreshed before expiry; undefined if none yet. */
  authorization(): Promise<string | undefined>;
  /**
   * The same value when it is known without waiting (tokens in memory, no refresh due or running):
   * the header, or undefined for none. null when only authorization() can tell. Lets a request be
   * sent in the turn it is made (issue 16).
   */
  authorizationNow?(): string | undefined | null;
  /**
   * The upstream answered 401 (or 403 insufficient_scope). Try a silent fix (refresh, re-discovery).
   * 'retry': send the request again once. 'needs-sign-in': the user must sign in; the connection goes
   * to status 'needs-auth' and the 401 never reaches the client as a 401.
   */
  unauthorized(info: {
    url: string;
    wwwAuthenticate?: string;
    status: number;
    /** The Authorization header the rejected request carried, if any: tells a stale token apart from a rejected fresh one. */
    authorization?: string;
  }): Promise<'retry' | 'needs-sign-in'>;
  /** Interactive sign-in: opens the system browser and resolves once tokens are stored. */
  signIn(): Promise<void>;
  /** Forget tokens (sign out). */
  signOut(): Promise<void>;
}

/** Made per remote server by auth/upstream; the manager calls it for every http/sse upstream. */
export type UpstreamAuthFactory = (
  serverName: string,
  serverUrl: string,
  options: { clientId?: string; scopes?: string[]; redirectPort?: number },
) => UpstreamAuth;
