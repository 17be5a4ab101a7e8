/**
 * `npx tsx scripts/bench/ab.ts [options] [checkout[@K=V,...] ...]`: the HTTP upstream path at c=1,
 * A/B in one run. Paths are called in alternating blocks (as in measure.ts): direct to
 * server-everything over Streamable HTTP (SSE answers), the floor proxy in front of it, and
 * `tunnelgate serve` built from each checkout given (an old commit's worktree and this one; `@K=V`
 * sets environment for that gateway). Prints each path's p50, its difference to direct and to the
 * floor (also as the median of per-round differences, steadier on a loaded machine) and the middle
 * process's CPU per call. Everything on 127.0.0.1, bounded in time.
 *
 * Options: --rounds N, --block N (calls per path per round); --warm N calls per path before the
 * rounds (default 200), made `--concurrency` at a time: the gateway's JIT is still compiling after a
 * few thousand calls (TurboFan was 14% of its CPU samples 8 s into a c=16 run, under 1% at 30 s),
 * while the floor proxy is warm at once, so a c=16 comparison wants some 20000; --concurrency N runs each block's calls
 * N at a time and prints calls/s (and its ratio to the floor's, per round) beside the CPU per call,
 * the c=16 throughput question; --profile DIR has each gateway and the floor write a CPU profile
 * there (node --cpu-prof, every PROF_INTERVAL µs, default 1000) when it ends; AB_NODE_ARGS adds Node
 * options to them (e.g. `--perf-basic-prof` for `perf record -g -p PID`); --json adds the bench's JSON-answering upstream with a floor of its own; --spin 100,200 adds floors that burn that many µs per request;
 * --client fetch uses the bench's fetch client instead of node:http on every path;
 * --no-upstream-timer runs server-everything with @hono/node-server's one setTimeout (below) made a
 * setImmediate, a diagnostic only.
 *
 * Why this exists (issue 16): server-everything answers through @hono/node-server, which reads the
 * SSE body without blocking; when the first chunk (the 2025-11-25 priming event) is there but the
 * answer is not, it waits `setTimeout(resolve)`, a 1 ms libuv timer that fires at the next
 * millisecond of the server's loop clock. At c=1 each call then starts at that millisecond grid,
 * and whatever a middle adds before its request reaches the server is rounded up to it: floors
 * burning 100/200/400 µs per request measured +0.57/+1.1/+1.3 ms, with the timer made a
 * setImmediate +0.0/+0.2/+0.7 ms (load ~13). So every µs of the gateway's own critical path (from
 * the client's request to the upstream write, and from the answer to the client write) counts
 * several times on this upstream, and far less on one that answers in plain JSON.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { rawClient, rawList, type Call } from './clients.js';
import { quantile } from './measure.js';
import { Children, cpuMs, freePort, loadAverage, startEverything } from './processes.js';

const here = resolve(import.meta.dirname, '../..');
const node = process.execPath;

const argv = process.argv.slice(2);
function option(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const [, v] = argv.splice(i, 2);
  return v;
}
function flag(name: string): boolean {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
}
const ROUNDS = Number(option('rounds') ?? 20);
const WARM = Number(option('warm') ?? 200);
const BLOCK = Number(option('block') ?? 40);
const CONCURRENCY = Number(option('concurrency') ?? 1);
const PROFILE = option('profile');
const SPIN = (option('spin') ?? '').split(',').filter(Boolean);
const JSON_UP = flag('json');
/** The raw client: node:http (default) or fetch (--client fetch), the bench's two. */
const CLIENT = option('client') === 'fetch' ? 'fetch' : 'node';
const NO_TIMER = flag('no-upstream-timer');
const gateways = argv.map((a) => {
  const [path, env] = a.split('@');
  const pairs = (env ?? '').split(',').filter(Boolean);
  return {
    root: resolve(path!),
    env: Object.fromEntries(pairs.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  };
});

/** Node options of a middle process: its CPU profile (--profile) and AB_NODE_ARGS. */
function nodeArgs(name: string): string[] {
  const profile = PROFILE
    ? ['--cpu-prof', '--cpu-prof-interval', process.env['PROF_INTERVAL'] ?? '1000']
    : [];
  if (PROFILE) profile.push('--cpu-prof-dir', resolve(PROFILE), '--cpu-prof-name', `${name}.cpuprofile`);
  return [...profile, ...(process.env['AB_NODE_ARGS'] ?? '').split(' ').filter(Boolean)];
}

/** The floor proxy (as roles.ts: the body whole, then sent; once more on a stale socket), optionally burning `argv[2]` µs per request first. */
const FLOOR = `
const http = require('node:http');
const target = new URL(process.argv[1]);
const spin = Number(process.argv[2] || 0);
process.on('SIGTERM', () => process.exit(0));
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, noDelay: true });
http.createServer({ keepAliveTimeout: 65000, noDelay: true }, (req, res) => {
  if (spin) { const t = performance.now() + spin / 1000; while (performance.now() < t); }
  const chunks = [];
  const send = (retried) => {
    const up = http.request({ hostname: target.hostname, port: target.port, path: target.pathname,
      method: req.method, headers: req.headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      upRes.on('close', () => void (upRes.complete || res.destroy()));
    });
    up.on('error', (err) => {
      const stale = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      if (!retried && stale && up.reusedSocket && !res.headersSent) send(true);
      else res.destroy();
    });
    up.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  };
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => send(false));
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

/** A module hook that makes hono's one non-blocking-read timer a setImmediate (--no-upstream-timer). */
const HONO_HOOK = `
export async function load(url, context, next) {
  const r = await next(url, context);
  if (!url.includes('@hono/node-server/dist/index.mjs')) return r;
  const src = String(r.source);
  const out = src.replace('await new Promise((resolve) => setTimeout(resolve));',
    'await new Promise((resolve) => setImmediate(resolve));');
  if (out === src) throw new Error('ab.ts: the @hono/node-server timer was not found');
  return { ...r, source: out };
}
`;

async function bundleCli(root: string, dir: string): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(dir, { recursive: true });
  await build({
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    entryPoints: [join(root, 'main/cli.ts')],
    outdir: dir,
    splitting: true,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: root,
  });
  // The bundle imports packages by name: they resolve from the checkout's node_modules.
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return join(dir, 'cli.mjs');
}

interface Path {
  key: string;
  call: Call;
  pid?: number;
  /** The keys of the direct and floor paths it is compared with. */
  direct: string;
  floor: string;
}

async function main(): Promise<void> {
  const children = new Children();
  const work = mkdtempSync(join(tmpdir(), 'tg-ab-'));
  setTimeout(() => {
    console.error('ab: still running after 12 minutes; stopped');
    process.exit(1);
  }, 12 * 60_000).unref();
  try {
    const clis = new Map<string, string>();
    for (const root of new Set(gateways.map((g) => g.root))) {
      const tag = createHash('sha256').update(root).digest('hex').slice(0, 8);
      clis.set(root, await bundleCli(root, join(work, `cli-${tag}`)));
    }
    const upArgs: string[] = [];
    if (NO_TIMER) {
      writeFileSync(join(work, 'hook.mjs'), HONO_HOOK);
      const reg = join(work, 'register.mjs');
      writeFileSync(
        reg,
        `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(work, 'hook.mjs')}`)});\n`,
      );
      upArgs.push('--import', reg);
    }
    const { url: sseUrl } = await startEverything(children, { nodeArgs: upArgs });
    const echo = { tool: 'echo', args: { message: 'hi' } };
    const floorOf = async (url: string, spin = '0'): Promise<{ url: string; pid: number }> => {
      const f = children.start('floor', node, [...nodeArgs(`floor-${spin}`), '-e', FLOOR, url, spin]);
      return { url: `http://127.0.0.1:${(await f.waitFor(/^PORT (\d+)$/))[1]}/mcp`, pid: f.pid };
    };
    const floor = await floorOf(sseUrl);
    const paths: Path[] = [
      {
        key: 'direct',
        call: await rawClient(sseUrl, 'session', echo, CLIENT),
        direct: 'direct',
        floor: 'floor',
      },
      {
        key: 'floor',
        call: await rawClient(floor.url, 'session', echo, CLIENT),
        pid: floor.pid,
        direct: 'direct',
        floor: 'floor',
      },
    ];
    for (const us of SPIN) {
      const f = await floorOf(sseUrl, us);
      paths.push({
        key: `floor+${us}`,
        call: await rawClient(f.url, 'session', echo, CLIENT),
        pid: f.pid,
        direct: 'direct',
        floor: 'floor',
      });
    }
    let jsonUrl = '';
    if (JSON_UP) {
      const js = children.start('json upstream', node, [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(join(here, 'scripts/bench/roles.ts'))}).then((m) => m.jsonUpstream())`,
      ]);
      jsonUrl = `http://127.0.0.1:${(await js.waitFor(/^PORT (\d+)$/))[1]}/mcp`;
      const fj = await floorOf(jsonUrl);
      paths.push(
        {
          key: 'direct-json',
          call: await rawClient(jsonUrl, 'session', echo, CLIENT),
          direct: 'direct-json',
          floor: 'floor-json',
        },
        {
          key: 'floor-json',
          call: await rawClient(fj.url, 'session', echo, CLIENT),
          pid: fj.pid,
          direct: 'direct-json',
          floor: 'floor-json',
        },
      );
    }
    for (const [i, g] of gateways.entries()) {
      const dir = join(work, `gw${i}`);
      mkdirSync(dir);
      const servers: Record<string, unknown> = { ev: { type: 'http', url: sseUrl } };
      if (JSON_UP) servers['js'] = { type: 'http', url: jsonUrl };
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ mcpServers: servers }));
      const port = await freePort();
      const gw = children.start(
        `gateway ${i}`,
        node,
        [
          ...nodeArgs(`gateway-${i}`),
          clis.get(g.root)!,
          'serve',
          '--config',
          join(dir, 'config.json'),
          '--no-tunnel',
          '--port',
          String(port),
        ],
        {
          cwd: g.root,
          // A private data folder and no keychain: nothing of the user's is touched.
          env: {
            ...process.env,
            TUNNELGATE_DATA_DIR: join(dir, 'data'),
            XDG_CONFIG_HOME: dir,
            DBUS_SESSION_BUS_ADDRESS: '',
            ...g.env,
          },
        },
      );
      await gw.waitFor(/MCP endpoint/);
      const url = `http://127.0.0.1:${port}/mcp`;
      const list = await rawList(url);
      let names = await list();
      const want = JSON_UP ? ['ev__echo', 'js__echo'] : ['ev__echo'];
      const end = Date.now() + 60_000;
      while (!want.every((w) => names.includes(w))) {
        if (Date.now() > end) throw new Error(`gateway ${i}: upstreams not ready`);
        await new Promise((r) => setTimeout(r, 100));
        names = await list();
      }
      paths.push({
        key: `gw${i}`,
        call: await rawClient(url, 'session', { ...echo, tool: 'ev__echo' }, CLIENT),
        pid: gw.pid,
        direct: 'direct',
        floor: 'floor',
      });
      if (JSON_UP)
        paths.push({
          key: `gw${i}-json`,
          call: await rawClient(url, 'session', { ...echo, tool: 'js__echo' }, CLIENT),
          pid: gw.pid,
          direct: 'direct-json',
          floor: 'floor-json',
        });
    }
    for (const p of paths) {
      let left = WARM;
      const warmer = async (): Promise<void> => {
        while (left-- > 0) await p.call();
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, warmer));
    }
    const load0 = loadAverage();
    const samples = new Map(paths.map((p) => [p.key, [] as number[]]));
    const roundMedians = new Map(paths.map((p) => [p.key, [] as number[]]));
    const rates = new Map(paths.map((p) => [p.key, [] as number[]]));
    const cpu = new Map(paths.map((p) => [p.key, 0]));
    /** The middle's CPU per call in each round's block: the median and spread over rounds. */
    const cpuRounds = new Map(paths.map((p) => [p.key, [] as number[]]));
    for (let r = 0; r < ROUNDS; r++) {
      const k = r % paths.length;
      for (const p of [...paths.slice(k), ...paths.slice(0, k)]) {
        const s: number[] = [];
        const c0 = p.pid === undefined ? 0 : cpuMs(p.pid);
        const t0 = performance.now();
        let left = BLOCK;
        const worker = async (): Promise<void> => {
          while (left > 0) {
            left--;
            const t = performance.now();
            await p.call();
            s.push(performance.now() - t);
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        rates.get(p.key)!.push((BLOCK * 1000) / (performance.now() - t0));
        if (p.pid !== undefined) {
          const used = cpuMs(p.pid) - c0;
          cpu.set(p.key, cpu.get(p.key)! + used);
          cpuRounds.get(p.key)!.push(used / BLOCK);
        }
        samples.get(p.key)!.push(...s);
        roundMedians.get(p.key)!.push(
          quantile(
            s.sort((a, b) => a - b),
            0.5,
          ),
        );
      }
    }
    const p50 = (key: string): number =>
      quantile(
        [...samples.get(key)!].sort((a, b) => a - b),
        0.5,
      );
    console.log(
      `load ${load0} -> ${loadAverage()}; ${ROUNDS} rounds of ${BLOCK} calls per path, ${CONCURRENCY} at a time`,
    );
    for (const p of paths) {
      const rounds = roundMedians.get(p.key)!;
      const diffs = rounds.map((m, i) => m - roundMedians.get(p.floor)![i]!).sort((a, b) => a - b);
      const f = (n: number): string => n.toFixed(3);
      const perRound = [...cpuRounds.get(p.key)!].sort((a, b) => a - b);
      const cpuText =
        p.pid === undefined
          ? ''
          : `  CPU ${f(cpu.get(p.key)! / (ROUNDS * BLOCK))} ms/call (rounds: median ${f(quantile(perRound, 0.5))}, ` +
            `${f(quantile(perRound, 0.1))}-${f(quantile(perRound, 0.9))})`;
      if (CONCURRENCY > 1) {
        // Calls/s per round, and its ratio to the floor's in the same round (the load drifts between rounds).
        const own = rates.get(p.key)!;
        const ratios = own.map((v, i) => v / rates.get(p.floor)![i]!).sort((a, b) => a - b);
        const rate = quantile(
          [...own].sort((a, b) => a - b),
          0.5,
        );
        console.log(
          `${p.key.padEnd(12)} ${rate.toFixed(0)} calls/s  vs floor ${f(quantile(ratios, 0.5))}x ` +
            `(rounds ${f(quantile(ratios, 0.1))}-${f(quantile(ratios, 0.9))})  p50 ${f(p50(p.key))} ms${cpuText}`,
        );
        continue;
      }
      console.log(
        `${p.key.padEnd(12)} p50 ${f(p50(p.key))} ms  vs direct ${f(p50(p.key) - p50(p.direct))}  ` +
          `vs floor ${f(p50(p.key) - p50(p.floor))} (rounds: ${f(quantile(diffs, 0.5))})` +
          cpuText,
      );
    }
  } finally {
    await children.stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
