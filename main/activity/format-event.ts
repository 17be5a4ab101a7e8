import type { ActivityEvent } from './types.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Local time as `YYYY-MM-DD HH:MM:SS.mmm`. */
function formatTime(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function cell(value: string | undefined, width: number): string {
  const v = value ?? '-';
  return v.length > width ? `${v.slice(0, width - 1)}~` : v.padEnd(width);
}

/**
 * One readable line per event for `tunnelgate logs`: time, client, method, target, upstream,
 * duration, outcome (and the error message when there is one).
 */
export function formatEventLine(e: ActivityEvent): string {
  const client = e.client?.name ?? e.client?.id;
  const duration = e.durationMs === undefined ? '-' : `${Math.round(e.durationMs)}ms`;
  const parts = [
    formatTime(e.time),
    cell(client, 16),
    cell(e.method, 24),
    cell(e.target, 32),
    cell(e.upstream, 14),
    duration.padStart(8),
    e.outcome,
  ];
  let line = parts.join('  ');
  if (e.error?.message) line += `  ${e.error.message.replace(/\s+/g, ' ').slice(0, 200)}`;
  return line;
}

/** Header line matching formatEventLine's columns. */
export function formatHeaderLine(): string {
  return [
    'time'.padEnd(23),
    cell('client', 16),
    cell('method', 24),
    cell('target', 32),
    cell('upstream', 14),
    'duration'.padStart(8),
    'outcome',
  ].join('  ');
}
