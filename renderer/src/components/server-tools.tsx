import { useState } from 'react';
import type { ServerView } from '../../../preload/contract';
import { api } from '../api';
import { Toggle } from './bits';
import { ToolFindings } from './tool-findings';
import type { Action } from '../hooks/use-action';

/** Fewer tools than this need no search box. */
const SEARCH_FROM = 6;

/**
 * A server's tools with their switches, a search box over name, title and description, and a "Try"
 * link into the playground for each exposed tool of a running server.
 */
export function ServerTools({
  server,
  action,
  configured,
}: {
  server: ServerView;
  action: Action;
  configured: boolean;
}) {
  const [search, setSearch] = useState('');
  const q = search.trim().toLowerCase();
  const shown = q
    ? server.tools.filter((t) =>
        [t.exposedName, t.name, t.title ?? '', t.description ?? ''].some((s) => s.toLowerCase().includes(q)),
      )
    : server.tools;
  return (
    <div className="server-panel">
      {server.tools.length >= SEARCH_FROM && (
        <input
          type="search"
          className="panel-search"
          aria-label={`Search the tools of ${server.name}`}
          placeholder="Search tools…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      )}
      <ul className="tools">
        {shown.map((t) => (
          <li key={t.name} className={t.enabled ? '' : 'is-off'}>
            <Toggle
              label={`Expose ${t.name}`}
              checked={t.enabled}
              disabled={action.busy || !configured}
              onChange={(v) => action.run(() => api().setToolEnabled(server.name, t.name, v))}
            />
            <div className="tool-text">
              <div>
                <code className="tool-name">{t.exposedName}</code>
                {t.readOnly && <span className="pill tone-info pill-small">read-only</span>}
              </div>
              {(t.title || t.description) && (
                <div className="muted small tool-desc">{t.title ?? t.description}</div>
              )}
              {t.enabled && t.hidden && (
                <div className="muted small" data-testid="tool-hidden">
                  Not offered to clients: {t.hidden}.
                </div>
              )}
              <ToolFindings tool={t} />
            </div>
            {t.enabled && !t.hidden && server.status === 'ready' && (
              <a
                className="btn btn-small btn-quiet tool-try"
                href={`#/playground/${encodeURIComponent(t.exposedName)}`}
                aria-label={`Try ${t.exposedName} in the playground`}
              >
                Try
              </a>
            )}
          </li>
        ))}
        {shown.length === 0 && <li className="muted small">No tool matches “{search}”.</li>}
      </ul>
    </div>
  );
}
