import {
  followActivity,
  formatEventLine,
  formatHeaderLine,
  readRecent,
  type ActivityEvent,
} from '../activity/index.js';
import { activityDir, currentPlatform } from '../config/paths.js';
import { intOption, parseArgs } from './args.js';
import { line, type CliIo } from './io.js';
import { USAGE } from './usage.js';

/** `tunnelgate logs [--follow] [--json] [--limit N]`: reads the activity files (no gateway needed). */
export async function runLogs(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const args = parseArgs(argv, {
    flags: { follow: 'boolean', json: 'boolean', limit: 'string' },
    aliases: { f: 'follow' },
    positionals: { min: 0, max: 0 },
  });
  if (args.help) {
    line(io.stdout, USAGE.logs);
    return 0;
  }
  const limit = intOption('limit', args.flags.limit, 0, 1_000_000) ?? 50;
  const dir = activityDir({ ...currentPlatform(), env: io.env });
  const json = args.flags.json === true;
  const print = (e: ActivityEvent): void => line(io.stdout, json ? JSON.stringify(e) : formatEventLine(e));

  const { events, cursor } = await readRecent(dir, limit);
  if (!json && (events.length > 0 || args.flags.follow)) line(io.stdout, formatHeaderLine());
  for (const e of events) print(e);
  if (events.length === 0 && !args.flags.follow)
    line(io.stderr, `No activity recorded yet (looked in ${dir}).`);
  if (!args.flags.follow) return 0;

  const ac = new AbortController();
  signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const stop = (): void => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await followActivity(dir, { signal: ac.signal, onEvent: print, ...(cursor ? { from: cursor } : {}) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
