import type { IncomingMessage } from 'node:http';
import type { AuthContext } from './auth-context.js';
import { JWT_BEARER_ASSERTION, loadJose } from './client-assertion.js';
import { header } from './http-util.js';
import { OAUTH_PATHS } from './metadata.js';

/** How the client proved itself at the token endpoint. */
export type ClientAuth =
  | { ok: true; method: 'none'; clientId: string | undefined }
  | { ok: true; method: 'private_key_jwt'; clientId: string }
  | { ok: false; description: string };

/** Public clients may also put their client_id in HTTP Basic (no secret); body wins if both. */
function basicClientId(req: IncomingMessage): string | undefined {
  const auth = header(req, 'authorization');
  const m = /^Basic\s+(.+)$/i.exec(auth ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const id = decoded.split(':')[0];
  if (!id) return undefined;
  try {
    return decodeURIComponent(id);
  } catch {
    // Not valid percent-encoding (RFC 6749 §2.3.1): treat as no client id; the request then fails as a 400.
    return undefined;
  }
}

/**
 * Client authentication at /oauth/token (OAuth 2.1 §2.4): a public client names itself with
 * client_id; a private_key_jwt client (RFC 7523 §2.2) sends a signed client_assertion, checked here.
 * Which method a code or grant *requires* is decided by the caller (it was fixed at authorization).
 */
export async function authenticateTokenClient(
  ctx: AuthContext,
  req: IncomingMessage,
  params: Map<string, string>,
  origin: string,
): Promise<ClientAuth> {
  let clientId = params.get('client_id') ?? basicClientId(req);
  const type = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (type === undefined && assertion === undefined) return { ok: true, method: 'none', clientId };
  const fail = (description: string): ClientAuth => ({ ok: false, description });
  if (type !== JWT_BEARER_ASSERTION)
    return fail(`client_assertion_type must be "${JWT_BEARER_ASSERTION}" (RFC 7523 §2.2).`);
  if (!assertion) return fail('client_assertion is missing (RFC 7523 §2.2).');
  if (clientId === undefined) {
    // RFC 7523 §3: client_id may be left out; the assertion's sub names the client (then verified).
    try {
      clientId = (await loadJose()).decodeJwt(assertion).sub;
    } catch {
      return fail('The client_assertion is not a JWT.');
    }
    if (!clientId) return fail('The client_assertion has no "sub" and the request has no client_id.');
  }
  const found = await ctx.clients.lookup(clientId);
  if (!found.ok) return fail(found.description);
  const client = found.client;
  if (client.authMethod !== 'private_key_jwt')
    return fail(
      'This client is registered as a public client ("none"); it must not send a client_assertion.',
    );
  const verdict = await ctx.assertions.verify(client, assertion, {
    issuer: origin,
    tokenEndpoint: `${origin}${OAUTH_PATHS.token}`,
  });
  if (!verdict.ok) return fail(verdict.description);
  return { ok: true, method: 'private_key_jwt', clientId: client.clientId };
}

/**
 * The method a code or grant was issued for must be the one used now: a client whose document said
 * private_key_jwt can never fall back to `none` (that is what a thief holding its refresh token would do).
 */
export function methodMismatch(
  required: 'private_key_jwt' | undefined,
  auth: Extract<ClientAuth, { ok: true }>,
): string | null {
  if (required === 'private_key_jwt' && auth.method !== 'private_key_jwt')
    return `This client authenticates with private_key_jwt (its metadata document says so): send client_assertion_type=${JWT_BEARER_ASSERTION} and a client_assertion signed with a key from its JWKS (RFC 7523 §2.2).`;
  if (required === undefined && auth.method === 'private_key_jwt')
    return 'This authorization was made for a public client ("none"); a client_assertion does not fit it. Connect again.';
  return null;
}
