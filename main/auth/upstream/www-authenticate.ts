/** Parameters of a Bearer challenge (RFC 6750 §3, RFC 9728 §5.1) that upstream sign-in uses. */
export interface BearerChallenge {
  resourceMetadataUrl?: string;
  scope?: string;
  error?: string;
}

/**
 * Reads the Bearer challenge out of a WWW-Authenticate header value: auth-params as
 * `name=token` or `name="quoted string"` (RFC 9110 §11.2), read one after another until something
 * that is not a parameter (such as the next scheme, "Basic realm=...") starts. Other schemes are ignored.
 */
export function parseBearerChallenge(header: string | undefined): BearerChallenge {
  if (!header) return {};
  const scheme = /(?:^|,)\s*Bearer(?=\s|,|$)/i.exec(header);
  if (!scheme) return {};
  const params: Record<string, string> = {};
  const param = /\s*,?\s*([A-Za-z0-9_!#$%&'*+.^`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/y;
  param.lastIndex = scheme.index + scheme[0].length;
  for (let m = param.exec(header); m; m = param.exec(header)) {
    params[(m[1] ?? '').toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  const url = params.resource_metadata;
  return {
    resourceMetadataUrl: url && URL.canParse(url) ? url : undefined,
    scope: params.scope,
    error: params.error,
  };
}
