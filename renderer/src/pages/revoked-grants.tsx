import type { GrantRevocationView } from '../../../preload/contract';
import { formatDateTime } from '../lib/format';

/**
 * Grants Tunnelgate revoked by itself (a refresh token or code presented again: RFC 9700 §4.14.2).
 * The owner did not do it, so the window says what happened and what the client must do.
 */
export function RevokedGrants({ revoked }: { revoked: readonly GrantRevocationView[] | undefined }) {
  if (!revoked?.length) return null;
  return (
    <>
      <h2 className="section-title">Revoked by Tunnelgate</h2>
      <div className="card" data-testid="revoked-grants">
        <p className="muted">
          A token was used again after it had been replaced, which is how a copied token shows. Tunnelgate
          revoked the access; the client must sign in again (you approve it here as usual).
        </p>
        <ul>
          {revoked.map((r) => (
            <li key={`${r.grantId}-${r.at}`} data-revoked={r.grantId}>
              <strong>{r.clientName}</strong> <span className="muted small mono">{r.clientId}</span>
              <div className="small">
                {formatDateTime(r.at)}: {r.message}
              </div>
            </li>
          ))}
        </ul>
      </div>
    </>
  );
}
