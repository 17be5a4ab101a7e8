/**
 * The doctor's OAuth steps, in ChatGPT's order: the 401 challenge, RFC 9728 protected-resource
 * metadata (path-inserted and root), RFC 8414 authorization-server metadata, then registration
 * (RFC 7591) and the CIMD document as dry runs that store nothing (auth/doctor-access.ts).
 */
import {
  CHATGPT_CIMD_DOCUMENT,
  CHATGPT_CIMD_URL,
  CHATGPT_REDIRECT,
  CHATGPT_REGISTRATION,
} from './chatgpt-client.js';
import { jsonOf, type DoctorClient } from './doctor-client.js';
import type { CheckLevel } from './types.js';

export interface Outcome {
  level: CheckLevel;
  detail: string;
  fix?: string;
}

export interface OAuthContext {
  client: DoctorClient;
  /** https://host (no trailing slash). */
  origin: string;
  /** https://host/mcp: the resource ChatGPT binds its tokens to. */
  mcpUrl: string;
  /** The doctor's in-process token, for the dry-run header. */
  dryRunToken: string;
  /** The CIMD document ChatGPT publishes (tests may pass another shape). */
  cimdDocument?: Record<string, unknown>;
  /** Filled by the AS-metadata step for the later ones. */
  as?: Record<string, unknown>;
}

const DRY_RUN = 'X-Tunnelgate-Dry-Run';

/** The few HTML entities an escaped message uses (auth/approval-page.ts escapeHtml). */
function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
const sameResource = (a: unknown, b: string) => a === b || a === `${b}/`;

/** An unauthenticated MCP request must get 401 with a resource_metadata pointer (RFC 9728 §5.1). */
export async function challengeStep(c: OAuthContext): Promise<Outcome> {
  const res = await c.client.http(c.mcpUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'server/discover', params: {} }),
  });
  await res.arrayBuffer().catch(() => undefined);
  const challenge = res.headers.get('www-authenticate') ?? '';
  if (res.status !== 401)
    return {
      level: 'failure',
      detail: `A request without a token got HTTP ${res.status}, not 401: ChatGPT never starts OAuth.`,
      fix: 'Run the gateway with --auth oauth, or choose "No authentication" in ChatGPT for a secret URL.',
    };
  const m = /resource_metadata="([^"]+)"/.exec(challenge);
  if (!m)
    return {
      level: 'failure',
      detail: '401 without a resource_metadata parameter in WWW-Authenticate.',
      fix: 'Update Tunnelgate: its bearer check always names the metadata URL.',
    };
  return { level: 'pass', detail: `401 with WWW-Authenticate pointing at ${m[1]}.` };
}

/** RFC 9728 §3.1: the metadata of https://host/mcp lives at /.well-known/oauth-protected-resource/mcp; the root form too. */
export async function resourceMetadataStep(c: OAuthContext): Promise<Outcome> {
  const path = new URL(c.mcpUrl).pathname;
  const urls = [
    `${c.origin}/.well-known/oauth-protected-resource${path}`,
    `${c.origin}/.well-known/oauth-protected-resource`,
  ];
  const problems: string[] = [];
  let servers: unknown;
  for (const url of urls) {
    const res = await c.client.http(url);
    const body = await jsonOf(res);
    if (res.status !== 200 || !body) {
      problems.push(`${new URL(url).pathname} answered ${res.status}${body ? '' : ' without JSON'}`);
      continue;
    }
    if (!sameResource(body['resource'], c.mcpUrl))
      problems.push(
        `${new URL(url).pathname} names resource ${JSON.stringify(body['resource'])}, not ${c.mcpUrl}`,
      );
    if (!Array.isArray(body['authorization_servers']) || body['authorization_servers'].length === 0)
      problems.push(`${new URL(url).pathname} lists no authorization_servers`);
    servers ??= body['authorization_servers'];
  }
  if (problems.length === urls.length || (problems.length && !servers))
    return {
      level: 'failure',
      detail: `Protected-resource metadata missing or wrong: ${problems.join('; ')}.`,
      fix: 'Make sure the tunnel forwards /.well-known/ to the gateway and that the gateway runs with --auth oauth.',
    };
  if (problems.length)
    return {
      level: 'warning',
      detail: `One location is wrong: ${problems.join('; ')}.`,
      fix: 'Serve the metadata at both the path-inserted and the root location (RFC 9728 §3.1).',
    };
  return {
    level: 'pass',
    detail: `Both locations name ${c.mcpUrl} and the authorization server ${String((servers as string[])[0])}.`,
  };
}

/** RFC 8414 §3: the issuer's metadata, with what ChatGPT relies on. */
export async function asMetadataStep(c: OAuthContext): Promise<Outcome> {
  const url = `${c.origin}/.well-known/oauth-authorization-server`;
  const res = await c.client.http(url);
  const body = await jsonOf(res);
  if (res.status !== 200 || !body)
    return {
      level: 'failure',
      detail: `${url} answered ${res.status}${body ? '' : ' without JSON'}.`,
      fix: 'Make sure the tunnel forwards /.well-known/ to the gateway (--auth oauth).',
    };
  c.as = body;
  const missing: string[] = [];
  if (body['issuer'] !== c.origin)
    missing.push(`issuer is ${JSON.stringify(body['issuer'])}, not ${c.origin}`);
  for (const k of ['authorization_endpoint', 'token_endpoint'])
    if (typeof body[k] !== 'string') missing.push(`no ${k}`);
  if (!(body['code_challenge_methods_supported'] as unknown[] | undefined)?.includes('S256'))
    missing.push('S256 is not in code_challenge_methods_supported');
  if (missing.length)
    return {
      level: 'failure',
      detail: missing.join('; ') + '.',
      fix: 'Restart the gateway so the issuer follows the public URL.',
    };
  const ways = [
    typeof body['registration_endpoint'] === 'string' ? 'registration (DCR)' : '',
    body['client_id_metadata_document_supported'] === true ? 'client metadata documents (CIMD)' : '',
  ].filter(Boolean);
  if (ways.length === 0)
    return {
      level: 'failure',
      detail: 'Neither registration nor CIMD is offered: ChatGPT cannot identify itself.',
      fix: 'Update Tunnelgate.',
    };
  return { level: 'pass', detail: `Issuer ${c.origin}; PKCE S256; clients may use ${ways.join(' and ')}.` };
}

/**
 * Said by the steps that read the authorization-server metadata when it could not be read: their own
 * verdict ("no registration endpoint advertised") would blame the server for what the network did.
 */
const NO_AS_METADATA: Outcome = {
  level: 'info',
  detail: 'Not tried: the authorization-server metadata (the step above) could not be read.',
};

/** ChatGPT's registration body, as a dry run: every check, nothing stored. */
export async function registrationStep(c: OAuthContext): Promise<Outcome> {
  if (c.as === undefined) return NO_AS_METADATA;
  const endpoint = c.as['registration_endpoint'];
  if (typeof endpoint !== 'string')
    return { level: 'info', detail: 'No registration endpoint advertised; ChatGPT must use CIMD.' };
  const res = await c.client.http(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', [DRY_RUN]: c.dryRunToken },
    body: JSON.stringify(CHATGPT_REGISTRATION),
  });
  const body = await jsonOf(res);
  if (res.ok && body?.['dry_run'] === true)
    return {
      level: 'pass',
      detail: `ChatGPT's registration body is accepted (dry run, nothing stored; client would be '${String(body['client_name'])}').`,
    };
  if (res.status === 201)
    return {
      level: 'warning',
      detail: 'Registration worked but was not a dry run: a client record was stored.',
      fix: 'Update Tunnelgate.',
    };
  return {
    level: 'failure',
    detail: `ChatGPT's registration body is refused (HTTP ${res.status}): ${String(body?.['error_description'] ?? body?.['error'] ?? 'no reason given')}.`,
    fix: 'Update Tunnelgate; registration must accept token_endpoint_auth_method "none" and ChatGPT\'s redirect URIs.',
  };
}

/** ChatGPT's CIMD client at the authorization endpoint, as a dry run: no approval request is made. */
export async function cimdStep(c: OAuthContext, pkceChallenge: string): Promise<Outcome> {
  if (c.as === undefined) return NO_AS_METADATA;
  if (c.as['client_id_metadata_document_supported'] !== true)
    return { level: 'info', detail: 'CIMD is not advertised; ChatGPT registers instead (previous step).' };
  const endpoint = c.as['authorization_endpoint'];
  if (typeof endpoint !== 'string')
    return { level: 'failure', detail: 'No authorization endpoint.', fix: 'Update Tunnelgate.' };
  const doc = c.cimdDocument ?? CHATGPT_CIMD_DOCUMENT;
  const clientId = typeof doc['client_id'] === 'string' ? doc['client_id'] : CHATGPT_CIMD_URL;
  const url = new URL(endpoint);
  const q = {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: CHATGPT_REDIRECT,
    code_challenge: pkceChallenge,
    code_challenge_method: 'S256',
    resource: c.mcpUrl,
    scope: 'mcp:full',
    state: 'doctor',
  };
  for (const [k, v] of Object.entries(q)) url.searchParams.set(k, v);
  const res = await c.client.http(url.toString(), {
    redirect: 'manual',
    headers: {
      [DRY_RUN]: c.dryRunToken,
      'X-Tunnelgate-Dry-Run-Cimd': Buffer.from(JSON.stringify(doc)).toString('base64url'),
    },
  });
  const method = String(doc['token_endpoint_auth_method'] ?? 'none');
  if (res.status === 200) {
    const body = await jsonOf(res);
    if (body?.['dry_run'] === true)
      return {
        level: 'pass',
        detail: `ChatGPT's metadata document (${method}) is accepted; the owner would be asked to approve it (dry run, nothing created).`,
      };
  }
  let why = `HTTP ${res.status}`;
  const location = res.headers.get('location');
  if (location) why = new URL(location).searchParams.get('error_description') ?? why;
  else {
    const text = await res.text().catch(() => '');
    // The refusal page says what in its first paragraph (auth/approval-page.ts sendErrorPage).
    const m = /<p[^>]*>([^<]+)<\/p>/i.exec(text);
    if (m) why = decodeEntities(m[1]!.trim());
  }
  return {
    level: 'failure',
    detail: `ChatGPT's metadata document (${method}) is refused: ${why}`,
    fix: 'ChatGPT does not fall back to registration when CIMD is advertised: update Tunnelgate to accept its document.',
  };
}
