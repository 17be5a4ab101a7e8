/**
 * What the tunnel's events mean for the owner of a headless gateway, where nobody watches a window:
 * the connector URL (and that ChatGPT's connector must be re-created when it changes), and tunnel
 * trouble after start-up, told once per change in serve's output and in the activity log.
 */
import type { AuthService } from './auth/auth-service.js';
import { joinUrl } from './control/status-view.js';
import type { Gateway } from './gateway/gateway.js';
import type { TunnelState } from './tunnel/tunnel-state.js';
import type { BootstrapLog, SystemEvent } from './bootstrap-types.js';

export interface TunnelReportDeps {
  log: BootstrapLog;
  systemEvent: SystemEvent;
  gateway(): Gateway | undefined;
  auth: AuthService | undefined;
  /** `--public-url` / `gateway.publicUrl`: when set, it stays the public origin whatever the tunnel says. */
  publicUrlOption: string | undefined;
  localOnly: boolean;
  mcpPath(): string;
}

export function createTunnelReport(d: TunnelReportDeps): {
  onTunnelUrl(url: string | null): void;
  onTunnelState(s: TunnelState, before: TunnelState | undefined): void;
} {
  let lastConnector: string | undefined;
  return {
    onTunnelUrl(url) {
      if (!d.localOnly) d.gateway()?.setPublicOrigin(d.publicUrlOption ?? url);
      d.auth?.refreshOrigin();
      if (!url) return;
      const connector = joinUrl(url, d.mcpPath());
      // A quick tunnel gets a new URL at each start: the connector made in ChatGPT stops working.
      if (lastConnector && lastConnector !== connector) {
        d.log.warn(
          `The public URL changed (was ${lastConnector}): re-create the connector in ChatGPT with the new one.`,
        );
        // Origins only: with --auth none the path holds the secret segment, which never goes in the log.
        d.systemEvent(
          'tunnel/url-changed',
          `${new URL(lastConnector).origin} -> ${new URL(connector).origin}`,
          'ok',
        );
      }
      lastConnector = connector;
      d.log.info(`Connector URL: ${connector}`);
    },
    onTunnelState(s, before) {
      if (s.phase === before?.phase && s.reachable === before.reachable) return;
      if (s.phase === 'failed' && before?.phase !== 'failed') {
        const why = s.error ?? 'cloudflared stopped';
        d.log.warn(`Tunnel failed: ${why}`);
        d.systemEvent('tunnel/failed', why);
      } else if (s.phase === 'reconnecting' && before?.phase === 'ready') {
        // Once per drop: the restart attempts that follow are summed up by 'failed' if they all fail.
        const why = s.error ?? 'cloudflared exited';
        d.log.warn(`Tunnel lost (${why}); reconnecting...`);
        d.systemEvent('tunnel/reconnecting', why);
      } else if (s.phase === 'ready' && s.mode === 'openai' && before?.phase !== 'ready') {
        d.log.info(
          `Connected to OpenAI's tunnel ${s.tunnelId ?? ''}: in ChatGPT, add a custom MCP server with Tunnel and this id.`,
        );
      } else if (s.phase === 'ready' && s.reachable === 'no' && before?.reachable !== 'no') {
        const why = s.reachableDetail ?? 'the public URL does not answer';
        d.log.warn(`The tunnel is up but the gateway is not reachable through it: ${why}`);
        d.systemEvent('tunnel/unreachable', why);
      }
    },
  };
}
