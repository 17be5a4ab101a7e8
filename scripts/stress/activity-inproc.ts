/**
 * The issue's own activity-log figure, in process: 10,000 events with 64 KB arguments and results
 * recorded into a real activity log (ring + JSONL files). Run before the fix it held 1.1 GB.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivityLog } from '../../main/activity/index.js';
import type { Row } from './attacks.js';

export async function activityInProcess(events: number): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-stress-activity-'));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const log = createActivityLog({ dir });
  const t0 = Date.now();
  for (let i = 0; i < events; i++) {
    // 64 KB as 16 strings of 4,000 characters (under the per-string cap), fresh each time as
    // JSON.parse of each request would make them.
    const big: Record<string, string> = {};
    for (let k = 0; k < 16; k++) big[`k${k}`] = `${i}:${k}:`.padEnd(4000, 'x');
    log.record({
      time: Date.now(),
      kind: 'request',
      method: 'tools/call',
      target: 'everything__echo',
      outcome: 'ok',
      request: { name: 'echo', arguments: big },
      response: { content: [{ type: 'text', text: 'Echo' }], structuredContent: big },
    });
    if (i % 1000 === 999) await log.flush();
  }
  await log.flush();
  const took = Date.now() - t0;
  gc?.();
  const held = process.memoryUsage().heapUsed - before;
  const ring = log.recent({ limit: events }).reduce((n, e) => n + JSON.stringify(e).length, 0);
  const peak = process.resourceUsage().maxRSS * 1024;
  let files = 0;
  for (const f of await readdir(dir)) files += (await stat(join(dir, f))).size;
  await log.close();
  await rm(dir, { recursive: true, force: true });
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  return [
    {
      attack: `${events.toLocaleString('en')} events of 64 KB (in process)`,
      measured: 'heap held after GC / peak RSS / ring JSON',
      result: `${mib(held)} / ${mib(peak)} / ${mib(ring)} MiB in ${took} ms`,
      held: held < 100 * 1024 * 1024,
    },
    {
      attack: '',
      measured: 'JSONL files written',
      result: `${mib(files)} MiB`,
      held: files < 256 * 1024 * 1024,
    },
  ];
}
