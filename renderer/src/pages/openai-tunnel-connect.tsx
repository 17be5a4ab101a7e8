import type { AppStatus } from '../../../preload/contract';
import { api } from '../api';
import { CopyButton } from '../components/copy-button';
import { ErrorBanner, PageHeader, StatusPill } from '../components/bits';
import { GatewayButton } from '../components/gateway-button';
import { useAction } from '../hooks/use-action';

/**
 * The Connect page when `tunnel.mode` is "openai" (OpenAI's Secure MCP Tunnel): there is no URL to
 * paste; ChatGPT is told the tunnel id, and this computer long-polls OpenAI for the requests.
 */
export function OpenAiTunnelConnect({ status, error }: { status: AppStatus; error: string | null }) {
  const action = useAction();
  const g = status.gateway;
  const t = status.tunnel;
  const id = t.tunnelId ?? '';
  const busy = t.phase === 'starting' || t.phase === 'reconnecting';
  const line: Record<typeof t.phase, string> = {
    stopped: 'Not connected (tunnel stopped)',
    starting: 'Connecting to OpenAI…',
    ready: `Connected to OpenAI's tunnel ${id}`,
    reconnecting: 'Reconnecting to OpenAI…',
    failed: 'Tunnel failed',
  };
  return (
    <section className="page" data-testid="connect-page">
      <PageHeader
        title="Connect"
        subtitle="OpenAI's Secure MCP Tunnel: nothing to paste, no public URL. ChatGPT reaches this computer by the tunnel id."
      />
      <ErrorBanner message={error ?? action.error} onDismiss={() => action.clearError()} />
      <div className="card url-card">
        <div className="url-card-head">
          <span className="eyebrow">OpenAI tunnel id</span>
          <span className="pill tone-good">Bound to your OpenAI workspace</span>
        </div>
        <div className="url-row">
          <code className="url-big" data-testid="openai-tunnel-id">
            {id || 'no tunnel id configured'}
          </code>
          {id && <CopyButton text={id} label="Copy id" className="btn-primary" />}
        </div>
        <dl className="facts">
          <dt>Gateway</dt>
          <dd>
            {g.running ? (
              <StatusPill status="ready" label={`Running on port ${g.port ?? '?'}`} />
            ) : (
              <StatusPill status="stopped" />
            )}
            {g.error && <span className="text-bad"> {g.error}</span>}
          </dd>
          <dt>Tunnel</dt>
          <dd data-testid="openai-tunnel-state">
            <StatusPill status={t.phase} label={line[t.phase]} />
            {t.tunnelName && <span className="muted"> ({t.tunnelName})</span>}
            {t.error && <span className="text-bad"> {t.error}</span>}
          </dd>
        </dl>
        <div className="button-row">
          <GatewayButton running={g.running} action={action} />
          {t.phase === 'stopped' || t.phase === 'failed' ? (
            <button
              type="button"
              className="btn btn-primary"
              disabled={action.busy || !g.running || !id}
              onClick={() => action.run(() => api().startTunnel())}
            >
              {t.phase === 'failed' ? 'Retry tunnel' : 'Connect the tunnel'}
            </button>
          ) : (
            <button
              type="button"
              className="btn"
              disabled={action.busy}
              onClick={() => action.run(() => api().stopTunnel())}
            >
              {busy ? 'Cancel' : 'Disconnect'}
            </button>
          )}
        </div>
      </div>

      <div className="two-col">
        <div className="card">
          <h2>Add it in ChatGPT</h2>
          <ol className="steps" data-testid="openai-steps">
            <li>
              In ChatGPT, open <strong>Plugins</strong> (developer mode on), then <strong>+</strong> →{' '}
              <strong>Add custom MCP server</strong>.
            </li>
            <li>
              Give it a name and, instead of a server URL, choose <strong>Tunnel</strong>.
            </li>
            <li>
              Pick or enter the tunnel id <code>{id || 'tunnel_…'}</code>. There is no connector URL to paste,
              and it stays the same every time Tunnelgate starts.
            </li>
            <li>
              For <strong>Authentication</strong>, choose <strong>No authentication</strong>: OpenAI already
              ties the tunnel to your workspace, and Tunnelgate asks for no OAuth sign-in on this path.
            </li>
            <li>Create it, then @-mention it in a chat and ask for something your servers can do.</li>
          </ol>
        </div>
        <div className="card" data-testid="openai-binding">
          <h2>Who can call your tools</h2>
          <p>
            Requests through this tunnel come only from ChatGPT in the OpenAI workspace that owns tunnel{' '}
            <code>{id || 'tunnel_…'}</code>: OpenAI checks that before anything reaches this computer, and the
            API key stored in your keychain is what lets Tunnelgate collect them. Nothing here listens on the
            internet.
          </p>
          <p>
            Tunnelgate does not ask you to approve each client on this path: anyone in that workspace who can
            use the plugin can call the tools you expose. Your tool settings still apply (servers and tools
            you turned off stay hidden; <code>tunnel.readOnly</code> limits it to read-only tools), and every
            call appears in the Activity log as <em>ChatGPT via OpenAI tunnel</em>.
          </p>
          <p className="muted">To cut access at once, disconnect the tunnel or delete its API key.</p>
        </div>
      </div>
    </section>
  );
}
