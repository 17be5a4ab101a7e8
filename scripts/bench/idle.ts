/**
 * `npm run bench:idle [-- <checkout> ...]`: the resident memory of `tunnelgate serve` at idle with the
 * three upstreams of `npm run bench` (server-everything over Streamable HTTP, a JSON-answering SDK
 * server, server-everything over stdio), read as `npm run bench` reads it: 2 s after the upstreams
 * are up. Split as /proc tells it: anonymous memory (the V8 heap, malloc) and file pages (mostly the
 * node binary's code and data that the process has touched).
 *
 * With checkouts given (e.g. a worktree of main), each one's gateway is started in turn with this
 * checkout's, round after round, so that old and new see the same machine; a gateway is started
 * afresh for every reading (idle memory is about what startup leaves behind).
 */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleSideBySide } from './bundle.js';
import { quantile } from './measure.js';
import { Children, cpuMs, everythingEntry, loadAverage, rssMiB, startEverything } from './processes.js';
import { jsonUpstream } from './roles.js';
import { startGateway } from './serve.js';

const root = resolve(import.meta.dirname, '../..');
const EVERYTHING = everythingEntry();
const SCALE = Math.max(0.2, Number(process.env['BENCH_SCALE'] ?? 1));
const node = process.execPath;

interface Reading {
  rss: number;
  anon: number;
  file: number;
  /** From spawn to a tools/list that names every upstream's tools, ms. */
  startMs: number;
  /** CPU the gateway used until the reading (startup and the idle seconds), ms. */
  cpuMs: number;
}

/** RSS split into anonymous and file-backed pages, in MiB (smaps_rollup). */
function reading(pid: number): Omit<Reading, 'startMs'> {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]);
  const rss = rssMiB(pid);
  const anon = kb('Anonymous') / 1024;
  return { rss, anon, file: rss - anon, cpuMs: cpuMs(pid) };
}

async function main(): Promise<void> {
  const children = new Children();
  const temp: string[] = [];
  const checkouts = [root, ...process.argv.slice(2).map((p) => resolve(p))];
  try {
    const { self, clis } = await bundleSideBySide('idle', import.meta.filename, checkouts);
    const { url: sseUrl } = await startEverything(children);
    const json = children.start('json upstream', node, [self, '--role', 'json-upstream']);
    const jsonUrl = `http://127.0.0.1:${(await json.waitFor(/^PORT (\d+)$/))[1]}/mcp`;
    const servers = {
      ev: { type: 'http', url: sseUrl },
      js: { type: 'http', url: jsonUrl },
      st: { command: node, args: [EVERYTHING, 'stdio'] },
    };
    const load0 = loadAverage();
    const readings = checkouts.map(() => [] as Reading[]);
    const rounds = Math.max(2, Math.round(5 * SCALE));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < checkouts.length; k++) {
        const i = (r + k) % checkouts.length;
        const t0 = performance.now();
        const gw = await startGateway(children, {
          cli: clis[i]!,
          name: `tunnelgate ${checkouts[i]}`,
          servers,
          expect: ['ev__echo', 'js__echo', 'st__echo'],
          cwd: checkouts[i]!,
        });
        temp.push(gw.dir);
        const startMs = performance.now() - t0;
        await new Promise((ok) => setTimeout(ok, 2000));
        readings[i]!.push({ ...reading(gw.proc.pid), startMs });
        gw.proc.child.kill('SIGTERM');
        await new Promise((ok) => gw.proc.child.once('exit', ok));
      }
    }
    console.log(`load average: ${load0} -> ${loadAverage()}; ${rounds} gateways each`);
    const med = (xs: number[]): number =>
      quantile(
        [...xs].sort((a, b) => a - b),
        0.5,
      );
    const f = (n: number): string => n.toFixed(1);
    for (const [i, rs] of readings.entries()) {
      const rss = rs.map((x) => x.rss);
      console.log(
        `${i === 0 ? 'this checkout' : checkouts[i]}: RSS idle median ${f(med(rss))} MiB ` +
          `(min ${f(Math.min(...rss))}, max ${f(Math.max(...rss))}; anonymous ${f(med(rs.map((x) => x.anon)))}, ` +
          `file pages ${f(med(rs.map((x) => x.file)))}); runs: ${rss.map(f).join(' ')}; ` +
          `start ${med(rs.map((x) => x.startMs)).toFixed(0)} ms, CPU ${med(rs.map((x) => x.cpuMs)).toFixed(0)} ms`,
      );
    }
    for (let i = 1; i < checkouts.length; i++) {
      const diff = med(readings[i]!.map((x, r) => x.rss - readings[0]![r]!.rss));
      console.log(`${checkouts[i]} - this checkout, paired by round: ${diff >= 0 ? '+' : ''}${f(diff)} MiB`);
    }
  } finally {
    await children.stopAll();
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--role' && process.argv[3] === 'json-upstream') void jsonUpstream();
else
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
