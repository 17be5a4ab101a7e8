import type { AppStatus, ChecklistView } from '../../../preload/contract';
import { DoctorPanel } from './doctor-panel';
import { api } from '../api';
import { ClientSnippets } from '../components/client-snippets';
import { CopyButton } from '../components/copy-button';
import { ErrorBanner, Loading, Notice, PageHeader, StatusPill } from '../components/bits';
import { useAction } from '../hooks/use-action';
import { GatewayButton } from '../components/gateway-button';
import { OpenAiTunnelConnect } from './openai-tunnel-connect';
import { ChatGptSteps } from './chatgpt-steps';

const CHECKS: { key: keyof ChecklistView; label: string; hint: string }[] = [
  { key: 'gatewayRunning', label: 'Gateway running', hint: 'The local MCP endpoint accepts requests.' },
  { key: 'tunnelReady', label: 'Tunnel ready', hint: 'cloudflared gave the gateway a public HTTPS address.' },
  {
    key: 'reachable',
    label: 'Reachable from the internet',
    hint: 'The gateway fetched its own public address through the tunnel.',
  },
  {
    key: 'clientApproved',
    label: 'A client approved',
    hint: 'You approved ChatGPT (or another client) on the Approvals page.',
  },
];

/** "42%" when the size is known, else the megabytes received so far. */
function downloadProgress(d: { receivedBytes: number; totalBytes?: number }): string {
  if (d.totalBytes) return `${Math.round((d.receivedBytes / d.totalBytes) * 100)}%`;
  return `${(d.receivedBytes / 1_000_000).toFixed(1)} MB`;
}

function TunnelLine({ status }: { status: AppStatus }) {
  const t = status.tunnel;
  // A download runs while the tunnel is stopped or failed (binary-missing), or as part of a start.
  const downloading = t.download ? `Downloading cloudflared… ${downloadProgress(t.download)}` : undefined;
  const text: Record<typeof t.phase, string> = {
    stopped:
      downloading ??
      (status.gateway.cannotGoPublic
        ? 'Off: this gateway serves this computer only'
        : 'Not public (tunnel stopped)'),
    starting: downloading ?? 'Starting cloudflared…',
    ready: `Public at ${t.url ?? ''}`,
    reconnecting: 'Tunnel reconnecting…',
    failed: downloading ?? 'Tunnel failed',
  };
  return (
    <div className="tunnel-line">
      <StatusPill
        status={t.phase === 'stopped' ? 'stopped' : t.download ? 'starting' : t.phase}
        label={text[t.phase]}
      />
      {t.reachable === 'checking' && <span className="muted">Checking reachability…</span>}
      {t.reachable === 'no' && (
        <span className="text-bad">
          Not reachable from the internet{t.reachableDetail ? `: ${t.reachableDetail}` : ''}
        </span>
      )}
      {t.error && !t.download && <span className="text-bad">{t.error}</span>}
      {t.download && (
        <progress
          className="download"
          max={t.download.totalBytes ?? undefined}
          value={t.download.receivedBytes}
          aria-label="cloudflared download"
        />
      )}
    </div>
  );
}

export function ConnectPage({ status, error }: { status: AppStatus | null; error: string | null }) {
  const action = useAction();
  // Its own busy state: a download may take a minute, and the other buttons stay usable meanwhile.
  const download = useAction();
  // Starting the tunnel has its own error: when the start fails, the Tunnel row already says why
  // (status.tunnel.error), and the banner would only say it a second time.
  const tunnelAction = useAction();
  if (!status) {
    return (
      <section className="page">
        <PageHeader title="Connect" />
        {error ? <ErrorBanner message={error} /> : <Loading what="status" />}
      </section>
    );
  }
  if (status.tunnel.mode === 'openai') return <OpenAiTunnelConnect status={status} error={error} />;
  const g = status.gateway;
  const t = status.tunnel;
  const tunnelBusy = t.phase === 'starting' || t.phase === 'reconnecting';
  const binaryMissing = t.errorCode === 'binary-missing';
  const url = g.connectorUrl;
  return (
    <section className="page" data-testid="connect-page">
      <PageHeader
        title="Connect"
        subtitle={
          g.cannotGoPublic
            ? 'This gateway serves this computer only: MCP clients here use the local endpoint below.'
            : 'Paste this URL into ChatGPT as a custom connector.'
        }
      />
      <ErrorBanner
        message={
          error ??
          action.error ??
          download.error ??
          (tunnelAction.error && !(t.phase === 'failed' && t.error) ? tunnelAction.error : null)
        }
        onDismiss={() => {
          action.clearError();
          download.clearError();
          tunnelAction.clearError();
        }}
      />
      {status.urlChanged && (
        <Notice tone="warn">
          <div className="notice-body">
            <strong>The public URL changed.</strong> ChatGPT still knows the old one (
            {status.urlChanged.previous}): edit or re-create the connector with the new URL below.
          </div>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => action.run(() => api().acknowledgeUrlChange())}
          >
            Got it
          </button>
        </Notice>
      )}
      {!status.keychain.available && (
        <Notice tone="warn">
          <div className="notice-body">
            <strong>The OS keychain is not available</strong>
            {status.keychain.reason ? `: ${status.keychain.reason}` : ''}. Servers that need a secret cannot
            start, and secrets cannot be saved (they are never stored in plain text).
          </div>
        </Notice>
      )}

      <div className="card url-card">
        <div className="url-card-head">
          <span className="eyebrow">Connector URL</span>
          <span
            className={`pill ${g.authMode === 'oauth' ? 'tone-good' : 'tone-warn'}`}
            data-testid="auth-mode"
          >
            {g.authMode === 'oauth' ? 'OAuth with your approval' : 'No authentication'}
          </span>
        </div>
        {url ? (
          <div className="url-row">
            <code className="url-big" data-testid="connector-url">
              {url}
            </code>
            <CopyButton text={url} label="Copy URL" className="btn-primary" />
          </div>
        ) : (
          <div className="url-row">
            <span className="url-placeholder">
              {tunnelBusy && g.running && <span className="spinner" aria-hidden="true" />}
              {!g.running
                ? 'Start the gateway to get a URL.'
                : g.cannotGoPublic
                  ? 'Local only: this gateway was started without a tunnel.'
                  : tunnelBusy
                    ? 'Getting a public URL from Cloudflare…'
                    : 'No public URL yet: start the tunnel to get one.'}
            </span>
          </div>
        )}
        {g.authMode === 'none' && url && (
          <p className="warn-text">
            With no authentication, <strong>this URL is the key</strong>: anyone who has it can call your
            tools. Share it with nobody, and switch to OAuth in Settings when you can.
          </p>
        )}
        <dl className="facts">
          <dt>Local MCP endpoint</dt>
          <dd>
            <code data-testid="local-url">{g.localUrl ?? 'not listening'}</code>
            {g.localUrl && <CopyButton text={g.localUrl} label="Copy" className="btn-small" />}
            <span className="muted"> for MCP clients on this computer (no sign-in, never public)</span>
          </dd>
          {g.publicListener && (
            <>
              <dt>Public listener</dt>
              <dd>
                <code data-testid="public-listener">{g.publicListener}</code>
                <CopyButton text={g.publicListener} label="Copy" className="btn-small" />
                <span className="muted"> what the tunnel (or your own proxy) forwards to</span>
              </dd>
            </>
          )}
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
          <dd>
            <TunnelLine status={status} />
          </dd>
        </dl>
        <div className="button-row">
          <GatewayButton running={g.running} action={action} />
          {binaryMissing && (
            <button
              type="button"
              className="btn btn-primary"
              disabled={download.busy || t.download !== undefined}
              onClick={() => download.run(() => api().downloadCloudflared())}
            >
              {t.download ? 'Downloading cloudflared…' : 'Download cloudflared'}
            </button>
          )}
          {g.cannotGoPublic ? null : t.phase === 'stopped' || t.phase === 'failed' ? (
            <button
              type="button"
              className={binaryMissing ? 'btn' : 'btn btn-primary'}
              disabled={action.busy || tunnelAction.busy || !g.running || t.download !== undefined}
              onClick={() => tunnelAction.run(() => api().startTunnel())}
            >
              {t.phase === 'failed' ? 'Retry tunnel' : 'Go public (start tunnel)'}
            </button>
          ) : (
            <button
              type="button"
              className="btn"
              disabled={action.busy || tunnelAction.busy}
              onClick={() => action.run(() => api().stopTunnel())}
            >
              {tunnelBusy ? 'Cancel tunnel' : 'Stop tunnel'}
            </button>
          )}
        </div>
        {g.cannotGoPublic && (
          <p className="muted local-hint" data-testid="local-only-hint">
            {g.cannotGoPublic}
          </p>
        )}
        {binaryMissing && !t.download && (
          <p className="muted" data-testid="download-hint">
            cloudflared (Cloudflare’s tunnel program) is not installed. Tunnelgate can download the official
            release from GitHub into its data folder, checking its checksum, or install it yourself and retry.
          </p>
        )}
      </div>

      <DoctorPanel
        isPublic={g.connectorUrl !== null}
        notPublic={
          g.cannotGoPublic
            ? 'There is nothing to check: this gateway serves this computer only.'
            : t.phase === 'failed'
              ? 'Retry the tunnel first.'
              : 'Go public first.'
        }
      />

      <div className="two-col">
        <div className="card">
          <h2>Checklist</h2>
          <ul className="checklist" data-testid="checklist">
            {CHECKS.map((c) => {
              const done = status.checklist[c.key];
              return (
                <li
                  key={c.key}
                  className={done ? 'is-done' : ''}
                  data-check={c.key}
                  data-done={done ? 'yes' : 'no'}
                >
                  <span className="check-mark" aria-hidden="true">
                    {done ? '✓' : ''}
                  </span>
                  <div>
                    <div className="check-label">
                      {c.label}
                      {c.key === 'clientApproved' && g.authMode === 'none'
                        ? ' (not needed without authentication)'
                        : ''}
                      {c.key === 'clientApproved' && status.pendingApprovals > 0 && (
                        <a href="#/approvals" className="inline-link">
                          {' '}
                          {status.pendingApprovals} waiting
                        </a>
                      )}
                    </div>
                    <div className="check-hint">{c.hint}</div>
                  </div>
                </li>
              );
            })}
          </ul>
        </div>
        <ChatGptSteps authMode={g.authMode} localOnly={url === null && g.cannotGoPublic !== undefined} />
      </div>
      {g.localUrl && <ClientSnippets url={g.localUrl} />}
    </section>
  );
}
