/**
 * `npx tsx scripts/bench/profile.ts [--seconds N] [--concurrency N] [--top N] [--out FILE] [--upstream http|stdio] <checkout> [heap|survivors|cpu|gc|none]`:
 * where the gateway's CPU and allocations go on the HTTP upstream path (issue 16). Builds `tunnelgate
 * serve` from the checkout, puts it in front of server-everything (Streamable HTTP, SSE answers; or
 * over stdio with `--upstream stdio`), warms it up, then calls `ev__echo` N at a time for the given
 * seconds while the gateway's own inspector samples it:
 * - heap: every allocation (including those the GC has already taken), so the table is bytes
 *   allocated per call by function, self and inclusive: what the scavenger has to deal with;
 * - survivors: only what outlived a scavenge (kept alive across one, then promoted or still live):
 *   what the scavenger copies and the major GC later collects, by where it was allocated. A call's
 *   objects should die with it; the floor proxy's do (`--trace-gc-nvp` shows it promoting nothing),
 *   while the gateway's promoted 4-8 KiB per call until its per-call tables let go of their calls
 *   (common/call-tables.ts);
 * - gc: no inspector; V8's trace of every collection (--trace-gc-nvp) summed over the window: the
 *   scavenges' pause and what they promoted per call (the floor's is nil), and the major GCs;
 * - cpu: a JS CPU profile (50 µs sampling);
 * - none: only calls/s and the gateway's CPU per call.
 * The raw profile goes to --out (default /tmp/tunnelgate-<mode>.json, open it in Chrome DevTools).
 * Loopback only, bounded in time; Node 22 (the inspector client is Node's WebSocket).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { bundle } from './bundle.js';
import { rawClient } from './clients.js';
import { createInterface } from 'node:readline';
import { Children, cpuMs, everythingEntry, freePort, startEverything } from './processes.js';
import { startGateway } from './serve.js';

const argv = process.argv.slice(2);
function option(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  return argv.splice(i, 2)[1]!;
}
const SECONDS = Number(option('seconds', '6'));
const CONCURRENCY = Number(option('concurrency', '16'));
const TOP = Number(option('top', '40'));
const OUT_OPTION = option('out', '');
const UPSTREAM = option('upstream', 'http');
const [checkout, mode = 'heap'] = argv;
const OUT = OUT_OPTION || `/tmp/tunnelgate-${mode}.json`;
if (
  !checkout ||
  !['heap', 'survivors', 'cpu', 'gc', 'none'].includes(mode) ||
  !['http', 'stdio'].includes(UPSTREAM)
) {
  console.error(
    'usage: profile.ts [--seconds N] [--concurrency N] [--top N] [--upstream http|stdio] <checkout> [heap|survivors|cpu|gc|none]',
  );
  process.exit(2);
}
const root = resolve(checkout);

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

/** A minimal Chrome DevTools Protocol client on the gateway's inspector port. */
async function inspector(port: number): Promise<{
  send: (method: string, params?: object) => Promise<Record<string, unknown>>;
  close: () => void;
}> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((ok, fail) => {
    ws.addEventListener('open', ok);
    ws.addEventListener('error', fail);
  });
  let next = 0;
  const pending = new Map<number, (m: Record<string, unknown>) => void>();
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(String(e.data)) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: unknown;
    };
    if (m.id === undefined) return;
    if (m.error) throw new Error(`inspector: ${JSON.stringify(m.error)}`);
    pending.get(m.id)?.(m.result ?? {});
    pending.delete(m.id);
  });
  return {
    send: (method, params = {}) =>
      new Promise((ok) => {
        const id = ++next;
        pending.set(id, ok);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** For a bundle line, the source file esbuild marked above it (`// main/x.ts`), else the bundle's name. */
function sourceOf(dir: string): (url: string, line: number) => string {
  const marks = new Map<string, { line: number; file: string }[]>();
  return (url, line) => {
    const base = url.replace(/^.*\//, '');
    if (!url.startsWith('file://') || !url.includes(dir)) return `${base}:${line + 1}`;
    let list = marks.get(url);
    if (list === undefined) {
      list = [];
      readFileSync(new URL(url), 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = /^\/\/ ((?:main|node_modules)\/\S+)$/.exec(text);
          if (m) list!.push({ line: i, file: m[1]! });
        });
      marks.set(url, list);
    }
    const mark = list.findLast((m) => m.line <= line);
    return `${mark ? mark.file.replace(/^main\//, '') : base}:${line + 1}`;
  };
}

/** Bytes allocated per call by function: self, and inclusive of what it calls. */
function allocationTable(
  head: ProfileNode,
  calls: number,
  where: (url: string, line: number) => string,
  what: string,
): string {
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  const name = (n: ProfileNode): string =>
    `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url, n.callFrame.lineNumber)}`;
  const walk = (n: ProfileNode, stack: string[]): void => {
    const k = name(n);
    total += n.selfSize;
    self.set(k, (self.get(k) ?? 0) + n.selfSize);
    const here = stack.includes(k) ? stack : [...stack, k];
    for (const s of here) incl.set(s, (incl.get(s) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, here);
  };
  walk(head, []);
  const rows = (m: Map<string, number>): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(
        ([k, v]) =>
          `${String(Math.round(v / calls)).padStart(7)} B  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`,
      )
      .join('\n');
  return [
    `${what}: ${(total / calls / 1024).toFixed(1)} KiB per call (sampled)`,
    '--- self',
    rows(self),
    '--- inclusive',
    rows(incl),
  ].join('\n');
}

async function main(): Promise<void> {
  const children = new Children();
  let gatewayDir: string | undefined;
  setTimeout(() => {
    console.error('profile: still running after 5 minutes; stopped');
    process.exit(1);
  }, 5 * 60_000).unref();
  try {
    const cli = await bundle(root, join(root, 'main/cli.ts'), 'cli', 'profile');
    const servers =
      UPSTREAM === 'http'
        ? { ev: { type: 'http', url: (await startEverything(children, { root })).url } }
        : { ev: { command: process.execPath, args: [everythingEntry(root), 'stdio'] } };
    const inspectPort = await freePort();
    const gw = await startGateway(children, {
      cli,
      name: 'gateway',
      servers,
      expect: ['ev__echo'],
      cwd: root,
      nodeArgs: mode === 'gc' ? ['--trace-gc-nvp'] : [`--inspect=127.0.0.1:${inspectPort}`],
    });
    gatewayDir = gw.dir;
    // gc: V8's line per collection (--trace-gc-nvp), summed over the measured window only.
    const gc = { on: false, scavenges: 0, promoted: 0, survived: 0, scavengeMs: 0, majors: 0, majorMs: 0 };
    if (mode === 'gc')
      createInterface({ input: gw.proc.child.stdout! }).on('line', (line) => {
        if (!gc.on) return;
        const field = (k: string): number => Number(new RegExp(`\\b${k}=([\\d.]+)`).exec(line)?.[1] ?? 0);
        const kind = /\bgc=(\w+)/.exec(line)?.[1];
        if (kind === 's') {
          gc.scavenges++;
          gc.promoted += field('promoted');
          gc.survived += field('new_space_survived');
          gc.scavengeMs += field('pause');
        } else if (kind) {
          gc.majors++;
          gc.majorMs += field('pause');
        }
      });
    const call = await rawClient(gw.url, 'session', { tool: 'ev__echo', args: { message: 'hi' } });
    const load = async (ms: number): Promise<number> => {
      let n = 0;
      const end = performance.now() + ms;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (performance.now() < end) {
            await call();
            n++;
          }
        }),
      );
      return n;
    };
    await load(8000); // JIT warm-up
    const ins = mode === 'none' || mode === 'gc' ? undefined : await inspector(inspectPort);
    gc.on = true;
    const heap = mode === 'heap' || mode === 'survivors';
    if (heap) {
      await ins!.send('HeapProfiler.enable');
      await ins!.send('HeapProfiler.startSampling', {
        samplingInterval: 4096,
        includeObjectsCollectedByMajorGC: true,
        // survivors: a sample the scavenger took is dropped, so what is left outlived one.
        includeObjectsCollectedByMinorGC: mode === 'heap',
      });
    } else if (mode === 'cpu') {
      await ins!.send('Profiler.enable');
      await ins!.send('Profiler.setSamplingInterval', { interval: 50 });
      await ins!.send('Profiler.start');
    }
    const cpu0 = cpuMs(gw.proc.pid);
    const t0 = performance.now();
    const calls = await load(SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuMs(gw.proc.pid) - cpu0;
    gc.on = false;
    let table = '';
    if (mode === 'gc')
      table = [
        `scavenges: ${gc.scavenges}, ${((gc.scavengeMs / calls) * 1000).toFixed(1)} ms pause per 1000 calls`,
        `  promoted ${(gc.promoted / calls / 1024).toFixed(2)} KiB per call, copied (still young) ${(gc.survived / calls / 1024).toFixed(2)} KiB per call`,
        `major GCs: ${gc.majors}, ${((gc.majorMs / calls) * 1000).toFixed(1)} ms pause per 1000 calls`,
      ].join('\n');
    if (heap) {
      const { profile } = (await ins!.send('HeapProfiler.stopSampling')) as {
        profile: { head: ProfileNode };
      };
      writeFileSync(OUT, JSON.stringify(profile));
      table = allocationTable(
        profile.head,
        calls,
        sourceOf(dirname(cli)),
        mode === 'heap' ? 'allocated' : 'outlived a scavenge',
      );
    } else if (mode === 'cpu') {
      const { profile } = await ins!.send('Profiler.stop');
      writeFileSync(OUT, JSON.stringify(profile));
    }
    ins?.close();
    console.log(
      `${calls} calls in ${seconds.toFixed(1)} s at concurrency ${CONCURRENCY}: ${(calls / seconds).toFixed(0)}/s, ` +
        `gateway CPU ${(cpu / calls).toFixed(3)} ms/call${mode === 'none' || mode === 'gc' ? '' : ` (while profiled; profile: ${OUT})`}`,
    );
    if (table) console.log(table);
  } finally {
    await children.stopAll();
    if (gatewayDir) rmSync(gatewayDir, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
