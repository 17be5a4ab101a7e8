import { useEffect, useState, type FormEvent } from 'react';
import type { AppStatus, SettingsView } from '../../../preload/contract';
import { api } from '../api';
import { ErrorBanner, Loading, Notice, PageHeader } from '../components/bits';
import { useAction } from '../hooks/use-action';
import { useLive } from '../hooks/use-live';

type Draft = Omit<SettingsView, 'port' | 'logRetentionDays'> & {
  port: string;
  logRetentionDays: string;
  tunnelToken: string;
  openaiApiKey: string;
};

function draftOf(s: SettingsView): Draft {
  return {
    ...s,
    port: String(s.port),
    logRetentionDays: String(s.logRetentionDays),
    tunnelHostname: s.tunnelHostname ?? '',
    tunnelToken: '',
    openaiTunnelId: s.openaiTunnelId ?? '',
    openaiApiKey: '',
  };
}

/** Only what changed goes back, so a save never rewrites fields the user did not touch. */
type Patch = Partial<SettingsView> & { tunnelToken?: string; openaiApiKey?: string };
function patchOf(saved: SettingsView, d: Draft): Patch {
  const patch: Patch = {};
  const port = Number(d.port.trim());
  if (d.port.trim() !== String(saved.port)) patch.port = d.port.trim() === '' ? NaN : port;
  if (d.authMode !== saved.authMode) patch.authMode = d.authMode;
  if (d.tunnelMode !== saved.tunnelMode) patch.tunnelMode = d.tunnelMode;
  if ((d.tunnelHostname ?? '') !== (saved.tunnelHostname ?? ''))
    patch.tunnelHostname = d.tunnelHostname ?? '';
  if (d.tunnelToken !== '') patch.tunnelToken = d.tunnelToken;
  if ((d.openaiTunnelId ?? '') !== (saved.openaiTunnelId ?? ''))
    patch.openaiTunnelId = d.openaiTunnelId ?? '';
  if (d.openaiApiKey !== '') patch.openaiApiKey = d.openaiApiKey;
  if (d.launchAtLogin !== saved.launchAtLogin) patch.launchAtLogin = d.launchAtLogin;
  if (d.logRetentionDays.trim() !== String(saved.logRetentionDays))
    patch.logRetentionDays = Number(d.logRetentionDays.trim());
  return patch;
}

/**
 * On a gateway started without a tunnel (`serve --no-tunnel`, or tunnel.mode "off"; the status's
 * cannotGoPublic, as on the Connect page), what this form holds applies only when it runs with one:
 * said at the top of the form, in the words of the Connect page and the doctor, with how to get one.
 */
function LocalOnlyNotice({ savedMode }: { savedMode: SettingsView['tunnelMode'] }) {
  return (
    <Notice tone="info">
      <div className="notice-body" data-testid="settings-local-only">
        <strong>This gateway was started without a tunnel (serves this computer only)</strong>: nothing is
        public now, and MCP clients on this computer use the local endpoint without sign-in. The tunnel and
        authentication settings below apply when it runs with a tunnel:{' '}
        {savedMode === 'off'
          ? 'choose a tunnel mode below, save, and restart "tunnelgate serve" (without --no-tunnel) to get a public URL.'
          : 'restart "tunnelgate serve" without --no-tunnel to get a public URL.'}
      </div>
    </Notice>
  );
}

export function SettingsPage({ status }: { status: AppStatus | null }) {
  const settings = useLive(() => api().getSettings(), null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const action = useAction();
  useEffect(() => {
    if (settings.data) setDraft(draftOf(settings.data));
  }, [settings.data]);

  if (!settings.data || !draft) {
    return (
      <section className="page">
        <PageHeader title="Settings" />
        {settings.error ? <ErrorBanner message={settings.error} /> : <Loading what="settings" />}
      </section>
    );
  }
  const saved = settings.data;
  /** Started without a tunnel: the tunnel and auth settings apply at a run with one, not now. */
  const localOnly = status?.gateway.cannotGoPublic !== undefined;
  const patch = patchOf(saved, draft);
  const dirty = Object.keys(patch).length > 0;
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setSavedAt(null);
    setDraft({ ...draft, [k]: v });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const next = await api().updateSettings(patch);
      setDraft(draftOf(next));
      settings.reload();
      setSavedAt(Date.now());
    });
  };

  return (
    <section className="page" data-testid="settings-page">
      <PageHeader title="Settings" subtitle="Saved to the config file; secrets go to the OS keychain." />
      <ErrorBanner message={action.error} onDismiss={action.clearError} />
      {savedAt && (
        <Notice tone="good">
          Settings saved. A new port or auth mode applies when the gateway restarts
          {localOnly ? '; the tunnel and authentication settings, when it runs with a tunnel.' : '.'}
        </Notice>
      )}
      <form className="card settings" onSubmit={submit} aria-label="Settings">
        {localOnly && <LocalOnlyNotice savedMode={saved.tunnelMode} />}
        <h2>Gateway</h2>
        <div className="form-grid">
          <label htmlFor="set-port">Port</label>
          <div>
            <input
              id="set-port"
              inputMode="numeric"
              value={draft.port}
              onChange={(e) => set('port', e.target.value)}
              className="input-short"
            />
            <p className="hint">Local port of the MCP endpoint (0 picks a free one).</p>
          </div>
          <span className="form-label">Authentication</span>
          <div className="radio-stack" role="radiogroup" aria-label="Authentication">
            <label>
              <input
                type="radio"
                name="auth"
                checked={draft.authMode === 'oauth'}
                onChange={() => set('authMode', 'oauth')}
              />{' '}
              OAuth, each client approved by you (recommended)
            </label>
            <label>
              <input
                type="radio"
                name="auth"
                checked={draft.authMode === 'none'}
                onChange={() => set('authMode', 'none')}
              />{' '}
              No authentication: a secret URL
            </label>
            {draft.authMode === 'none' &&
              (localOnly ? (
                <p className="hint" data-testid="auth-none-hint">
                  Nothing is public now. But once it runs with a tunnel, with no authentication the URL is the
                  key: anyone who has it can call your tools.
                </p>
              ) : (
                <p className="warn-text">
                  With no authentication the URL is the key: anyone who has it can call your tools.
                </p>
              ))}
          </div>
        </div>
        <h2>Tunnel</h2>
        <div className="form-grid">
          <label htmlFor="set-tunnel">Mode</label>
          <div>
            <select
              id="set-tunnel"
              value={draft.tunnelMode}
              onChange={(e) => set('tunnelMode', e.target.value as Draft['tunnelMode'])}
            >
              <option value="quick">Quick tunnel (no account; new URL at each start)</option>
              <option value="named">Named tunnel (your Cloudflare account; stable URL)</option>
              <option value="openai">OpenAI Secure MCP Tunnel (no public URL; stable tunnel id)</option>
              <option value="off">Off (local only)</option>
            </select>
            {localOnly && (
              <p className="hint" data-testid="tunnel-mode-now">
                Off for this run: this gateway was started without a tunnel.
              </p>
            )}
          </div>
          {draft.tunnelMode === 'named' && (
            <>
              <label htmlFor="set-host">Public hostname</label>
              <input
                id="set-host"
                value={draft.tunnelHostname ?? ''}
                onChange={(e) => set('tunnelHostname', e.target.value)}
                placeholder="mcp.example.com"
              />
              <label htmlFor="set-token">Tunnel token</label>
              <div>
                <input
                  id="set-token"
                  type="password"
                  value={draft.tunnelToken}
                  onChange={(e) => set('tunnelToken', e.target.value)}
                  placeholder={
                    saved.tunnelTokenStored
                      ? 'Stored in the keychain; paste to replace'
                      : 'Paste the token from Cloudflare'
                  }
                  autoComplete="off"
                />
                <p className="hint">
                  {saved.tunnelTokenStored ? 'A token is stored in the keychain.' : 'No token stored yet.'}
                </p>
              </div>
            </>
          )}
        </div>
        {draft.tunnelMode === 'openai' && (
          <div className="form-grid" data-testid="openai-settings">
            <label htmlFor="set-openai-id">Tunnel id</label>
            <input
              id="set-openai-id"
              value={draft.openaiTunnelId ?? ''}
              onChange={(e) => set('openaiTunnelId', e.target.value)}
              placeholder="tunnel_0123… (from OpenAI's Tunnels settings)"
            />
            <label htmlFor="set-openai-key">Runtime API key</label>
            <div>
              <input
                id="set-openai-key"
                type="password"
                value={draft.openaiApiKey}
                onChange={(e) => set('openaiApiKey', e.target.value)}
                placeholder={
                  saved.openaiKeyStored
                    ? 'Stored in the keychain; paste to replace'
                    : 'Paste a key that may use this tunnel'
                }
                autoComplete="off"
              />
              <p className="hint">
                {saved.openaiKeyStored ? 'A key is stored in the keychain.' : 'No key stored yet.'} It stays
                in the OS keychain and is sent only to OpenAI.
              </p>
            </div>
          </div>
        )}
        <h2>App</h2>
        <div className="form-grid">
          <label htmlFor="set-login">Launch at login</label>
          <div>
            <input
              id="set-login"
              type="checkbox"
              checked={draft.launchAtLogin}
              disabled={saved.launchAtLoginAvailable === false}
              onChange={(e) => set('launchAtLogin', e.target.checked)}
            />
            {saved.launchAtLoginAvailable === false && (
              <p className="hint">
                Only in the desktop app; a headless gateway is started by you or your service manager.
              </p>
            )}
          </div>
          <label htmlFor="set-retention">Keep the log for</label>
          <div>
            <input
              id="set-retention"
              inputMode="numeric"
              className="input-short"
              value={draft.logRetentionDays}
              onChange={(e) => set('logRetentionDays', e.target.value)}
            />{' '}
            days
          </div>
        </div>
        <div className="button-row">
          <button type="submit" className="btn btn-primary" disabled={!dirty || action.busy}>
            {action.busy ? 'Saving…' : 'Save settings'}
          </button>
          <button
            type="button"
            className="btn"
            disabled={!dirty || action.busy}
            onClick={() => setDraft(draftOf(saved))}
          >
            Discard changes
          </button>
        </div>
      </form>
    </section>
  );
}
