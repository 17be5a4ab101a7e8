import type { AppStatus, ToolDriftView } from '../../../preload/contract';
import { api } from '../api';
import { useAction } from '../hooks/use-action';
import { formatRelative } from '../lib/format';
import { ErrorBanner, Notice } from './bits';

const few = (names: readonly string[], max = 6): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

function DriftLine({ d }: { d: ToolDriftView }) {
  return (
    <li data-grant={d.grantId}>
      <strong>{d.clientName}</strong>{' '}
      <span className="muted">(listed tools {formatRelative(d.listedAt)})</span>
      {d.removed.length > 0 && (
        <div className="small">
          Still believes in <span className="mono">{few(d.removed)}</span>, no longer offered: its calls to
          them fail.
        </div>
      )}
      {d.added.length > 0 && (
        <div className="small">
          Does not know <span className="mono">{few(d.added)}</span> yet.
        </div>
      )}
      {d.changed.length > 0 && (
        <div className="small">
          Has an old definition of <span className="mono">{few(d.changed)}</span>.
        </div>
      )}
    </li>
  );
}

/**
 * What connected clients still believe (issue 13), shown on every page: ChatGPT works from the tool
 * list it fetched when the connector was created or last refreshed, and a grant is bound to the URL
 * it was approved for. Both need the owner's hand in ChatGPT; the window says exactly what to do.
 */
export function ConnectorNotices({ status }: { status: AppStatus | null }) {
  const forget = useAction();
  if (!status) return null;
  const drift = status.toolDrift ?? [];
  const stale = status.staleGrants ?? [];
  if (drift.length === 0 && stale.length === 0) return null;
  return (
    <div className="connector-notices">
      {drift.length > 0 && (
        <Notice tone="warn">
          <div className="notice-body" data-testid="drift-banner">
            <strong>
              {drift.length === 1 ? 'A client works' : `${drift.length} clients work`} from an old tool list.
            </strong>{' '}
            ChatGPT keeps the list it fetched until you refresh it: press <strong>Refresh</strong> in the
            plugin&apos;s settings in ChatGPT (Plugins, this plugin). This warning clears when it lists the
            tools again.
            <ul className="drift-list">
              {drift.map((d) => (
                <DriftLine key={d.grantId} d={d} />
              ))}
            </ul>
          </div>
        </Notice>
      )}
      {stale.length > 0 && (
        <Notice tone="warn">
          <div className="notice-body" data-testid="stale-grants">
            <strong>
              {stale.length === 1 ? 'A connector is' : `${stale.length} connectors are`} bound to an old URL.
            </strong>{' '}
            Their access is tied to the URL they were approved for, so they no longer work: re-create them in
            ChatGPT with the connector URL on the Connect page, then forget the old access here.
            <ul className="drift-list">
              {stale.map((g) => (
                <li key={g.grantId}>
                  <strong>{g.clientName}</strong> <span className="mono small">{g.resource}</span>
                </li>
              ))}
            </ul>
            <ErrorBanner message={forget.error} onDismiss={forget.clearError} />
          </div>
          <button
            type="button"
            className="btn btn-small"
            disabled={forget.busy}
            onClick={() => forget.run(() => api().forgetStaleGrants())}
          >
            {forget.busy ? 'Forgetting…' : stale.length === 1 ? 'Forget it' : `Forget all ${stale.length}`}
          </button>
        </Notice>
      )}
    </div>
  );
}
