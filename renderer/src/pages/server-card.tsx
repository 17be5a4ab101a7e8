import { useState, type FormEvent, type ReactNode } from 'react';
import type { ServerView } from '../../../preload/contract';
import { api } from '../api';
import { ErrorBanner, StatusPill, Toggle } from '../components/bits';
import { PromptList, ResourceList } from '../components/server-capabilities';
import { ServerLogPanel } from '../components/server-log-panel';
import { ServerTools } from '../components/server-tools';
import { useAction } from '../hooks/use-action';
import { findingsSummary } from '../components/tool-findings';

/**
 * Asks for a secret the server's config refers to and the keychain lacks. With no OS keychain
 * (`keychainOff`) it says so and is off, as the Secrets panel is: a value typed would only be refused.
 */
function SecretPrompt({ name, keychainOff }: { name: string; keychainOff: boolean }) {
  const [value, setValue] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      await api().setSecret(name, value);
      setValue('');
    });
  };
  return (
    <form className="secret-prompt" onSubmit={submit}>
      <label htmlFor={`secret-${name}`}>
        Secret <code>{name}</code>
      </label>
      <input
        id={`secret-${name}`}
        type="password"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        placeholder="Paste the token or key"
        autoComplete="off"
        disabled={keychainOff}
      />
      <button
        type="submit"
        className="btn btn-small btn-primary"
        disabled={keychainOff || action.busy || value === ''}
      >
        Save to keychain
      </button>
      {keychainOff && (
        <span className="muted" data-testid="secret-prompt-keychain-off">
          The OS keychain is not available, so it cannot be saved here (see Secrets below).
        </span>
      )}
      {action.error && <span className="text-bad">{action.error}</span>}
    </form>
  );
}

/** How many exposed tools ChatGPT would refuse or flag (details under each tool). */
function FindingsBadge({ server }: { server: ServerView }) {
  const { failures, warnings } = findingsSummary(server.tools);
  if (failures + warnings === 0) return null;
  return (
    <span className={`pill pill-small tone-${failures ? 'bad' : 'warn'}`} data-testid="findings-badge">
      {failures ? `${failures} refused by ChatGPT` : ''}
      {failures && warnings ? ', ' : ''}
      {warnings ? `${warnings} with warnings` : ''}
    </span>
  );
}

type Panel = 'tools' | 'prompts' | 'resources' | 'logs';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** One of the buttons under a server that open its tools, prompts, resources or log. */
function PanelButton({
  panel,
  open,
  onToggle,
  disabled,
  children,
}: {
  panel: Panel;
  open: Panel | null;
  onToggle(p: Panel): void;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={`btn btn-quiet btn-small panel-button${open === panel ? ' is-open' : ''}`}
      onClick={() => onToggle(panel)}
      aria-expanded={open === panel}
      disabled={disabled}
    >
      {children} {disabled ? '' : open === panel ? '▴' : '▾'}
    </button>
  );
}

const TRANSPORT: Record<ServerView['transport'], string> = {
  stdio: 'Local program',
  http: 'Streamable HTTP',
  sse: 'HTTP + SSE',
  builtin: 'Built-in',
};

/** One upstream: status in words, actions, secrets it lacks, and its tools with switches. */
export function ServerCard({
  server,
  onEdit,
  keychainOff = false,
}: {
  server: ServerView;
  onEdit(): void;
  /** No OS keychain: a missing secret cannot be saved from the card. */
  keychainOff?: boolean;
}) {
  const [panel, setPanel] = useState<Panel | null>(null);
  const toggle = (p: Panel) => setPanel(panel === p ? null : p);
  const resourceCount = server.resources.length + server.resourceTemplates.length;
  const action = useAction();
  const configured = server.transport !== 'builtin' || Object.keys(server.config).length > 0;
  const detail =
    typeof server.config.command === 'string'
      ? [server.config.command, ...((server.config.args as string[] | undefined) ?? [])].join(' ')
      : typeof server.config.url === 'string'
        ? server.config.url
        : '';
  return (
    <article
      className={`card server${server.enabled ? '' : ' is-off'}`}
      data-server={server.name}
      aria-label={`Server ${server.name}`}
    >
      <div className="server-head">
        <div className="server-title">
          <h3>{server.name}</h3>
          <StatusPill status={server.status} />
          <span className="muted small">{TRANSPORT[server.transport]}</span>
        </div>
        <div className="server-actions">
          {server.needsSignIn && (
            <button
              type="button"
              className="btn btn-small btn-primary"
              disabled={action.busy}
              onClick={() => action.run(() => api().signIn(server.name))}
            >
              Sign in
            </button>
          )}
          <button
            type="button"
            className="btn btn-small"
            disabled={action.busy || !server.enabled}
            onClick={() => action.run(() => api().restartServer(server.name))}
          >
            Restart
          </button>
          {configured && (
            <>
              <button type="button" className="btn btn-small" onClick={onEdit}>
                Edit
              </button>
              <button
                type="button"
                className="btn btn-small btn-danger-quiet"
                disabled={action.busy}
                onClick={() =>
                  window.confirm(`Remove ${server.name} from the config?`) &&
                  action.run(() => api().removeServer(server.name))
                }
              >
                Remove
              </button>
              <Toggle
                label={`${server.enabled ? 'Disable' : 'Enable'} ${server.name}`}
                checked={server.enabled}
                disabled={action.busy}
                onChange={(v) => action.run(() => api().setServerEnabled(server.name, v))}
              />
            </>
          )}
        </div>
      </div>
      {detail && <div className="server-detail mono small">{detail}</div>}
      {server.error && (
        <div className={`server-error${server.needsSignIn ? ' is-info' : ''}`}>
          <span>{server.error}</span>
          {!server.needsSignIn && panel !== 'logs' && (
            <button type="button" className="btn btn-small btn-quiet" onClick={() => setPanel('logs')}>
              Show log
            </button>
          )}
        </div>
      )}
      <ErrorBanner message={action.error} onDismiss={action.clearError} />
      {server.missingSecrets.map((n) => (
        <SecretPrompt key={n} name={n} keychainOff={keychainOff} />
      ))}
      <div className="server-foot" role="group" aria-label={`Details of ${server.name}`}>
        <PanelButton panel="tools" open={panel} onToggle={toggle} disabled={server.tools.length === 0}>
          <span data-testid="tool-count">
            {server.toolCount} {server.toolCount === 1 ? 'tool' : 'tools'}
          </span>
          {server.tools.length > server.toolCount
            ? ` (${server.tools.length - server.toolCount} hidden)`
            : ''}
        </PanelButton>
        {server.prompts.length > 0 && (
          <PanelButton panel="prompts" open={panel} onToggle={toggle}>
            <span data-testid="prompt-count">{count(server.prompts.length, 'prompt')}</span>
          </PanelButton>
        )}
        {resourceCount > 0 && (
          <PanelButton panel="resources" open={panel} onToggle={toggle}>
            <span data-testid="resource-count">{count(resourceCount, 'resource')}</span>
          </PanelButton>
        )}
        <PanelButton panel="logs" open={panel} onToggle={toggle}>
          Log
        </PanelButton>
        {server.restarts > 0 && <span className="muted small">{server.restarts} restarts</span>}
        <FindingsBadge server={server} />
      </div>
      {panel === 'tools' && <ServerTools server={server} action={action} configured={configured} />}
      {panel === 'prompts' && <PromptList prompts={server.prompts} />}
      {panel === 'resources' && (
        <ResourceList resources={server.resources} templates={server.resourceTemplates} />
      )}
      {panel === 'logs' && <ServerLogPanel server={server.name} />}
    </article>
  );
}
