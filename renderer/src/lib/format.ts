/** Small formatters shared by the pages. */

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatTime(t: number): string {
  const d = new Date(t);
  const pad = (v: number, w = 2) => String(v).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDateTime(t: number | undefined): string {
  if (t === undefined) return 'never';
  return new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "in 4 min", "2 h ago": for expiries and last use. */
export function formatRelative(t: number, now = Date.now()): string {
  const diff = t - now;
  const abs = Math.abs(diff);
  const unit =
    abs < 60_000
      ? `${Math.max(1, Math.round(abs / 1000))} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return diff >= 0 ? `in ${unit}` : `${unit} ago`;
}

/** Pretty JSON for the detail pane, cut short when huge so the page stays responsive. */
export function prettyJson(value: unknown, limit = 200_000): string {
  if (value === undefined) return '';
  let text: string;
  try {
    text = JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > limit
    ? `${text.slice(0, limit)}\n… (${text.length - limit} more characters not shown; export the log to see all)`
    : text;
}

const STATUS_WORDS: Record<string, string> = {
  ready: 'Running',
  starting: 'Starting',
  restarting: 'Restarting',
  'needs-auth': 'Needs sign-in',
  misconfigured: 'Needs attention',
  failed: 'Failed',
  stopped: 'Stopped',
  disabled: 'Disabled',
};

export function statusWords(status: string): string {
  return STATUS_WORDS[status] ?? status;
}

/** CSS tone for a status: good, busy, bad, info or off. */
export function statusTone(status: string): 'good' | 'busy' | 'bad' | 'info' | 'off' {
  if (status === 'ready') return 'good';
  if (status === 'starting' || status === 'restarting' || status === 'reconnecting' || status === 'checking')
    return 'busy';
  if (status === 'failed' || status === 'misconfigured') return 'bad';
  if (status === 'needs-auth') return 'info';
  return 'off';
}

const OUTCOME_WORDS: Record<string, string> = { tool_error: 'tool error', pending: 'running' };

/** An activity outcome in words: `tool_error` reads "tool error", an in-flight call "running". */
export function outcomeWords(outcome: string): string {
  return OUTCOME_WORDS[outcome] ?? outcome;
}

/** "2/5", "40%" or "step 3": a progress notification in a few characters. */
export function progressWords(p: { progress?: number; total?: number; message?: string }): string {
  const amount =
    p.progress === undefined
      ? ''
      : p.total !== undefined
        ? p.total === 1 && p.progress <= 1
          ? `${Math.round(p.progress * 100)}%`
          : `${p.progress}/${p.total}`
        : `step ${p.progress}`;
  return [amount, p.message].filter(Boolean).join(' · ');
}
