import { memo, useEffect, useMemo, useState } from 'react';
import { ACTIVITY_OUTCOMES, type ActivityEvent } from '../../../preload/contract';
import { api } from '../api';
import { EmptyState, ErrorBanner, Loading, PageHeader } from '../components/bits';
import { VirtualList } from '../components/virtual-list';
import { useAction } from '../hooks/use-action';
import { useActivityLog } from '../hooks/use-activity-log';
import { NO_FILTERS, clientLabel, filtersActive, type ActivityFilters } from '../lib/activity-filter';
import { formatBytes, formatTime, outcomeWords, progressWords } from '../lib/format';
import { Duration, Outcome } from '../components/outcome';
import { ActivityDetail } from './activity-detail';

const ROW_HEIGHT = 34;

/**
 * What a row shows as its size: nothing for the gateway's own events (a tunnel failure, a config
 * error: no message crossed the wire), and a dash where no size was measured.
 */
function rowSize(e: ActivityEvent): string {
  if (e.kind === 'system') return '';
  if (e.requestBytes === undefined && e.responseBytes === undefined) return '—';
  return formatBytes((e.requestBytes ?? 0) + (e.responseBytes ?? 0));
}

/** "1 entry", "3 entries", "1 of 5 entries": the noun agrees with the number next to it. */
function countWords(count: number, total?: number): string {
  const n = total ?? count;
  const noun = n === 1 ? 'entry' : 'entries';
  return total === undefined
    ? `${count.toLocaleString()} ${noun}`
    : `${count.toLocaleString()} of ${total.toLocaleString()} ${noun}`;
}

/** One log row; memoized by event so scrolling re-renders only the rows that come into view. */
const ActivityRow = memo(function ActivityRow({ event: e }: { event: ActivityEvent }) {
  return (
    <div className="log-row" data-event-id={e.id}>
      <span className="mono muted">{formatTime(e.time)}</span>
      <Outcome outcome={e.outcome} />
      <span className="mono log-target" title={e.target ?? e.method}>
        <span className="log-target-name">
          {e.target ?? e.method}
          {e.target && <span className="muted"> · {e.method}</span>}
        </span>
        {e.outcome === 'pending' && e.progress && (
          <span className="progress-note" data-testid="row-progress">
            {progressWords(e.progress)}
          </span>
        )}
      </span>
      <span className="ellipsis">{e.upstream ?? '—'}</span>
      <span className="ellipsis">{clientLabel(e) || '—'}</span>
      <span className="num mono">
        <Duration event={e} />
      </span>
      <span className="num mono muted">{rowSize(e)}</span>
    </div>
  );
});

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** The text filter applies after typing pauses, so every keystroke does not rescan the log. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function ActivityPage() {
  const [form, setForm] = useState<ActivityFilters>(NO_FILTERS);
  const text = useDebounced(form.text, 150);
  const tool = useDebounced(form.tool, 150);
  const { upstream, client, outcome } = form;
  const filters = useMemo<ActivityFilters>(
    () => ({ upstream, client, outcome, text, tool }),
    [upstream, client, outcome, text, tool],
  );
  const log = useActivityLog(filters);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const action = useAction();
  const selectedRow = selectedId === null ? null : log.rowOf(selectedId);
  const selected = selectedRow === null ? undefined : log.at(selectedRow);
  const set = (k: keyof ActivityFilters) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  return (
    <section className="page page-full" data-testid="activity-page">
      <PageHeader
        title="Activity"
        subtitle={
          log.loading
            ? 'Loading the log…'
            : `${countWords(log.count, filtersActive(filters) ? log.total : undefined)}, newest first`
        }
        actions={
          <>
            <button
              type="button"
              className={`btn${log.paused ? ' btn-primary' : ''}`}
              onClick={() => log.setPaused(!log.paused)}
              aria-pressed={log.paused}
            >
              {log.paused ? `Resume${log.queued ? ` (${log.queued} new)` : ''}` : 'Pause'}
            </button>
            <button
              type="button"
              className="btn"
              disabled={action.busy}
              onClick={() =>
                action.run(async () =>
                  download(`tunnelgate-activity-${stamp()}.jsonl`, await api().exportActivity()),
                )
              }
            >
              Export
            </button>
            <button
              type="button"
              className="btn btn-danger-quiet"
              disabled={action.busy || log.total === 0}
              onClick={() =>
                window.confirm('Clear the whole activity log, including the files on disk?') &&
                action.run(async () => {
                  await log.clear();
                  setSelectedId(null);
                })
              }
            >
              Clear
            </button>
          </>
        }
      />
      <ErrorBanner message={log.error ?? action.error} onDismiss={action.clearError} />
      <div className="filters" role="search">
        <input
          aria-label="Search"
          className="filter-text"
          placeholder="Search calls, arguments, results…"
          value={form.text}
          onChange={set('text')}
        />
        <input aria-label="Tool" placeholder="Tool" value={form.tool} onChange={set('tool')} />
        <select aria-label="Server" value={form.upstream} onChange={set('upstream')}>
          <option value="">All servers</option>
          {log.upstreams.map((u) => (
            <option key={u}>{u}</option>
          ))}
        </select>
        <select aria-label="Client" value={form.client} onChange={set('client')}>
          <option value="">All clients</option>
          {log.clients.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        <select aria-label="Outcome" value={form.outcome} onChange={set('outcome')}>
          <option value="">Any outcome</option>
          {ACTIVITY_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {outcomeWords(o)}
            </option>
          ))}
        </select>
        {filtersActive(form) && (
          <button type="button" className="btn btn-quiet" onClick={() => setForm(NO_FILTERS)}>
            Reset
          </button>
        )}
      </div>
      <div className={`activity${selected ? ' has-detail' : ''}`}>
        <div className="log">
          <div className="log-head" role="presentation">
            <span>Time</span>
            <span>Outcome</span>
            <span>Tool / method</span>
            <span>Server</span>
            <span>Client</span>
            <span className="num">Duration</span>
            <span className="num">Size</span>
          </div>
          {log.loading ? (
            <Loading what="activity" />
          ) : log.count === 0 ? (
            <EmptyState title={log.total === 0 ? 'No calls yet' : 'Nothing matches'}>
              {log.total === 0
                ? 'Calls from ChatGPT and other clients appear here as they happen.'
                : 'Change or reset the filters to see more.'}
            </EmptyState>
          ) : (
            <VirtualList
              label="Activity log"
              count={log.count}
              rowHeight={ROW_HEIGHT}
              selected={selectedRow}
              growsAtTop
              anchorKey={JSON.stringify(filters)}
              onSelect={(row) => setSelectedId(log.at(row)?.id ?? null)}
              rowKey={(row) => log.at(row)?.id ?? -row}
              renderRow={(row) => {
                const e = log.at(row);
                return e ? <ActivityRow event={e} /> : null;
              }}
            />
          )}
        </div>
        {selected && <ActivityDetail event={selected} onClose={() => setSelectedId(null)} />}
      </div>
    </section>
  );
}
