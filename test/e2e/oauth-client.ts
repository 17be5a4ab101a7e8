/**
 * The client side of the gateway's OAuth flow, done by hand as ChatGPT would: Dynamic Client
 * Registration (RFC 7591), the authorization request with PKCE S256 (RFC 7636) and `resource`
 * (RFC 8707), then the code exchange once the owner approved.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface StartedAuthorization {
  clientId: string;
  requestId: string;
  /** The waiting page's HTML (it shows the pairing code). */
  approvalPage: string;
  finish(): Promise<{ accessToken: string }>;
}

export async function startAuthorization(origin: string, clientName: string): Promise<StartedAuthorization> {
  const redirectUri = 'http://127.0.0.1:9/callback'; // never contacted: the test reads the redirect
  const reg = await fetch(`${origin}/oauth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      client_name: clientName,
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  if (reg.status !== 201) throw new Error(`registration answered ${reg.status}: ${await reg.text()}`);
  const { client_id: clientId } = (await reg.json()) as { client_id: string };

  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const resource = `${origin}/mcp`;
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    resource,
    state: 'e2e-state',
    scope: 'mcp:full',
  });
  const auth = await fetch(`${origin}/oauth/authorize?${q}`, { redirect: 'manual' });
  const waiting = auth.headers.get('location');
  if (auth.status !== 302 || !waiting)
    throw new Error(`authorize answered ${auth.status}: ${await auth.text()}`);
  const waitingUrl = new URL(waiting, origin);
  const requestId = waitingUrl.searchParams.get('request') ?? '';
  const approvalPage = await (await fetch(waitingUrl)).text();

  return {
    clientId,
    requestId,
    approvalPage,
    async finish() {
      const decided = await fetch(waitingUrl, { redirect: 'manual' });
      const to = decided.headers.get('location');
      if (decided.status !== 302 || !to)
        throw new Error(`approval page answered ${decided.status} (not decided?)`);
      const code = new URL(to).searchParams.get('code');
      if (!code) throw new Error(`no code in the redirect: ${to}`);
      const tok = await fetch(`${origin}/oauth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: clientId,
          code_verifier: verifier,
          resource,
        }),
      });
      const body = (await tok.json()) as {
        access_token?: string;
        error?: string;
        error_description?: string;
      };
      if (!body.access_token) throw new Error(`token endpoint: ${body.error}: ${body.error_description}`);
      return { accessToken: body.access_token };
    },
  };
}
