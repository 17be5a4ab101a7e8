import type { ActivityEvent } from '../../../preload/contract';
import { CopyButton } from '../components/copy-button';
import { clientLabel } from '../lib/activity-filter';
import { formatBytes, formatDateTime, formatTime, prettyJson, progressWords } from '../lib/format';
import { Duration, Outcome } from '../components/outcome';

function JsonBlock({ title, value }: { title: string; value: unknown }) {
  const text = prettyJson(value);
  return (
    <div className="json-block">
      <div className="json-head">
        <h3>{title}</h3>
        {text && <CopyButton text={text} className="btn-small btn-quiet" />}
      </div>
      {text ? (
        <pre className="json" data-testid={`detail-${title.toLowerCase()}`}>
          {text}
        </pre>
      ) : (
        <p className="muted small">Nothing recorded.</p>
      )}
    </div>
  );
}

/** Everything recorded about one call: who, what, how long, how big, and both payloads. */
export function ActivityDetail({ event, onClose }: { event: ActivityEvent; onClose(): void }) {
  return (
    <aside className="detail" aria-label="Call detail" data-testid="activity-detail">
      <div className="detail-head">
        <div>
          <div className="detail-title mono">{event.target ?? event.method}</div>
          <div className="muted small">
            {event.method} · {formatDateTime(event.time)} ({formatTime(event.time)})
          </div>
        </div>
        <button type="button" className="btn btn-quiet btn-small" onClick={onClose} aria-label="Close detail">
          ✕
        </button>
      </div>
      <dl className="facts facts-tight">
        <dt>Outcome</dt>
        <dd>
          <Outcome outcome={event.outcome} />
        </dd>
        <dt>{event.outcome === 'pending' ? 'Running for' : 'Duration'}</dt>
        <dd data-testid="detail-duration">
          <Duration event={event} />
        </dd>
        {event.progress && (
          <>
            <dt>Progress</dt>
            <dd data-testid="detail-progress">{progressWords(event.progress) || '—'}</dd>
          </>
        )}
        {event.kind !== 'system' && (
          <>
            <dt>Request size</dt>
            <dd>{formatBytes(event.requestBytes)}</dd>
            <dt>Response size</dt>
            <dd>{formatBytes(event.responseBytes)}</dd>
          </>
        )}
        <dt>Server</dt>
        <dd>{event.upstream ?? '—'}</dd>
        <dt>Client</dt>
        <dd>
          {clientLabel(event) || '—'}
          {event.client?.id && event.client.name ? (
            <span className="muted small"> ({event.client.id})</span>
          ) : null}
        </dd>
        {event.protocolVersion && (
          <>
            <dt>Protocol</dt>
            <dd>{event.protocolVersion}</dd>
          </>
        )}
        {event.sessionId && (
          <>
            <dt>Session</dt>
            <dd className="mono small">{event.sessionId}</dd>
          </>
        )}
      </dl>
      {event.error && (
        <div
          className={event.outcome === 'note' ? 'detail-error detail-note' : 'detail-error'}
          role="note"
          data-testid="detail-message"
        >
          {event.outcome === 'tool_error' && <strong>The tool reported an error: </strong>}
          {event.error.code !== undefined && <span className="mono">[{event.error.code}] </span>}
          {event.error.message}
        </div>
      )}
      {event.truncated && (
        <p className="muted small" data-testid="detail-truncated">
          Shortened for the log (see the [truncated] markers):
          {event.truncated.request !== undefined && ` full request ${formatBytes(event.truncated.request)}.`}
          {event.truncated.response !== undefined &&
            ` full response ${formatBytes(event.truncated.response)}.`}
        </p>
      )}
      <JsonBlock title="Request" value={event.request} />
      <JsonBlock title="Response" value={event.response} />
    </aside>
  );
}
