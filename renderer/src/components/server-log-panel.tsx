import { useLayoutEffect, useRef, useState } from 'react';
import type { ServerExitView, ServerLogEntry, ServerLogLevel } from '../../../preload/contract';
import { useServerLog } from '../hooks/use-server-log';
import { formatRelative, formatTime } from '../lib/format';

const KIND_LABEL: Record<ServerLogEntry['kind'], string> = {
  stderr: 'stderr',
  message: 'log',
  gateway: 'gateway',
  exit: 'exit',
};

const FILTERS = {
  all: 'Everything',
  stderr: 'stderr only',
  message: 'Log messages only',
  problems: 'Warnings and errors',
} as const;
type Filter = keyof typeof FILTERS;

const SEVERE: readonly ServerLogLevel[] = ['warning', 'error', 'critical', 'alert', 'emergency'];

function matches(e: ServerLogEntry, filter: Filter): boolean {
  if (filter === 'all') return true;
  if (filter === 'problems') return e.level !== undefined && SEVERE.includes(e.level);
  return e.kind === filter;
}

/** The pill tone of a level: RFC 5424 severities folded into the dashboard's tones. */
function levelTone(level: ServerLogLevel): 'off' | 'info' | 'warn' | 'bad' {
  if (level === 'debug') return 'off';
  if (level === 'info' || level === 'notice') return 'info';
  if (level === 'warning') return 'warn';
  return 'bad';
}

/** How a process ended, in the words the log uses. */
function exitWords(exit: ServerExitView): string {
  if (exit.signal) return `crashed: killed by signal ${exit.signal}`;
  if (exit.code === 0) return 'exited on its own (exit code 0)';
  return `crashed: exit code ${exit.code ?? 'unknown'}`;
}

function CrashTail({ crash }: { crash: ServerExitView }) {
  return (
    <div className="crash-tail" data-testid="crash-tail" role="group" aria-label="Last crash">
      <div className="crash-head">
        <strong>Last crash</strong>
        {crash.client && <> of the process for {crash.client}</>}{' '}
        <span data-testid="crash-words">{exitWords(crash)}</span>{' '}
        <span className="muted small">
          at {formatTime(crash.at)} ({formatRelative(crash.at)})
        </span>
      </div>
      {crash.tail.length > 0 ? (
        <pre className="crash-lines mono">{crash.tail.join('\n')}</pre>
      ) : (
        <p className="muted small">It wrote nothing to stderr before it stopped.</p>
      )}
    </div>
  );
}

function LogLine({ e }: { e: ServerLogEntry }) {
  return (
    <li className={`log-line kind-${e.kind}`} data-kind={e.kind} data-level={e.level ?? ''}>
      <time className="log-time" dateTime={new Date(e.at).toISOString()}>
        {formatTime(e.at)}
      </time>
      <span className={`log-kind kind-${e.kind}`}>{KIND_LABEL[e.kind]}</span>
      {e.level && <span className={`log-level tone-${levelTone(e.level)}`}>{e.level}</span>}
      {e.client && (
        <span className="log-client" data-testid="log-client" title="The client this process runs for">
          {e.client}
        </span>
      )}
      {e.logger && <span className="log-logger">{e.logger}</span>}
      <span className="log-text">{e.text}</span>
    </li>
  );
}

/**
 * A server's live log: its stderr, its log messages (notifications/message) with their level, the
 * gateway's notes, and the last crash with the stderr lines before it. Follows new lines while
 * scrolled to the bottom; stays put while the user reads further up.
 */
export function ServerLogPanel({ server }: { server: string }) {
  const log = useServerLog(server);
  const [filter, setFilter] = useState<Filter>('all');
  const listRef = useRef<HTMLOListElement>(null);
  const follow = useRef(true);
  const shown = log.entries.filter((e) => matches(e, filter));

  useLayoutEffect(() => {
    const el = listRef.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [shown.length, filter]);

  return (
    <section className="server-log" aria-label={`Log of ${server}`}>
      {log.lastCrash && <CrashTail crash={log.lastCrash} />}
      <div className="log-toolbar">
        <select
          aria-label="Show log lines"
          value={filter}
          onChange={(e) => setFilter(e.target.value as Filter)}
        >
          {Object.entries(FILTERS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
        <span className="muted small" data-testid="log-count">
          {shown.length} {shown.length === 1 ? 'line' : 'lines'}
          {log.dropped > 0 ? ` (${log.dropped} older not kept)` : ''}
        </span>
      </div>
      {log.error && <div className="server-error">{log.error}</div>}
      {log.loaded && shown.length === 0 && !log.error ? (
        <p className="muted small log-empty">
          {log.entries.length === 0
            ? 'Nothing logged yet. A local program’s stderr and any server’s log messages show here as they happen.'
            : 'No line matches this filter.'}
        </p>
      ) : (
        <ol
          className="log-lines"
          ref={listRef}
          role="log"
          aria-live="polite"
          onScroll={(ev) => {
            const el = ev.currentTarget;
            follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {shown.map((e) => (
            <LogLine key={e.seq} e={e} />
          ))}
        </ol>
      )}
    </section>
  );
}
