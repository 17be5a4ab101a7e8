/**
 * Settings as the window shows them, and the validation of a patch from the window into config
 * edits. Secret values (the named-tunnel token) go to the keychain, never into the config.
 */
import { DEFAULT_RETENTION_DAYS } from '../activity/activity-log.js';
import { DEFAULT_PORT } from '../config/ports.js';
import type { TunnelgateConfig } from '../config/schema.js';
import type { SettingsView } from '../../preload/contract.js';

/** Default keychain entry for the named-tunnel token when the config names none. */
const DEFAULT_TUNNEL_TOKEN_SECRET = 'cloudflared-tunnel-token';

/** Default keychain entry for the OpenAI tunnel's runtime API key when the config names none. */
const DEFAULT_OPENAI_KEY_SECRET = 'openai-tunnel-api-key';

export type SettingsPatch = Partial<SettingsView> & { tunnelToken?: string; openaiApiKey?: string };

export function tunnelTokenSecretName(config: TunnelgateConfig): string {
  return config.tunnel?.tokenSecret ?? DEFAULT_TUNNEL_TOKEN_SECRET;
}

export function openaiKeySecretName(config: TunnelgateConfig): string {
  return config.tunnel?.apiKeySecret ?? DEFAULT_OPENAI_KEY_SECRET;
}

export interface SettingsInputs {
  config: TunnelgateConfig;
  gatewayPort: number | null;
  gatewayAuthMode: 'oauth' | 'none';
  tunnelMode: SettingsView['tunnelMode'];
  secretNames: readonly string[];
  launchAtLogin: boolean;
  launchAtLoginAvailable: boolean;
}

export function buildSettingsView(i: SettingsInputs): SettingsView {
  const view: SettingsView = {
    port: i.config.gateway?.port ?? i.gatewayPort ?? DEFAULT_PORT,
    authMode: i.config.gateway?.auth ?? i.gatewayAuthMode,
    // No mode in the config means a quick tunnel when the user goes public (a stopped manager reports 'off').
    tunnelMode: i.config.tunnel?.mode ?? (i.tunnelMode === 'off' ? 'quick' : i.tunnelMode),
    tunnelTokenStored: i.secretNames.includes(tunnelTokenSecretName(i.config)),
    launchAtLogin: i.launchAtLogin,
    launchAtLoginAvailable: i.launchAtLoginAvailable,
    logRetentionDays: i.config.activity?.retentionDays ?? DEFAULT_RETENTION_DAYS,
  };
  if (i.config.tunnel?.hostname) view.tunnelHostname = i.config.tunnel.hostname;
  if (i.config.tunnel?.tunnelId) view.openaiTunnelId = i.config.tunnel.tunnelId;
  if (i.config.tunnel?.mode === 'openai' || i.config.tunnel?.tunnelId)
    view.openaiKeyStored = i.secretNames.includes(openaiKeySecretName(i.config));
  return view;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v));
}

/** Applies the config part of a patch; throws naming the field when a value is out of range. */
export function applySettingsPatch(config: TunnelgateConfig, patch: SettingsPatch): TunnelgateConfig {
  const gateway = { ...(config.gateway ?? {}) };
  const tunnel = { ...(config.tunnel ?? {}) };
  const activity = { ...(config.activity ?? {}) };
  if (patch.port !== undefined) {
    if (!Number.isInteger(patch.port) || patch.port < 0 || patch.port > 65535) {
      throw new Error(
        `Port: must be a whole number from 0 to 65535 (got ${shown(patch.port)}); 0 picks a free port.`,
      );
    }
    gateway.port = patch.port;
  }
  if (patch.authMode !== undefined) {
    if (patch.authMode !== 'oauth' && patch.authMode !== 'none') {
      throw new Error(`Auth mode: must be 'oauth' or 'none' (got ${shown(patch.authMode)}).`);
    }
    gateway.auth = patch.authMode;
  }
  if (patch.tunnelMode !== undefined) {
    if (!['off', 'quick', 'named', 'openai'].includes(patch.tunnelMode)) {
      throw new Error(
        `Tunnel mode: must be 'off', 'quick', 'named' or 'openai' (got ${shown(patch.tunnelMode)}).`,
      );
    }
    tunnel.mode = patch.tunnelMode;
  }
  if (patch.tunnelHostname !== undefined) {
    const host = patch.tunnelHostname.trim();
    if (host !== '' && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(host)) {
      throw new Error(
        `Tunnel hostname: expected a host name like 'mcp.example.com' (got ${shown(patch.tunnelHostname)}).`,
      );
    }
    if (host === '') delete tunnel.hostname;
    else tunnel.hostname = host;
  }
  if (patch.openaiTunnelId !== undefined) {
    const id = patch.openaiTunnelId.trim();
    if (id !== '' && !/^[A-Za-z0-9_-]{1,128}$/.test(id)) {
      throw new Error(
        `OpenAI tunnel id: expected the id from OpenAI's Tunnels settings, like 'tunnel_0123…' (got ${shown(patch.openaiTunnelId)}).`,
      );
    }
    if (id === '') delete tunnel.tunnelId;
    else tunnel.tunnelId = id;
  }
  if (patch.openaiApiKey !== undefined && !tunnel.apiKeySecret)
    tunnel.apiKeySecret = DEFAULT_OPENAI_KEY_SECRET;
  if (patch.tunnelToken !== undefined && !tunnel.tokenSecret)
    tunnel.tokenSecret = DEFAULT_TUNNEL_TOKEN_SECRET;
  if (patch.logRetentionDays !== undefined) {
    if (
      !Number.isInteger(patch.logRetentionDays) ||
      patch.logRetentionDays < 1 ||
      patch.logRetentionDays > 3650
    ) {
      throw new Error(
        `Log retention: must be a whole number of days from 1 to 3650 (got ${shown(patch.logRetentionDays)}).`,
      );
    }
    activity.retentionDays = patch.logRetentionDays;
  }
  const next: TunnelgateConfig = { ...config };
  if (Object.keys(gateway).length) next.gateway = gateway;
  if (Object.keys(tunnel).length) next.tunnel = tunnel;
  if (Object.keys(activity).length) next.activity = activity;
  return next;
}
