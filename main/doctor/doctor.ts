/**
 * The connection doctor: replays, through the PUBLIC URL (never loopback), each step ChatGPT takes
 * to connect, and reports each as pass, info, warning or failure with the time it took and the fix
 * in one sentence. Runs in the owner's process; see auth/doctor-access.ts for how it authenticates.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createDoctorClient } from './doctor-client.js';
import {
  discoverStep,
  initializeStep,
  streamStep,
  toolsListStep,
  widgetStep,
  type McpContext,
} from './mcp-steps.js';
import type { DoctorNetwork } from './network.js';
import {
  asMetadataStep,
  challengeStep,
  cimdStep,
  registrationStep,
  resourceMetadataStep,
  type OAuthContext,
  type Outcome,
} from './oauth-steps.js';
import type { CheckLevel, DoctorReport, DoctorStep } from './types.js';
import { driftStep, staleGrantsStep } from './client-steps.js';
import type { StaleGrantView, ToolDriftView } from '../../preload/contract.js';
import type { TunnelState } from '../tunnel/types.js';

export interface DoctorDeps {
  /** The connector URL (public origin + MCP path), or null when the gateway is not public. */
  connectorUrl(): string | null;
  authMode: 'oauth' | 'none';
  /** The auth service's in-process doctor token (null in mode 'none' or when not public). */
  mintToken(): { token: string; origin: string } | null;
  network: DoctorNetwork;
  /** The CIMD document ChatGPT publishes; tests may pass another shape. */
  cimdDocument?: Record<string, unknown>;
  /** The streaming probe: events and their spacing (default 4 events, 300 ms apart). */
  stream?: { events: number; intervalMs: number };
  /** What connected clients believe (tool-list drift, grants bound to an old URL); OAuth mode. */
  clients?: { toolDrift(): ToolDriftView[]; staleGrants(): StaleGrantView[] };
  /** Why there is no public URL, so the fix names what the owner can do (see notPublicFix). */
  publicSide?(): { localOnly: boolean; tunnel: Pick<TunnelState, 'mode' | 'phase'> };
}

/**
 * What to do when there is no public URL, in the words of the Connect page the owner will open
 * (connect-page.tsx, openai-tunnel-connect.tsx): its buttons read "Go public (start tunnel)" or
 * "Connect the tunnel", "Retry tunnel" after a failure, and a gateway started without a tunnel has none.
 */
function notPublicFix(side: ReturnType<NonNullable<DoctorDeps['publicSide']>> | undefined): string {
  if (side?.localOnly && side.tunnel.mode !== 'openai')
    return 'This gateway was started without a tunnel (serves this computer only): restart "tunnelgate serve" without --no-tunnel to get a public URL.';
  const phase = side?.tunnel.phase ?? 'stopped';
  if (phase === 'failed')
    return 'The tunnel failed: press Retry tunnel on the Connect page (it shows why it failed).';
  if (phase === 'starting' || phase === 'reconnecting')
    return 'The tunnel is still starting: check again in a moment.';
  const start = side?.tunnel.mode === 'openai' ? 'Connect the tunnel' : 'Go public (start tunnel)';
  return `Press ${start} on the Connect page.`;
}

const RANK: Record<CheckLevel, number> = { pass: 0, info: 0, warning: 1, failure: 2 };
const isLoopbackHost = (h: string) =>
  h === 'localhost' || h === '127.0.0.1' || h === '[::1]' || h.startsWith('127.');

/** With `--auth none` the path holds the secret segment: never in a report. */
function maskSecretPath(url: string): string {
  return url.replace(/\/s\/[^/]+\//, '/s/…/');
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const steps: DoctorStep[] = [];
  const startedAt = Date.now();
  const run = async (id: string, title: string, fn: () => Promise<Outcome>): Promise<Outcome> => {
    const t0 = performance.now();
    let out: Outcome;
    try {
      out = await fn();
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message;
      out = {
        level: 'failure',
        detail: `${(err as Error).message}${cause ? ` (${cause})` : ''}.`,
        fix: 'Check that the gateway runs and the tunnel is up (Connect page).',
      };
    }
    steps.push({ id, title, ...out, durationMs: Math.round(performance.now() - t0) });
    return out;
  };
  const report = (target: string, auth: string, extra: Partial<DoctorReport> = {}): DoctorReport => ({
    startedAt,
    target,
    auth,
    steps,
    ...extra,
    level: steps.reduce<CheckLevel>((w, s) => (RANK[s.level] > RANK[w] ? s.level : w), 'pass'),
  });

  /** The clients' side comes last: it needs no network, and a failed connection does not hide it. */
  const finish = async (target: string, auth: string, extra: Partial<DoctorReport> = {}) => {
    const clients = deps.clients;
    if (clients && deps.authMode === 'oauth') {
      await run('tool-drift', "Clients' tool lists (drift)", async () => driftStep(clients.toolDrift()));
      await run('stale-grants', 'Clients bound to the current URL', async () =>
        staleGrantsStep(clients.staleGrants()),
      );
    }
    return report(target, auth, extra);
  };

  const connector = deps.connectorUrl();
  if (!connector) {
    await run('public-url', 'Public URL', async () => ({
      level: 'failure',
      detail: 'The gateway is not public: there is no URL ChatGPT could reach.',
      fix: notPublicFix(deps.publicSide?.()),
    }));
    return report('(not public)', 'Nothing was checked.');
  }
  const url = new URL(connector);
  const host = url.hostname;
  const target = maskSecretPath(connector);

  await run('dns', 'DNS of the public host', async () => {
    if (isIP(host.replace(/^\[|\]$/g, '')) || isLoopbackHost(host))
      return {
        level: 'info',
        detail: `${host} is an address, not a name: no DNS to check (a local set-up).`,
      };
    const addresses = await deps.network.lookup(host);
    if (addresses.length === 0)
      return {
        level: 'failure',
        detail: `${host} does not resolve.`,
        fix: "Wait a minute for the tunnel's DNS, or restart the tunnel.",
      };
    return { level: 'pass', detail: `${host} resolves to ${addresses.map((a) => a.address).join(', ')}.` };
  });
  await run('tls', 'TLS of the public host', async () => {
    if (url.protocol === 'http:')
      return isLoopbackHost(host)
        ? {
            level: 'info',
            detail: 'Plain http on this computer (a test set-up): ChatGPT itself needs https.',
          }
        : {
            level: 'failure',
            detail: `${url.origin} is plain http: ChatGPT connects only over https.`,
            fix: "Use the tunnel's https URL or put TLS in front of the gateway.",
          };
    const tls = await deps.network.tls(host, Number(url.port || 443));
    // No handshake, no certificate: blaming the certificate would send the owner the wrong way.
    if (tls.reached === false)
      return {
        level: 'failure',
        detail: `No TLS connection to ${host}: ${tls.error ?? 'unknown reason'}.`,
        fix: 'Check that the gateway runs and the tunnel is up (Connect page).',
      };
    if (!tls.authorized)
      return {
        level: 'failure',
        detail: `The certificate of ${host} is not trusted: ${tls.error ?? 'unknown reason'}.`,
        fix: 'Use a certificate from a public CA (cloudflared provides one).',
      };
    return {
      level: 'pass',
      detail: `${tls.protocol ?? 'TLS'}, certificate${tls.issuer ? ` from ${tls.issuer}` : ''} valid until ${tls.validTo ?? '?'}.`,
    };
  });

  const minted = deps.authMode === 'oauth' ? deps.mintToken() : null;
  const auth =
    deps.authMode === 'none'
      ? 'No OAuth (--auth none): the secret URL path is the key, as for ChatGPT\'s "No authentication".'
      : 'A two-minute token minted in this process for the "doctor" principal (no grant; never issued over HTTP); registration and CIMD were dry runs that stored nothing.';
  const client = createDoctorClient(deps.network, connector, minted?.token);

  if (deps.authMode === 'oauth') {
    const oauth: OAuthContext = {
      client,
      origin: url.origin,
      mcpUrl: connector,
      dryRunToken: minted?.token ?? '',
      cimdDocument: deps.cimdDocument,
    };
    await run('challenge', 'Unauthenticated request gets 401', () => challengeStep(oauth));
    await run('resource-metadata', 'Protected-resource metadata (RFC 9728)', () =>
      resourceMetadataStep(oauth),
    );
    await run('as-metadata', 'Authorization-server metadata (RFC 8414)', () => asMetadataStep(oauth));
    await run('registration', 'Registration dry run (RFC 7591)', () => registrationStep(oauth));
    const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
    await run('cimd', 'Client metadata document dry run (CIMD)', () => cimdStep(oauth, challenge));
    if (!minted) {
      await run('token', 'Doctor token', async () => ({
        level: 'failure',
        detail: 'The auth service does not know its public URL yet.',
        fix: 'Wait until the tunnel is ready and run the check again.',
      }));
      return finish(target, auth);
    }
  }

  const mcp: McpContext = { client, conv: { era: 'session' } };
  await run('discover', 'server/discover', () => discoverStep(mcp));
  const init = await run('initialize', 'initialize (the fallback)', () => initializeStep(mcp));
  if (mcp.conv.era === 'session' && init.level === 'failure') return finish(target, auth);
  await run('tools-list', 'tools/list and the tool-list checks', () => toolsListStep(mcp));
  await run('stream', 'A streamed response through the tunnel', async () =>
    deps.authMode === 'oauth'
      ? streamStep(mcp, deps.stream?.events, deps.stream?.intervalMs)
      : { level: 'info', detail: "Not checked: the streaming probe needs the doctor's token (OAuth mode)." },
  );
  await run('widget', 'Widget resource (MIME type and CSP)', () => widgetStep(mcp));
  return finish(target, auth, mcp.toolList ? { toolList: mcp.toolList } : {});
}

/** The report as text, for `tunnelgate doctor`. */
export function formatReport(r: DoctorReport): string {
  const mark: Record<CheckLevel, string> = { pass: 'PASS', info: 'INFO', warning: 'WARN', failure: 'FAIL' };
  const lines = [`Checking ${r.target} as ChatGPT would`, `Authentication: ${r.auth}`, ''];
  for (const s of r.steps) {
    lines.push(`${mark[s.level]}  ${s.title} (${s.durationMs} ms)`);
    lines.push(`      ${s.detail}`);
    if (s.fix && (s.level === 'warning' || s.level === 'failure')) lines.push(`      Fix: ${s.fix}`);
  }
  const failures = r.steps.filter((s) => s.level === 'failure').length;
  const warnings = r.steps.filter((s) => s.level === 'warning').length;
  lines.push(
    '',
    failures
      ? `${failures} step(s) failed, ${warnings} warning(s).`
      : warnings
        ? `All steps pass, ${warnings} warning(s).`
        : 'All steps pass.',
  );
  return lines.join('\n');
}
