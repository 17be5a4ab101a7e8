/**
 * What one cloudflared run needs before it can be spawned: the binary, and for a named tunnel its
 * hostname and token; then the exact command line and environment. Pure apart from the binary lookup
 * and the token read, so the security-relevant parts (the token never in argv, inherited TUNNEL_*
 * variables dropped) can be read in one place.
 */
import { binaryMissingMessage, findCloudflared } from './binary.js';
import type { TunnelErrorCode } from './tunnel-state.js';
import type { TunnelSpawnSpec } from './types.js';

export interface LaunchInputs {
  mode: 'quick' | 'named';
  cloudflaredPath?: string;
  hostname?: string;
  token?: () => Promise<string | undefined>;
  dataDir: string;
  env: Record<string, string | undefined>;
}

/** Either what to run (binary and, for a named tunnel, the token) or why it cannot start. */
export type LaunchPrerequisites =
  { ok: true; binaryPath: string; token?: string } | { ok: false; code: TunnelErrorCode; message: string };

export async function launchPrerequisites(i: LaunchInputs): Promise<LaunchPrerequisites> {
  const found = findCloudflared({ configuredPath: i.cloudflaredPath, env: i.env, dataDir: i.dataDir });
  if (!found.found) return { ok: false, code: 'binary-missing', message: binaryMissingMessage(found) };
  if (i.mode !== 'named') return { ok: true, binaryPath: found.path };
  if (!i.hostname) {
    return {
      ok: false,
      code: 'no-hostname',
      message:
        'tunnel.hostname is empty: a named tunnel needs the public hostname you routed to it in the Cloudflare dashboard.',
    };
  }
  const token = (await i.token?.())?.trim() || undefined;
  if (!token) {
    return {
      ok: false,
      code: 'no-token',
      message:
        'No named-tunnel token is stored in the keychain. Paste the token from the Cloudflare dashboard in Settings > Tunnel.',
    };
  }
  return { ok: true, binaryPath: found.path, token };
}

/** The spawn spec: `cloudflared tunnel --no-autoupdate --metrics 127.0.0.1:M (--url ORIGIN | run)`. */
export function cloudflaredSpawnSpec(o: {
  mode: 'quick' | 'named';
  binaryPath: string;
  metricsPort: number;
  localPort: number;
  env: Record<string, string | undefined>;
  token?: string;
}): TunnelSpawnSpec {
  const args = ['tunnel', '--no-autoupdate', '--metrics', `127.0.0.1:${o.metricsPort}`];
  if (o.mode === 'quick') args.push('--url', `http://127.0.0.1:${o.localPort}`);
  else args.push('run');
  // cloudflared reads many TUNNEL_* variables (TUNNEL_URL, TUNNEL_METRICS, ...): drop inherited ones
  // so only our arguments count. The named-tunnel token travels in TUNNEL_TOKEN, never in argv,
  // where any local user could read it with `ps`.
  const env = Object.fromEntries(Object.entries(o.env).filter(([k]) => !k.startsWith('TUNNEL_')));
  if (o.token) env.TUNNEL_TOKEN = o.token;
  return { command: o.binaryPath, args, env };
}
