/**
 * The Connect page's status: where the gateway listens, the URL to paste into ChatGPT, and the
 * checklist (gateway running, tunnel ready, reachable from the internet, a client approved).
 */
import type { TunnelState } from '../tunnel/tunnel-state.js';
import type { AppStatus, GatewayView } from '../../preload/contract.js';

export interface StatusInputs {
  gatewayRunning: boolean;
  gatewayPort: number | null;
  /** The public listener's port, null when nothing is public. */
  publicPort: number | null;
  mcpPath: string;
  authMode: 'oauth' | 'none';
  gatewayError: string | undefined;
  /** What the gateway reports as its public origin, when it reports one (it knows `--public-url`). */
  gatewayPublicOrigin: string | null | undefined;
  /** `gateway.publicUrl` from the config, used when no tunnel is up (own reverse proxy, tests). */
  configuredPublicUrl: string | undefined;
  tunnel: TunnelState;
  pendingApprovals: number;
  grants: number;
  urlChanged: AppStatus['urlChanged'];
  /** Grants Tunnelgate revoked by itself (issue 9); shown until they age out of auth's list. */
  revokedGrants?: NonNullable<AppStatus['revokedGrants']>;
  /** Clients whose tool list is out of date, and grants bound to an old public URL (issue 13). */
  toolDrift?: NonNullable<AppStatus['toolDrift']>;
  staleGrants?: NonNullable<AppStatus['staleGrants']>;
  keychain: AppStatus['keychain'];
  /** Why the tunnel cannot start as this gateway was started (local only). */
  cannotGoPublic?: string;
}

/** Public origin the connector URL is built on: the gateway's word, else the ready tunnel, else the config. */
function publicOrigin(i: StatusInputs): string | null {
  if (i.gatewayPublicOrigin !== undefined) return i.gatewayPublicOrigin;
  if (i.tunnel.phase === 'ready' && i.tunnel.url) return i.tunnel.url;
  if (i.configuredPublicUrl) return i.configuredPublicUrl;
  return null;
}

/** Joins an origin (maybe with a trailing slash) and the MCP path. */
export function joinUrl(origin: string, path: string): string {
  return origin.replace(/\/+$/, '') + path;
}

export function buildStatus(i: StatusInputs): AppStatus {
  const origin = publicOrigin(i);
  const gateway: GatewayView = {
    running: i.gatewayRunning,
    port: i.gatewayPort,
    // The local endpoint is always plain /mcp: the secret path of `--auth none` guards the public side only.
    localUrl: i.gatewayRunning && i.gatewayPort !== null ? `http://127.0.0.1:${i.gatewayPort}/mcp` : null,
    connectorUrl: i.gatewayRunning && origin ? joinUrl(origin, i.mcpPath) : null,
    authMode: i.authMode,
  };
  if (i.gatewayRunning && i.publicPort !== null) gateway.publicListener = `http://127.0.0.1:${i.publicPort}`;
  if (i.gatewayError) gateway.error = i.gatewayError;
  if (i.cannotGoPublic) gateway.cannotGoPublic = i.cannotGoPublic;
  const status: AppStatus = {
    gateway,
    tunnel: i.tunnel,
    checklist: {
      gatewayRunning: i.gatewayRunning,
      // OpenAI's tunnel is ready without a URL: ChatGPT reaches it by the tunnel id.
      tunnelReady: i.tunnel.phase === 'ready' && (i.tunnel.url !== null || i.tunnel.mode === 'openai'),
      reachable: i.tunnel.reachable === 'yes',
      // With auth none there is nobody to approve: the secret URL is the key. Through OpenAI's tunnel
      // the owner's workspace is the approval (the key was stored and the tunnel started by the owner).
      clientApproved: i.authMode === 'none' || i.grants > 0 || i.tunnel.mode === 'openai',
    },
    pendingApprovals: i.pendingApprovals,
    keychain: i.keychain,
  };
  if (i.urlChanged) status.urlChanged = i.urlChanged;
  if (i.revokedGrants?.length) status.revokedGrants = i.revokedGrants;
  if (i.toolDrift?.length) status.toolDrift = i.toolDrift;
  if (i.staleGrants?.length) status.staleGrants = i.staleGrants;
  return status;
}
