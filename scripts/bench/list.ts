/**
 * `npm run bench:list [-- <checkout> ...]`: tools/list over three stdio upstreams of 100 tools each,
 * as `npm run bench` measures it (the same raw node:http client, session era, calls back to back),
 * side by side in one run with its floor: a bare node:http server that answers the gateway's own
 * response (same bytes, same headers, JSON framing as the gateway sends it) from memory.
 *
 * With checkouts given (e.g. a worktree of main), each one's `tunnelgate serve` is measured too, in
 * alternating blocks with this checkout's, so that old and new see the same machine load.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { bundleSideBySide } from './bundle.js';
import { rawList } from './clients.js';
import { floorServer, startListFloor } from './list-floor.js';
import { quantile } from './measure.js';
import { Children, cpuMs, loadAverage } from './processes.js';
import { toolsServer } from './roles.js';
import { startGateway } from './serve.js';

const root = resolve(import.meta.dirname, '../..');
const SCALE = Math.max(0.2, Number(process.env['BENCH_SCALE'] ?? 1));
const node = process.execPath;

async function main(): Promise<void> {
  const children = new Children();
  const temp: string[] = [];
  const checkouts = [root, ...process.argv.slice(2).map((p) => resolve(p))];
  try {
    const { self, clis } = await bundleSideBySide('list', import.meta.filename, checkouts);
    const load0 = loadAverage();
    const servers = Object.fromEntries(
      ['a', 'b', 'c'].map((p) => [p, { command: node, args: [self, '--role', 'tools-server', '100', p] }]),
    );
    const paths: { key: string; pid: number; list: () => Promise<string[]> }[] = [];
    for (const [i, cli] of clis.entries()) {
      const gw = await startGateway(children, {
        cli,
        name: `tunnelgate ${checkouts[i]}`,
        servers,
        expect: ['a__a_tool_99', 'b__b_tool_99', 'c__c_tool_99'],
        cwd: checkouts[i]!,
        nodeArgs: profile(i),
      });
      temp.push(gw.dir);
      const { url, dir } = gw;
      paths.push({
        key: i === 0 ? 'gateway (this checkout)' : `gateway (${checkouts[i]})`,
        pid: gw.proc.pid,
        list: gw.list,
      });
      if (i === 0) {
        const floor = await startListFloor(children, self, url, dir);
        paths.unshift({
          key: 'floor (same bytes from memory)',
          pid: floor.pid,
          list: await rawList(floor.url),
        });
        console.log(`answer: ${floor.bytes} bytes`);
      }
    }
    for (const p of paths) for (let i = 0; i < 50; i++) await p.list();
    const samples = new Map(paths.map((p) => [p.key, [] as number[]]));
    const cpu = new Map(paths.map((p) => [p.key, 0]));
    /** Each block's median, by round: paths are compared round by round (the load drifts between). */
    const blocks = new Map(paths.map((p) => [p.key, [] as number[]]));
    const rounds = Math.max(2, Math.round(20 * SCALE));
    for (let r = 0; r < rounds; r++) {
      for (const p of [...paths.slice(r % paths.length), ...paths.slice(0, r % paths.length)]) {
        const s = samples.get(p.key)!;
        const c0 = cpuMs(p.pid);
        const block: number[] = [];
        for (let i = 0; i < 30; i++) {
          const t = performance.now();
          await p.list();
          block.push(performance.now() - t);
        }
        s.push(...block);
        blocks.get(p.key)!.push(
          quantile(
            block.sort((a, b) => a - b),
            0.5,
          ),
        );
        cpu.set(p.key, cpu.get(p.key)! + cpuMs(p.pid) - c0);
      }
    }
    console.log(`load average: ${load0} -> ${loadAverage()}`);
    for (const [key, s] of samples) {
      s.sort((a, b) => a - b);
      const f = (n: number): string => n.toFixed(2);
      console.log(
        `${key}: p50 ${f(quantile(s, 0.5))} ms, p99 ${f(quantile(s, 0.99))} ms, server CPU ${f(cpu.get(key)! / s.length)} ms per call (n=${s.length})`,
      );
    }
    // The median over rounds of the difference between two paths' blocks of the same round.
    const paired = (a: string, b: string): number =>
      quantile(
        blocks
          .get(a)!
          .map((m, r) => m - blocks.get(b)![r]!)
          .sort((x, y) => x - y),
        0.5,
      );
    const [floor, mine, ...others] = paths.map((p) => p.key);
    for (const key of [mine!, ...others])
      console.log(`${key} - floor, paired by round: p50 ${paired(key, floor!).toFixed(2)} ms`);
    for (const key of others)
      console.log(`${key} - this checkout, paired by round: p50 ${paired(key, mine!).toFixed(2)} ms`);
  } finally {
    await children.stopAll();
    for (const d of temp) rmSync(d, { recursive: true, force: true });
  }
}

/** BENCH_LIST_PROFILE=<folder>: each gateway writes a CPU profile there (node --cpu-prof) when it ends. */
function profile(i: number): string[] {
  const dir = process.env['BENCH_LIST_PROFILE'];
  return dir
    ? ['--cpu-prof', '--cpu-prof-dir', resolve(dir), '--cpu-prof-name', `gateway-${i}.cpuprofile`]
    : [];
}

const role = process.argv[2] === '--role' ? process.argv[3] : undefined;
if (role === 'list-floor') floorServer(process.argv[4]!);
else if (role === 'tools-server') toolsServer(Number(process.argv[4]), process.argv[5] ?? 'x');
else
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
