/**
 * `npm run bench`: the gateway's cost over a direct connection to the same Streamable HTTP upstream
 * (server-everything), measured with the same raw client on both paths: added p50/p99 latency of a
 * trivial tools/call at concurrency 1, calls per second at concurrency 1/16/64, CPU per call of each
 * process, and gateway RSS.
 *
 * Fairness: the gateway runs in its own process, as plain JavaScript bundled by esbuild (the app runs
 * tsc output under plain node/Electron; tsx would add a loader thread and its memory), so that client
 * and gateway do not share an event loop. Direct and gateway samples are interleaved (call by call for
 * latency, in short alternating rounds for throughput) so that load from other work on the machine
 * hits both sides alike. CPU per call is read with process.cpuUsage() inside the gateway: on a
 * machine whose cores are shared by the client, the gateway and the upstream, wall-clock ratios
 * mostly measure the scheduler, CPU time does not.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = resolve(import.meta.dirname, '..');
const EVERYTHING = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** Answers "cpu" lines on stdin with this process's user+system CPU time in microseconds. */
function serveCpuQueries(): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'cpu') return;
    const u = process.cpuUsage();
    process.stdout.write(`CPU ${u.user + u.system}\n`);
  });
}

async function gatewayChild(upstreamUrl: string): Promise<void> {
  const { createUpstreamManager } = await import('../main/gateway/upstream/index.js');
  const { createGateway } = await import('../main/gateway/index.js');
  const servers = { ev: { type: 'http' as const, url: upstreamUrl } };
  const manager = createUpstreamManager({});
  await manager.apply(servers);
  const gateway = createGateway({ upstreams: manager, servers });
  const { port } = await gateway.listen(0);
  serveCpuQueries();
  process.stdout.write(`PORT ${port}\n`);
  process.on(
    'SIGTERM',
    () =>
      void gateway
        .close()
        .then(() => manager.close())
        .then(() => process.exit(0)),
  );
}

/** A bare node:http JSON-RPC responder: the floor for any HTTP server on this machine. */
function bareChild(): void {
  const server = createHttpServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: number };
      const text = JSON.stringify(msg.id === undefined ? {} : { jsonrpc: '2.0', id: msg.id, result: {} });
      res.writeHead(msg.id === undefined ? 202 : 200, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
      });
      res.end(text);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    serveCpuQueries();
    process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`);
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** Line-based stdout of a child: wait for a line matching a pattern, ask for its CPU time. */
class ChildLines {
  private waiters: { re: RegExp; ok: (m: RegExpExecArray) => void }[] = [];
  private seen: string[] = [];

  constructor(
    private readonly child: ChildProcess,
    stream: 'stdout' | 'stderr',
  ) {
    createInterface({ input: child[stream]! }).on('line', (line) => {
      const i = this.waiters.findIndex((w) => w.re.test(line));
      if (i < 0) return void this.seen.push(line);
      const [w] = this.waiters.splice(i, 1);
      w!.ok(w!.re.exec(line)!);
    });
  }

  waitFor(re: RegExp, what: string, ms = 30_000): Promise<RegExpExecArray> {
    const earlier = this.seen.findIndex((l) => re.test(l));
    if (earlier >= 0) return Promise.resolve(re.exec(this.seen.splice(earlier, 1)[0]!)!);
    return new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`${what} did not answer within ${ms} ms`)), ms);
      this.child.once('exit', (code) => fail(new Error(`${what} exited with ${code}`)));
      this.waiters.push({ re, ok: (m) => (clearTimeout(t), ok(m)) });
    });
  }

  /** The child's own process.cpuUsage() user+system, in ms. */
  async cpuMs(): Promise<number> {
    this.child.stdin!.write('cpu\n');
    return Number((await this.waitFor(/^CPU (\d+)$/, 'cpu query', 10_000))[1]) / 1000;
  }
}

/** One POST over a keep-alive node:http agent (lighter than fetch, so the client disturbs less). */
function post(
  agent: Agent,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string; sid?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            sid: res.headers['mcp-session-id'] as string | undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A raw Streamable HTTP session (same code on both paths); answers may be JSON or SSE. */
async function session(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const init = await post(
    agent,
    url,
    headers,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    }),
  );
  if (init.sid) headers['mcp-session-id'] = init.sid;
  headers['mcp-protocol-version'] = '2025-11-25';
  await post(agent, url, headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  let id = 0;
  /** A tools/call of `tool`, or a ping when `tool` is null. */
  return async (tool: string | null): Promise<void> => {
    const message =
      tool === null
        ? { jsonrpc: '2.0', id: ++id, method: 'ping' }
        : {
            jsonrpc: '2.0',
            id: ++id,
            method: 'tools/call',
            params: { name: tool, arguments: { message: 'x' } },
          };
    const res = await post(agent, url, headers, JSON.stringify(message));
    if (res.status !== 200 || !res.text.includes('"result"'))
      throw new Error(`call failed: ${res.status} ${res.text.slice(0, 200)}`);
  };
}

/** Interleaved latency at c=1: a direct and a gateway call alternate, so load changes hit both. */
async function latencyPair(a: () => Promise<void>, b: () => Promise<void>, n: number) {
  for (let i = 0; i < 200; i++) await (i % 2 ? b() : a());
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await a();
    sa.push(performance.now() - t);
    t = performance.now();
    await b();
    sb.push(performance.now() - t);
  }
  const pct = (s: number[], q: number) => s.sort((x, y) => x - y)[Math.floor(s.length * q)]!;
  return { a: { p50: pct(sa, 0.5), p99: pct(sa, 0.99) }, b: { p50: pct(sb, 0.5), p99: pct(sb, 0.99) } };
}

/** Completed calls and elapsed ms of `concurrency` workers calling back to back for `ms`. */
async function run(call: () => Promise<void>, concurrency: number, ms: number): Promise<{ calls: number; ms: number }> {
  let calls = 0;
  const end = performance.now() + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await call();
      calls++;
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { calls, ms: performance.now() - t };
}

/** User + system CPU time of a process we do not control (the upstream), in ms (10 ms ticks). */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Totals of one side (direct or via gateway) over all its rounds at one concurrency. */
interface Side {
  calls: number;
  ms: number;
  clientCpu: number;
  upstreamCpu: number;
  gatewayCpu: number;
}

/**
 * Throughput at one concurrency: `rounds` alternating direct/gateway rounds, with the CPU each process
 * spent (the client is this process: the same raw client on both sides).
 */
async function throughputPair(
  direct: () => Promise<void>,
  gateway: () => Promise<void>,
  concurrency: number,
  pids: { upstream: number; gw: ChildLines },
  rounds = 6,
  roundMs = 800,
): Promise<{ d: Side; g: Side }> {
  const zero = (): Side => ({ calls: 0, ms: 0, clientCpu: 0, upstreamCpu: 0, gatewayCpu: 0 });
  const sides = { d: zero(), g: zero() };
  for (let r = 0; r < rounds * 2; r++) {
    const which = r % 2 === 0 ? 'd' : 'g';
    const side = sides[which];
    const [c0, u0, g0] = [selfCpuMs(), procCpuMs(pids.upstream), await pids.gw.cpuMs()];
    const res = await run(which === 'd' ? direct : gateway, concurrency, roundMs);
    const [c1, u1, g1] = [selfCpuMs(), procCpuMs(pids.upstream), await pids.gw.cpuMs()];
    side.calls += res.calls;
    side.ms += res.ms;
    side.clientCpu += c1 - c0;
    side.upstreamCpu += u1 - u0;
    side.gatewayCpu += g1 - g0;
  }
  return sides;
}

/** Bundles this script as plain JavaScript for the child processes (dependencies stay external). */
async function bundleSelf(): Promise<string> {
  const { build } = await import('esbuild');
  const dir = join(root, 'node_modules/.cache/tunnelgate-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'bench.mjs');
  await build({
    entryPoints: [import.meta.filename],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

async function main(): Promise<void> {
  const upPort = await freePort();
  const upstream = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(upPort) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const children: ChildProcess[] = [upstream];
  const stop = (): void => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.on('exit', stop);
  const exited = (c: ChildProcess): Promise<void> =>
    new Promise((ok) => (c.exitCode !== null ? ok() : c.once('exit', () => ok())));
  try {
    const script = await bundleSelf();
    await new ChildLines(upstream, 'stderr').waitFor(/listening|running/i, 'server-everything');
    const upstreamUrl = `http://127.0.0.1:${upPort}/mcp`;
    const gwProc = spawn(
      process.execPath,
      [
        ...(process.env['BENCH_CPU_PROF']
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`]
          : []),
        script,
        '--gateway-child',
        upstreamUrl,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'], cwd: root },
    );
    children.push(gwProc);
    const gw = new ChildLines(gwProc, 'stdout');
    const port = Number((await gw.waitFor(/^PORT (\d+)$/, 'gateway'))[1]);
    const gatewayUrl = `http://127.0.0.1:${port}/mcp`;
    const direct = await session(upstreamUrl);
    const viaGw = await session(gatewayUrl);
    const call = { direct: () => direct('echo'), gateway: () => viaGw('ev__echo') };
    const rssIdle = rssMiB(gwProc.pid!);

    const lat = await latencyPair(call.direct, call.gateway, 3000);
    const rows: [string, string, string, string][] = [];
    const f = (n: number, d = 3): string => n.toFixed(d);
    rows.push(['p50 latency (ms), c=1', f(lat.a.p50), f(lat.b.p50), `+${f(lat.b.p50 - lat.a.p50)} ms`]);
    rows.push(['p99 latency (ms), c=1', f(lat.a.p99), f(lat.b.p99), `+${f(lat.b.p99 - lat.a.p99)} ms`]);
    const cpuRows: [string, string, string, string][] = [];
    for (const c of [1, 16, 64]) {
      const { d, g } = await throughputPair(call.direct, call.gateway, c, { upstream: upstream.pid!, gw });
      const rd = (d.calls * 1000) / d.ms;
      const rg = (g.calls * 1000) / g.ms;
      rows.push([`calls/s, c=${c}`, f(rd, 0), f(rg, 0), `${f((rg / rd) * 100, 1)} %`]);
      const per = (s: Side): string => `${f(s.clientCpu / s.calls)} / ${f(s.gatewayCpu / s.calls)} / ${f(s.upstreamCpu / s.calls)}`;
      cpuRows.push([`CPU ms/call client / gateway / upstream, c=${c}`, per(d), per(g), `gateway +${f(g.gatewayCpu / g.calls)} ms`]);
    }
    rows.push(...cpuRows);
    // The gateway's own share: ping is answered by the router itself, compared with a bare node:http server.
    const bareProc = spawn(process.execPath, [script, '--bare-child'], { stdio: ['pipe', 'pipe', 'inherit'], cwd: root });
    children.push(bareProc);
    const bare = new ChildLines(bareProc, 'stdout');
    const barePort = Number((await bare.waitFor(/^PORT (\d+)$/, 'bare server'))[1]);
    const bareCall = await session(`http://127.0.0.1:${barePort}/mcp`);
    const ping = await latencyPair(() => bareCall(null), () => viaGw(null), 3000);
    rows.push([
      'local ping p50 (ms): bare node:http | gateway',
      f(ping.a.p50),
      f(ping.b.p50),
      `+${f(ping.b.p50 - ping.a.p50)} ms`,
    ]);
    const cpuPerCall = async (lines: ChildLines, fn: () => Promise<void>): Promise<number> => {
      const c0 = await lines.cpuMs();
      const res = await run(fn, 16, 3000);
      return ((await lines.cpuMs()) - c0) / res.calls;
    };
    const cpuB = await cpuPerCall(bare, () => bareCall(null));
    const cpuG = await cpuPerCall(gw, () => viaGw(null));
    rows.push(['CPU per local ping (ms): bare | gateway', f(cpuB), f(cpuG), `+${f(cpuG - cpuB)} ms`]);
    const rssLoaded = rssMiB(gwProc.pid!);
    rows.push(['gateway RSS (MiB) idle / after load', '', `${f(rssIdle, 1)} / ${f(rssLoaded, 1)}`, '']);
    const head: [string, string, string, string] = ['measure', 'direct', 'via gateway', 'gateway vs direct'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
    console.log(
      `\nTargets: p50 added < 0.5 ms; throughput at c=16 >= 85 % of direct. Node ${process.version}, ${process.platform}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.`,
    );
    console.log(
      'CPU rows: ms of CPU per completed call in each process (client = this raw client, the same on both sides). ' +
        'When the cores are saturated, calls/s via the gateway cannot exceed direct x (client + upstream) / (client + gateway + upstream).',
    );
  } finally {
    stop();
    await Promise.all(children.map(exited));
  }
}

if (process.argv[2] === '--gateway-child') void gatewayChild(process.argv[3]!);
else if (process.argv[2] === '--bare-child') bareChild();
else
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
