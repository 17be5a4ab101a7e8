import { useState, type FormEvent } from 'react';
import type { AppStatus, ImportResult } from '../../../preload/contract';
import { api } from '../api';
import { EmptyState, ErrorBanner, Loading, Notice, PageHeader } from '../components/bits';
import { useAction } from '../hooks/use-action';
import { useLive } from '../hooks/use-live';
import { ServerCard } from './server-card';
import { ServerEditor, type EditorTarget } from './server-editor';

/** No OS keychain to store secrets in. Until the status arrives, false: a save would still be refused with the reason. */
function keychainOff(keychain: AppStatus['keychain'] | undefined): boolean {
  return keychain !== undefined && !keychain.available;
}

/**
 * Names of the stored secrets and a form to store one. With no OS keychain (status.keychain, as on
 * the Connect page) the form says so and is off: nothing can be stored, so nothing is typed in vain.
 */
function SecretsPanel({ keychain }: { keychain: AppStatus['keychain'] | undefined }) {
  const unavailable = keychainOff(keychain);
  const secrets = useLive(() => api().listSecrets(), null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api().setSecret(name.trim(), value);
      setName('');
      setValue('');
      secrets.reload();
    });
  };
  return (
    <div className="card">
      <h2>Secrets</h2>
      <p className="muted">
        Tokens and keys live in the OS keychain, never in the config file. Refer to one in a server&apos;s
        environment or headers as <code>{'${secret:NAME}'}</code>.
      </p>
      {unavailable && (
        <Notice tone="warn">
          <div className="notice-body" data-testid="secrets-keychain-unavailable">
            <strong>The OS keychain is not available</strong>
            {keychain?.reason ? `: ${keychain.reason}` : ''}. Secrets cannot be saved (they are never stored
            in plain text), so this form is off; servers that need no secret keep working. Once a keychain is
            running, restart Tunnelgate to store secrets here.
          </div>
        </Notice>
      )}
      <ErrorBanner message={secrets.error ?? action.error} onDismiss={action.clearError} />
      {secrets.data && secrets.data.length > 0 ? (
        <ul className="secret-list">
          {secrets.data.map((n) => (
            <li key={n}>
              <code>{n}</code>
              <span className="muted small">stored</span>
              <button
                type="button"
                className="btn btn-small btn-danger-quiet"
                onClick={() =>
                  window.confirm(`Delete secret ${n} from the keychain?`) &&
                  action.run(async () => {
                    await api().deleteSecret(n);
                    secrets.reload();
                  })
                }
              >
                Delete
              </button>
            </li>
          ))}
        </ul>
      ) : (
        secrets.data && !unavailable && <p className="muted small">No secrets stored yet.</p>
      )}
      <form className="inline-form" onSubmit={submit} aria-label="Store a secret">
        <input
          aria-label="Secret name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="name, e.g. github"
          autoComplete="off"
          disabled={unavailable}
        />
        <input
          aria-label="Secret value"
          type="password"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="value"
          autoComplete="off"
          disabled={unavailable}
        />
        <button
          type="submit"
          className="btn btn-primary"
          disabled={unavailable || action.busy || !name.trim() || !value}
        >
          Save secret
        </button>
      </form>
    </div>
  );
}

function ImportSummary({ result, onClose }: { result: ImportResult; onClose(): void }) {
  return (
    <Notice tone={result.added.length ? 'good' : 'info'}>
      <div className="notice-body">
        <strong>Imported from {result.source}:</strong>{' '}
        {result.added.length ? result.added.join(', ') : 'no new servers'}.
        {result.skipped.length > 0 && (
          <ul className="compact">
            {result.skipped.map((s) => (
              <li key={s.name}>
                Skipped {s.name}: {s.reason}
              </li>
            ))}
          </ul>
        )}
      </div>
      <button type="button" className="btn btn-small" onClick={onClose}>
        OK
      </button>
    </Notice>
  );
}

/**
 * Claude Desktop import: its usual place on this machine, or a path the user gives (another OS
 * user's file, a copy, a non-standard install).
 */
function ImportPanel({ onImported, onClose }: { onImported(r: ImportResult): void; onClose(): void }) {
  const [path, setPath] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      onImported(await api().importClaudeConfig(path.trim() === '' ? undefined : path.trim()));
    });
  };
  return (
    <form className="card import-panel" onSubmit={submit} aria-label="Import Claude Desktop config">
      <h2>Import from Claude Desktop</h2>
      <ErrorBanner message={action.error} onDismiss={action.clearError} />
      <label htmlFor="import-path">Path to claude_desktop_config.json</label>
      <input
        id="import-path"
        className="mono"
        value={path}
        onChange={(e) => setPath(e.target.value)}
        placeholder="Leave empty to use Claude Desktop's usual location on this computer"
        autoComplete="off"
        spellCheck={false}
      />
      <p className="hint">
        Servers already in your list are skipped; secrets in their environment stay as they are in that file.
      </p>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={action.busy}>
          {action.busy ? 'Importing…' : 'Import'}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ServersPage({ status }: { status: AppStatus | null }) {
  const servers = useLive(
    () => api().listServers(),
    (l) => api().onServers(l),
  );
  const [editing, setEditing] = useState<EditorTarget | 'new' | null>(null);
  const [imported, setImported] = useState<ImportResult | null>(null);
  const [importing, setImporting] = useState(false);
  const action = useAction();

  return (
    <section className="page" data-testid="servers-page">
      <PageHeader
        title="Servers"
        subtitle="The MCP servers behind your connector. Changes apply at once."
        actions={
          <>
            <button
              type="button"
              className="btn"
              aria-expanded={importing}
              onClick={() => setImporting(!importing)}
            >
              Import Claude Desktop config
            </button>
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              Add server
            </button>
          </>
        }
      />
      <ErrorBanner message={servers.error ?? action.error} onDismiss={action.clearError} />
      {imported && <ImportSummary result={imported} onClose={() => setImported(null)} />}
      {importing && (
        <ImportPanel
          onClose={() => setImporting(false)}
          onImported={(r) => {
            setImported(r);
            setImporting(false);
            servers.reload();
          }}
        />
      )}
      {editing && (
        <ServerEditor
          key={editing === 'new' ? 'new' : editing.name}
          target={editing === 'new' ? null : editing}
          onDone={(saved) => {
            setEditing(null);
            if (saved) servers.reload();
          }}
        />
      )}
      {!servers.data && !servers.error && <Loading what="servers" />}
      {servers.data && servers.data.length === 0 && !editing && (
        <EmptyState
          title="No servers yet"
          action={
            <button type="button" className="btn btn-primary" onClick={() => setEditing('new')}>
              Add your first server
            </button>
          }
        >
          Add a local program (like <code>npx -y @modelcontextprotocol/server-memory</code>) or a remote MCP
          URL, or import the servers you already use in Claude Desktop.
        </EmptyState>
      )}
      <div className="server-list">
        {servers.data?.map((s) => (
          <ServerCard
            key={s.name}
            server={s}
            onEdit={() => setEditing({ name: s.name, config: s.config })}
            keychainOff={keychainOff(status?.keychain)}
          />
        ))}
      </div>
      <SecretsPanel keychain={status?.keychain} />
    </section>
  );
}
