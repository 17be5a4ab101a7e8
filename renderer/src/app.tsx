import { useEffect, useRef, useState } from 'react';
import type { AppStatus } from '../../preload/contract';
import { api } from './api';
import { ConnectorNotices } from './components/connector-notices';
import { useLive } from './hooks/use-live';
import { useRoute, type Route } from './hooks/use-route';
import { ActivityPage } from './pages/activity-page';
import { ApprovalsPage } from './pages/approvals-page';
import { ConnectPage } from './pages/connect-page';
import { ServersPage } from './pages/servers-page';
import { PlaygroundPage } from './pages/playground-page';
import { SettingsPage } from './pages/settings-page';

const NAV: { route: Route; label: string }[] = [
  { route: 'connect', label: 'Connect' },
  { route: 'servers', label: 'Servers' },
  { route: 'playground', label: 'Playground' },
  { route: 'activity', label: 'Activity' },
  { route: 'approvals', label: 'Approvals' },
  { route: 'settings', label: 'Settings' },
];

/** One line for the sidebar: is ChatGPT able to reach us right now? */
function summary(status: AppStatus | null): { tone: string; text: string } {
  if (!status) return { tone: 'off', text: 'Connecting…' };
  if (status.gateway.error) return { tone: 'bad', text: 'Gateway error' };
  if (!status.gateway.running) return { tone: 'off', text: 'Gateway stopped' };
  const t = status.tunnel;
  if (t.download) return { tone: 'busy', text: 'Downloading cloudflared…' };
  if (t.phase === 'failed') return { tone: 'bad', text: 'Tunnel failed' };
  if (t.phase === 'starting' || t.phase === 'reconnecting')
    return { tone: 'busy', text: t.phase === 'starting' ? 'Tunnel starting' : 'Reconnecting' };
  if (t.phase === 'ready' && t.url) return { tone: 'good', text: `Public at ${new URL(t.url).host}` };
  if (t.phase === 'ready' && t.mode === 'openai')
    return { tone: 'good', text: "Connected to OpenAI's tunnel" };
  if (status.gateway.connectorUrl) {
    const host = new URL(status.gateway.connectorUrl).hostname;
    // A loopback public URL (--public-url http://127.0.0.1:PORT, for local clients) is not public.
    const local = host === 'localhost' || host === '[::1]' || host.startsWith('127.');
    return local ? { tone: 'info', text: 'Local only' } : { tone: 'good', text: `Public at ${host}` };
  }
  return { tone: 'info', text: 'Local only' };
}

function useStreamConnected(): boolean {
  const [connected, setConnected] = useState(true);
  useEffect(() => api().onConnection?.(setConnected), []);
  return connected;
}

export function App() {
  const route = useRoute();
  const status = useLive(
    () => api().getStatus(),
    (l) => api().onStatus(l),
  );
  const connected = useStreamConnected();
  const content = useRef<HTMLElement>(null);
  // Pages share one scrolling column: a new page starts at its top, not where the last one was left.
  useEffect(() => {
    content.current?.scrollTo(0, 0);
  }, [route]);
  const s = summary(status.data);
  const pending = status.data?.pendingApprovals ?? 0;

  useEffect(() => {
    document.title = pending > 0 ? `(${pending}) Tunnelgate` : 'Tunnelgate';
  }, [pending]);

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Tunnelgate</span>
        </div>
        <div className={`sidebar-status tone-${s.tone}`} data-testid="sidebar-status">
          <span className="dot" aria-hidden="true" />
          <span>{s.text}</span>
        </div>
        <ul className="nav">
          {NAV.map((n) => (
            <li key={n.route}>
              <a
                href={`#/${n.route}`}
                className={route === n.route ? 'is-active' : ''}
                aria-current={route === n.route ? 'page' : undefined}
              >
                <span>{n.label}</span>
                {n.route === 'approvals' && pending > 0 && (
                  <span className="badge" aria-label={`${pending} pending`}>
                    {pending}
                  </span>
                )}
              </a>
            </li>
          ))}
        </ul>
        {!connected && (
          <div className="sidebar-offline">Lost the connection to the gateway; reconnecting…</div>
        )}
      </nav>
      <main className="content" ref={content}>
        <ConnectorNotices status={status.data} />
        {route === 'connect' && <ConnectPage status={status.data} error={status.error} />}
        {route === 'servers' && <ServersPage status={status.data} />}
        {route === 'playground' && <PlaygroundPage />}
        {route === 'activity' && <ActivityPage />}
        {route === 'approvals' && <ApprovalsPage />}
        {route === 'settings' && <SettingsPage status={status.data} />}
      </main>
    </div>
  );
}
