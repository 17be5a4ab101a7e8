/**
 * Redirect URI rules. Registration accepts https URIs and http loopback URIs (RFC 8252 §7.3, local
 * clients such as mcp-remote). Matching is exact string comparison (OAuth 2.1 §2.3.1, RFC 9700
 * §4.1.3), except that a loopback URI may use any port at request time (RFC 8252 §7.3).
 */

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Returns why `uri` may not be registered, or null if it may. */
export function redirectUriProblem(uri: unknown): string | null {
  if (typeof uri !== 'string' || uri.length === 0) return 'is not a string';
  if (uri.length > 2000) return 'is longer than 2000 characters';
  // RFC 3986 has no raw control or space characters in a URI; the URL parser would still accept some,
  // and they reach the owner's terminal (tunnelgate approvals) and pages as they were sent.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(uri)) return 'contains a space or a control character';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.hash || uri.includes('#')) return 'has a fragment, which OAuth forbids (RFC 6749 §3.1.2)';
  if (url.username || url.password) return 'carries a user name or password';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return null;
  return 'must be https, or http on a loopback address (127.0.0.1, [::1], localhost)';
}

/** Whether `requested` matches one registered redirect URI under the rules above. */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  let req: URL;
  try {
    req = new URL(requested);
  } catch {
    return false;
  }
  if (req.protocol !== 'http:' || !LOOPBACK_HOSTS.has(req.hostname)) return false;
  // Compare everything but the port, on the original strings so no normalization widens the match.
  const withoutPort = (s: string) =>
    s.replace(/^(http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost))(?::\d+)?(?=[/?]|$)/, '$1');
  const stripped = withoutPort(requested);
  if (stripped === requested && req.port !== '') return false;
  return registered.some((r) => r.startsWith('http://') && withoutPort(r) === stripped);
}

/** The host shown to the owner on the approval screen. */
export function redirectHost(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}
