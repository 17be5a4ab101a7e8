/**
 * Reads cloudflared's stderr. cloudflared logs with zerolog's console writer:
 *   `2026-01-20T09:56:36Z INF |  https://four-dashed-word-url.trycloudflare.com  |`
 * Quick tunnels print the URL inside an ASCII box (cmd/cloudflared/tunnel/quick_tunnel.go, AsciiBox)
 * before the tunnel works; "Registered tunnel connection connIndex=0 ..." follows once the edge
 * accepted a connection. Fatal start-up errors are printed bare, without timestamp or level, e.g.
 *   `failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: ...`
 */

export type LogLevel = 'DBG' | 'INF' | 'WRN' | 'ERR' | 'FTL';

export interface LogLine {
  time: string | null;
  level: LogLevel | null;
  message: string;
}

const LINE = /^(\d{4}-\d{2}-\d{2}T\S+)\s+(DBG|INF|WRN|ERR|FTL)\s?(.*)$/;
/** A row of the quick-tunnel box; `api.trycloudflare.com` (the API cloudflared calls) never counts. */
const BANNER_URL = /\|\s*(https:\/\/(?!api\.)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.trycloudflare\.com)\/?\s*\|/i;

/** Splits one stderr line into time, level and message; bare lines have null time and level. */
export function parseLogLine(raw: string): LogLine {
  const line = raw.replace(/\r$/, '');
  const m = LINE.exec(line);
  if (!m) return { time: null, level: null, message: line.trim() };
  return { time: m[1] ?? null, level: (m[2] as LogLevel) ?? null, message: (m[3] ?? '').trim() };
}

/** The public origin from the quick-tunnel banner row, or null when this line is not that row. */
export function extractQuickTunnelUrl(raw: string): string | null {
  const m = BANNER_URL.exec(raw);
  return m?.[1] ? m[1].toLowerCase() : null;
}

/** True for the line cloudflared prints when an edge connection is up (older: "Connection <id> registered"). */
export function isConnectionRegistered(raw: string): boolean {
  const { message } = parseLogLine(raw);
  return (
    /^Registered tunnel connection\b/.test(message) || /^Connection [0-9a-f-]{8,} registered\b/.test(message)
  );
}

/** True for lines that mean an edge connection went away (cloudflared then retries by itself). */
export function isConnectionLost(raw: string): boolean {
  const { message } = parseLogLine(raw);
  return /^(Unregistered tunnel connection|Lost connection with the edge|Connection terminated)\b/.test(
    message,
  );
}

interface KnownFailure {
  test: RegExp;
  words: string;
  /** Restarting cannot help (the same input fails the same way): fail at once. */
  permanent?: boolean;
}

const KNOWN_FAILURES: KnownFailure[] = [
  {
    test: /failed to (request|unmarshal|parse) quick Tunnel/i,
    words:
      'cloudflared could not get a quick tunnel from Cloudflare (api.trycloudflare.com did not answer properly). ' +
      'You may be offline, or a firewall or DNS filter blocks Cloudflare; the gateway keeps working on this computer.',
  },
  {
    test: /429 Too Many Requests|rate.?limit/i,
    words:
      'Cloudflare is rate-limiting new quick tunnels from this network; wait a few minutes and try again.',
  },
  {
    test: /Provided Tunnel token is not valid|Invalid tunnel secret|Unauthorized: Failed to get tunnel/i,
    words:
      'Cloudflare rejected the named-tunnel token. Copy the token again from the Cloudflare dashboard ' +
      '(Networks > Tunnels > your tunnel) and save it in Settings > Tunnel.',
    permanent: true,
  },
  {
    test: /address already in use/i,
    words:
      'cloudflared could not open its metrics port (address already in use); starting it again picks another port.',
  },
  {
    test: /failed to sufficiently increase receive buffer size|Failed to dial a quic connection/i,
    words:
      'cloudflared cannot reach Cloudflare over QUIC (UDP 7844 blocked?); it falls back to HTTP/2 when it can.',
  },
];

/** Explains the most telling of the given lines in words, or null when none is recognised. */
export function explainFailure(lines: readonly string[]): string | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    const hit = KNOWN_FAILURES.find((f) => f.test.test(line));
    if (hit) return hit.words;
  }
  return null;
}

/** True when the given lines show a failure that a restart would only repeat (e.g. a rejected token). */
export function isPermanentFailure(lines: readonly string[]): boolean {
  return lines.some((line) => KNOWN_FAILURES.some((f) => f.permanent === true && f.test.test(line)));
}

/** Last lines worth showing to a person: errors and warnings first, else the tail. */
export function summarizeTail(lines: readonly string[], max = 3): string {
  const serious = lines.filter((l) => {
    const { level } = parseLogLine(l);
    return level === 'ERR' || level === 'FTL' || level === 'WRN' || level === null;
  });
  const pick = (serious.length > 0 ? serious : lines).slice(-max);
  return pick.map((l) => parseLogLine(l).message || l).join(' | ');
}
