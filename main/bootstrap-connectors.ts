/**
 * What each connected client believes, against what the gateway serves now (issue 13): the tool list
 * it last fetched (tool-list drift) and the public URL its grant is bound to (URL churn). Wired by
 * bootstrap between the gateway's router tap, the tool-list snapshots and the auth service.
 */
import type { AuthService } from './auth/auth-service.js';
import type { Principal } from './auth/types.js';
import { diffTools, isDrift, type ToolSnapshotStore } from './auth/tool-snapshots.js';
import type { ControlConnectorsPort } from './control/ports.js';
import type { Gateway } from './gateway/gateway.js';
import type { RawObject, UpstreamState } from './gateway/upstream/types.js';
import type { GrantView, StaleGrantView, ToolDriftView } from '../preload/contract.js';

export interface ConnectorsWiring {
  auth: AuthService | undefined;
  snapshots: ToolSnapshotStore | undefined;
  gateway(): Gateway | undefined;
  /** The public origin clients reach now (tunnel URL or --public-url); null when not public. */
  publicOrigin(): string | null;
  upstreamStates(): readonly UpstreamState[];
}

/** Upstreams on their way up or back: their tools are missing for a moment, which is not drift. */
const SETTLING = new Set<UpstreamState['status']>(['starting', 'restarting']);

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

export function createConnectorsPort(w: ConnectorsWiring): ControlConnectorsPort & {
  /** The router tap's hook: a client fetched the whole tool list. */
  onToolsList(principal: Principal, tools: readonly RawObject[]): void;
} {
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of listeners) l();
  };
  // A revoked grant's snapshot goes with it.
  w.auth?.on('grants', (grants: GrantView[]) => w.snapshots?.retain(new Set(grants.map((g) => g.id))));

  function staleGrants(): StaleGrantView[] {
    const origin = w.publicOrigin();
    if (!w.auth || w.auth.mode !== 'oauth' || !origin) return [];
    const now = originOf(origin);
    return w.auth
      .listGrants()
      .filter((g) => g.resource !== undefined && originOf(g.resource) !== now)
      .map((g) => ({ grantId: g.id, clientId: g.clientId, clientName: g.clientName, resource: g.resource! }));
  }

  return {
    onToolsList(principal, tools) {
      if (principal.kind !== 'oauth' || !principal.grantId || !w.snapshots) return;
      w.snapshots.record(principal.grantId, tools);
      changed();
    },
    toolDrift(): ToolDriftView[] {
      const router = w.gateway()?.router;
      if (!router || !w.auth || !w.snapshots) return [];
      if (w.upstreamStates().some((s) => SETTLING.has(s.status))) return [];
      const out: ToolDriftView[] = [];
      for (const g of w.auth.listGrants()) {
        const snapshot = w.snapshots.get(g.id);
        if (!snapshot) continue;
        // The list this grant would get now: a read-only grant sees only read-only tools.
        const current = router.toolListFor({ kind: 'oauth', grantId: g.id, scopes: g.scopes });
        const diff = diffTools(snapshot.tools, current);
        if (isDrift(diff))
          out.push({
            grantId: g.id,
            clientId: g.clientId,
            clientName: g.clientName,
            listedAt: snapshot.listedAt,
            ...diff,
          });
      }
      return out;
    },
    staleGrants,
    async forgetStale() {
      const stale = staleGrants();
      for (const g of stale) await w.auth?.revokeGrant(g.grantId);
      return stale.length;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
