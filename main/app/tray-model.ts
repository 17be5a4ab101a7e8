/**
 * What the tray shows for an AppStatus: the icon state, the status line, the tooltip and the menu.
 * Pure functions of the status, so tests check every case without Electron.
 */
import type { AppStatus } from '../../preload/contract.js';
import type { MenuItemConstructorOptions } from './electron-port.js';

/** Icon states, one image set each in resources/ (tray-<state>[Template][@2x].png). */
export type TrayIconState = 'stopped' | 'starting' | 'public' | 'error';

export interface TrayActions {
  startGateway(): void;
  stopGateway(): void;
  startTunnel(): void;
  stopTunnel(): void;
  copyText(text: string): void;
  openDashboard(route?: string): void;
  openActivity(): void;
  setLaunchAtLogin(enabled: boolean): void;
  quit(): void;
}

const MAX_LINE = 90;
const clip = (text: string): string => (text.length > MAX_LINE ? `${text.slice(0, MAX_LINE - 1)}…` : text);
const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** Green only when ChatGPT can reach the tools: gateway running, tunnel ready and not known unreachable. */
export function trayIconState(status: AppStatus): TrayIconState {
  const { gateway, tunnel } = status;
  if (gateway.error || tunnel.phase === 'failed') return 'error';
  if (!gateway.running) return 'stopped';
  if (tunnel.phase === 'starting' || tunnel.phase === 'reconnecting') return 'starting';
  if (tunnel.phase === 'ready') return tunnel.reachable === 'no' ? 'error' : 'public';
  return 'stopped';
}

/** The first (disabled) menu line: Stopped / Starting… / Public at <host> / Error: <why>. */
export function trayStatusLine(status: AppStatus): string {
  const { gateway, tunnel } = status;
  if (gateway.error) return clip(`Error: ${gateway.error}`);
  if (tunnel.phase === 'failed') return clip(`Error: ${tunnel.error ?? 'the tunnel failed'}`);
  if (!gateway.running) return 'Stopped';
  if (tunnel.phase === 'starting') return 'Starting…';
  if (tunnel.phase === 'reconnecting') return 'Starting… (reconnecting the tunnel)';
  // OpenAI's Secure MCP Tunnel has no public URL: ChatGPT names the tunnel id instead.
  if (tunnel.phase === 'ready' && tunnel.mode === 'openai')
    return clip(`Connected to OpenAI's tunnel ${tunnel.tunnelId ?? ''}`);
  if (tunnel.phase === 'ready' && tunnel.url) {
    const host = hostOf(tunnel.url);
    if (tunnel.reachable === 'no') return clip(`Error: ${host} is not reachable from the internet`);
    return `Public at ${host}`;
  }
  return gateway.port ? `Running locally on 127.0.0.1:${gateway.port}` : 'Running locally';
}

export function trayTooltip(status: AppStatus): string {
  const line = trayStatusLine(status);
  const pending =
    status.pendingApprovals > 0
      ? ` · ${status.pendingApprovals} pending approval${status.pendingApprovals === 1 ? '' : 's'}`
      : '';
  return `Tunnelgate: ${line}${pending}`;
}

/** The tray menu; every item has an `id` so tests (and the accessibility tree) can find it. */
export function buildTrayTemplate(
  status: AppStatus,
  launchAtLogin: boolean,
  actions: TrayActions,
): MenuItemConstructorOptions[] {
  const { gateway, tunnel } = status;
  const tunnelActive =
    tunnel.phase === 'starting' || tunnel.phase === 'ready' || tunnel.phase === 'reconnecting';
  const tunnelId = tunnel.mode === 'openai' ? tunnel.tunnelId : undefined;
  const copyTarget = gateway.connectorUrl ?? tunnelId ?? gateway.localUrl;
  const pending = status.pendingApprovals;
  return [
    { id: 'status', label: trayStatusLine(status), enabled: false },
    { type: 'separator' },
    gateway.running
      ? { id: 'toggle-gateway', label: 'Stop gateway', click: () => actions.stopGateway() }
      : { id: 'toggle-gateway', label: 'Start gateway', click: () => actions.startGateway() },
    tunnelActive
      ? {
          id: 'toggle-tunnel',
          label: tunnel.mode === 'openai' ? 'Disconnect OpenAI tunnel' : 'Stop public URL',
          click: () => actions.stopTunnel(),
        }
      : {
          id: 'toggle-tunnel',
          label: tunnel.mode === 'openai' ? 'Connect OpenAI tunnel' : 'Go public (start tunnel)',
          enabled: gateway.running,
          click: () => actions.startTunnel(),
        },
    {
      id: 'copy-url',
      label: gateway.connectorUrl
        ? 'Copy connector URL'
        : tunnelId
          ? 'Copy OpenAI tunnel id'
          : 'Copy connector URL (local only)',
      enabled: copyTarget !== null,
      click: () => {
        if (copyTarget) actions.copyText(copyTarget);
      },
    },
    { type: 'separator' },
    { id: 'open-dashboard', label: 'Open dashboard', click: () => actions.openDashboard() },
    { id: 'open-activity', label: 'Open request log', click: () => actions.openActivity() },
    {
      id: 'open-approvals',
      label: pending > 0 ? `Pending approvals (${pending})` : 'Pending approvals (none)',
      enabled: pending > 0,
      click: () => actions.openDashboard('approvals'),
    },
    { type: 'separator' },
    {
      id: 'launch-at-login',
      label: 'Launch at login',
      type: 'checkbox',
      checked: launchAtLogin,
      click: () => actions.setLaunchAtLogin(!launchAtLogin),
    },
    { type: 'separator' },
    { id: 'quit', label: 'Quit Tunnelgate', click: () => actions.quit() },
  ];
}
