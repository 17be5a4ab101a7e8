import { useEffect, useState } from 'react';
import { SCOPE_FULL, SCOPE_READ, type ApprovalRequestView, type GrantView } from '../../../preload/contract';
import { api } from '../api';
import { EmptyState, ErrorBanner, Loading, Notice, PageHeader } from '../components/bits';
import { useAction } from '../hooks/use-action';
import { useLive } from '../hooks/use-live';
import { formatDateTime, formatRelative } from '../lib/format';
import { RevokedGrants } from './revoked-grants';

function scopeWords(scopes: readonly string[]): string {
  if (scopes.includes(SCOPE_FULL)) return 'All tools';
  if (scopes.includes(SCOPE_READ)) return 'Read-only tools';
  return scopes.length ? scopes.join(', ') : 'not stated';
}

/** Re-renders every second so expiry countdowns stay true. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

/** A request the owner approved whose client has not yet redeemed its code (no grant yet). */
interface Approved {
  request: ApprovalRequestView;
  scopes: string[];
  at: number;
}

/**
 * Approved requests still waiting for their client, kept outside the page so that leaving and
 * coming back still shows them. The request leaves the pending list at once; ChatGPT finishes
 * (code for token) a moment later, and only then does a grant appear.
 */
const approvedWaiting = new Map<string, Approved>();

function WaitingCard({ item, now, onDismiss }: { item: Approved; now: number; onDismiss(): void }) {
  const name = item.request.clientName || 'The client';
  return (
    <article
      className="card pending is-approved"
      data-approved={item.request.id}
      aria-label={`Approved: ${name}`}
    >
      <div className="waiting-line">
        <span className="spinner" aria-hidden="true" />
        <div>
          <h3>
            {name}: approved, waiting for {item.request.clientName || 'the client'} to finish connecting
          </h3>
          <p className="muted small">
            Approved {formatRelative(item.at, now)} with {scopeWords(item.scopes).toLowerCase()}. It shows
            under Approved clients once it has fetched its token. If it reports an error instead, start the
            connection again from {item.request.clientName || 'the client'}.
          </p>
        </div>
        <button type="button" className="btn btn-small btn-quiet" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    </article>
  );
}

function PendingCard({
  request,
  now,
  onDone,
}: {
  request: ApprovalRequestView;
  now: number;
  onDone(): void;
}) {
  const action = useAction();
  const decide = (fn: () => Promise<void>) =>
    action.run(async () => {
      await fn();
      onDone();
    });
  const approve = (scopes: string[]) =>
    decide(async () => {
      await api().approve(request.id, scopes);
      approvedWaiting.set(request.id, { request, scopes, at: Date.now() });
    });
  const expired = request.expiresAt <= now;
  return (
    <article
      className="card pending"
      data-request={request.id}
      aria-label={`Request from ${request.clientName}`}
    >
      <div className="pending-main">
        <div>
          <h3>{request.clientName || 'Unnamed client'}</h3>
          <dl className="facts facts-tight">
            <dt>Returns to</dt>
            {/* The full URI, not just the host: a connector id in the path tells whose connector it is. */}
            <dd className="mono small break-all" data-testid="redirect-uri">
              {request.redirectUri ?? request.redirectHost}
            </dd>
            <dt>Identified by</dt>
            <dd className="mono small ellipsis">{request.cimdUrl ?? `registration ${request.clientId}`}</dd>
            <dt>Asks for</dt>
            <dd>{scopeWords(request.requestedScopes)}</dd>
            {/* Where and when it was asked: the owner's own request is the one from their network, just now. */}
            <dt>From</dt>
            <dd className="mono small" data-testid="request-address">
              {request.address ?? 'unknown address'}
            </dd>
            <dt>Asked</dt>
            {/* The app's clock ticks each second, so a request just made may look a moment ahead. */}
            <dd data-testid="request-age">{formatRelative(Math.min(request.createdAt, now - 1000), now)}</dd>
            <dt>Expires</dt>
            <dd>{expired ? 'expired' : formatRelative(request.expiresAt, now)}</dd>
          </dl>
        </div>
        <div className="pairing">
          <span className="eyebrow">Pairing code</span>
          <span className="pairing-code" data-testid="pairing-code">
            {request.pairingCode}
          </span>
          <span className="muted small">
            Approve only if this code matches the one on the sign-in page you opened yourself.
          </span>
        </div>
      </div>
      <ErrorBanner message={action.error} onDismiss={action.clearError} />
      <div className="button-row">
        <button
          type="button"
          className="btn btn-primary"
          disabled={action.busy || expired}
          onClick={() => approve([SCOPE_FULL])}
        >
          Approve all tools
        </button>
        <button
          type="button"
          className="btn"
          disabled={action.busy || expired}
          onClick={() => approve([SCOPE_READ])}
        >
          Approve read-only
        </button>
        <button
          type="button"
          className="btn btn-danger-quiet"
          disabled={action.busy}
          onClick={() => decide(() => api().deny(request.id))}
        >
          Deny
        </button>
      </div>
    </article>
  );
}

function GrantRow({ grant, onDone }: { grant: GrantView; onDone(): void }) {
  const action = useAction();
  return (
    <tr data-grant={grant.id}>
      <td>
        <div>{grant.clientName}</div>
        <div className="muted small mono ellipsis">{grant.clientId}</div>
      </td>
      <td>{scopeWords(grant.scopes)}</td>
      <td className="mono small">{grant.redirectHost}</td>
      <td>{formatDateTime(grant.createdAt)}</td>
      <td>{grant.lastUsedAt ? formatDateTime(grant.lastUsedAt) : 'never'}</td>
      <td className="num">
        <button
          type="button"
          className="btn btn-small btn-danger-quiet"
          disabled={action.busy}
          onClick={() =>
            window.confirm(`Revoke ${grant.clientName}? Its next call fails and it must ask again.`) &&
            action.run(async () => {
              await api().revokeGrant(grant.id);
              onDone();
            })
          }
        >
          Revoke
        </button>
        {action.error && <div className="text-bad small">{action.error}</div>}
      </td>
    </tr>
  );
}

export function ApprovalsPage() {
  const pending = useLive(
    () => api().listApprovals(),
    (l) => api().onApprovals(l),
  );
  const grants = useLive(() => api().listGrants(), null);
  const status = useLive(
    () => api().getStatus(),
    (l) => api().onStatus(l),
  );
  const now = useNow();
  const refresh = () => {
    pending.reload();
    grants.reload();
  };
  // Grants change without a pending-list event (a code redeemed, a revoke from the CLI); every
  // auth change also pushes a status update, so refresh the grants with it.
  const { reload: reloadGrants } = grants;
  useEffect(() => api().onStatus(() => reloadGrants()), [reloadGrants]);
  const [, setWaitingVersion] = useState(0);
  // A grant for the approved client, made after the approval, ends the wait.
  for (const [id, w] of approvedWaiting) {
    if (grants.data?.some((g) => g.clientId === w.request.clientId && g.createdAt >= w.at - 5_000))
      approvedWaiting.delete(id);
  }
  const waiting = [...approvedWaiting.values()];

  return (
    <section className="page" data-testid="approvals-page">
      <PageHeader
        title="Approvals"
        subtitle="Clients that want to use your tools wait here for you. Nobody can approve from the public side."
      />
      <ErrorBanner message={pending.error ?? grants.error} />
      <h2 className="section-title">Waiting for you</h2>
      {!pending.data && !pending.error && <Loading what="requests" />}
      {waiting.map((w) => (
        <WaitingCard
          key={w.request.id}
          item={w}
          now={now}
          onDismiss={() => {
            approvedWaiting.delete(w.request.id);
            setWaitingVersion((v) => v + 1);
          }}
        />
      ))}
      {pending.data?.length === 0 && (
        <EmptyState title="No pending requests">
          When ChatGPT or another client asks to connect, its request appears here with a pairing code.
        </EmptyState>
      )}
      {pending.data && pending.data.length > 1 && (
        <Notice tone="warn">
          <span data-testid="several-waiting">
            {pending.data.length} requests are waiting. Approve only the one whose pairing code matches the
            sign-in page you opened yourself; the others may be someone else&apos;s. Newest first.
          </span>
        </Notice>
      )}
      {/* Newest first: the owner approves the request they just started, seconds old. */}
      {[...(pending.data ?? [])]
        .sort((a, b) => b.createdAt - a.createdAt)
        .map((r) => (
          <PendingCard key={r.id} request={r} now={now} onDone={refresh} />
        ))}
      <h2 className="section-title">Approved clients</h2>
      {!grants.data && !grants.error && <Loading what="clients" />}
      {grants.data?.length === 0 && (
        <EmptyState title="No approved clients">
          Approved clients are listed here; you can revoke any of them at once.
        </EmptyState>
      )}
      {grants.data && grants.data.length > 0 && (
        <div className="card table-card">
          <table className="table" aria-label="Approved clients">
            <thead>
              <tr>
                <th>Client</th>
                <th>Access</th>
                <th>Returns to</th>
                <th>Approved</th>
                <th>Last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {grants.data.map((g) => (
                <GrantRow key={g.id} grant={g} onDone={refresh} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <RevokedGrants revoked={status.data?.revokedGrants} />
    </section>
  );
}
