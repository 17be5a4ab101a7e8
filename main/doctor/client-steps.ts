/**
 * Doctor steps about what connected clients believe rather than about the connection (issue 13):
 * a client's frozen tool list (tool-list drift) and grants bound to an old public URL (URL churn).
 * ChatGPT never re-fetches the tool list by itself, and a token is bound to the URL it was issued
 * for (RFC 8707), so both need the owner's hand in ChatGPT.
 */
import type { StaleGrantView, ToolDriftView } from '../../preload/contract.js';
import type { Outcome } from './oauth-steps.js';

const names = (list: readonly string[], max = 5): string =>
  list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;

/** One line per client: what ChatGPT still believes against today's list. */
function describeDrift(d: ToolDriftView): string {
  const parts: string[] = [];
  if (d.removed.length) parts.push(`still lists ${names(d.removed)}, no longer exposed`);
  if (d.added.length) parts.push(`does not know ${names(d.added)}`);
  if (d.changed.length) parts.push(`has an old definition of ${names(d.changed)}`);
  return `${d.clientName} (listed ${new Date(d.listedAt).toISOString()}) ${parts.join('; ')}`;
}

const DRIFT_FIX =
  "Press Refresh in the plugin's settings in ChatGPT (Plugins, this plugin); the warning clears when it lists the tools again.";

export function driftStep(drift: readonly ToolDriftView[]): Outcome {
  if (drift.length === 0)
    return { level: 'pass', detail: 'Every client that listed tools still has the current list.' };
  return {
    level: 'warning',
    detail: `${drift.length} client(s) work from an old tool list: ${drift.map(describeDrift).join('. ')}.`,
    fix: DRIFT_FIX,
  };
}

const STALE_FIX =
  'Re-create those connectors in ChatGPT with the current URL, then forget the old grants (Connect page, or "tunnelgate approvals --forget-stale").';

export function staleGrantsStep(stale: readonly StaleGrantView[]): Outcome {
  if (stale.length === 0)
    return { level: 'pass', detail: 'Every approved client is bound to the current public URL.' };
  return {
    level: 'warning',
    detail: `${stale.length} approved client(s) are bound to an old public URL, and their tokens no longer work here: ${stale.map((g) => `${g.clientName} (${g.resource})`).join(', ')}.`,
    fix: STALE_FIX,
  };
}
