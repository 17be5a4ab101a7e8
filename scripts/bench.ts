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
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { tmpdir } from 'node:os';
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
  const { createGateway } = await import('../main/gateway/gateway.js');
  const { createActivityLog } = await import('../main/activity/index.js');
  const servers = { ev: { type: 'http' as const, url: upstreamUrl } };
  const manager = createUpstreamManager({});
  await manager.apply(servers);
  // The product records every call (redacted, ring buffer, JSONL files): so does the bench.
  const activityDir = mkdtempSync(join(tmpdir(), 'tg-bench-activity-'));
  const activity = createActivityLog({ dir: activityDir });
  const gateway = createGateway({ upstreams: manager, servers, activity });
  const { port } = await gateway.listen(0);
  serveCpuQueries();
  process.stdout.write(`PORT ${port}\n`);
  process.on(
    'SIGTERM',
    () =>
      void gateway
        .close()
        .then(() => manager.close())
        .then(() => activity.close())
        .then(() => rmSync(activityDir, { recursive: true, force: true }))
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

/**
 * The floor for any proxy written with node:http on this machine: forwards bytes to the upstream over
 * a keep-alive agent without parsing anything (a gateway must also parse JSON and SSE and route).
 */
function proxyChild(upstreamUrl: string): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const forward = ['content-type', 'accept', 'mcp-session-id', 'mcp-protocol-version', 'content-length'];
  const back = ['content-type', 'mcp-session-id', 'content-length'];
  const pick = (h: Record<string, string | string[] | undefined>, names: string[]) =>
    Object.fromEntries(names.filter((n) => h[n] !== undefined).map((n) => [n, h[n]!]));
  const server = createHttpServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const up = request(
      upstreamUrl,
      { method: req.method, agent, headers: pick(req.headers, forward) },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, pick(upRes.headers, back));
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
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
  private waiters: {
    re: RegExp;
    what: string;
    ok: (m: RegExpExecArray) => void;
    fail: (e: Error) => void;
  }[] = [];
  private seen: string[] = [];

  constructor(
    private readonly child: ChildProcess,
    stream: 'stdout' | 'stderr',
  ) {
    // One exit listener for all waiters (a listener per cpu query would pile up).
    child.once('exit', (code) => {
      for (const w of this.waiters.splice(0))
        w.fail(new Error(`${w.what} failed: the process exited with ${code}`));
    });
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
      this.waiters.push({
        re,
        what,
        ok: (m) => (clearTimeout(t), ok(m)),
        fail: (e) => (clearTimeout(t), fail(e)),
      });
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

/** Interleaved latency at c=1: one call of each side in turn, so load changes hit all sides alike. */
async function latencyAll(
  calls: (() => Promise<void>)[],
  n: number,
): Promise<{ p50: number; p99: number }[]> {
  for (let i = 0; i < 100; i++) for (const c of calls) await c();
  const samples = calls.map((): number[] => []);
  for (let i = 0; i < n; i++) {
    for (const [k, c] of calls.entries()) {
      const t = performance.now();
      await c();
      samples[k]!.push(performance.now() - t);
    }
  }
  const pct = (s: number[], q: number) => s[Math.floor(s.length * q)]!;
  return samples.map((s) => (s.sort((x, y) => x - y), { p50: pct(s, 0.5), p99: pct(s, 0.99) }));
}

/** Completed calls and elapsed ms of `concurrency` workers calling back to back for `ms`. */
async function run(
  call: () => Promise<void>,
  concurrency: number,
  ms: number,
): Promise<{ calls: number; ms: number }> {
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

/** Totals of one side (direct, floor proxy or gateway) over all its rounds at one concurrency. */
interface Side {
  calls: number;
  ms: number;
  clientCpu: number;
  upstreamCpu: number;
  /** CPU of the process in the middle (floor proxy or gateway); 0 for direct. */
  middleCpu: number;
}

/**
 * Throughput at one concurrency: `rounds` rounds of each side in turn, with the CPU each process spent
 * (the client is this process: the same raw client on every side).
 */
async function throughputAll(
  sides: { call: () => Promise<void>; middle?: ChildLines }[],
  concurrency: number,
  upstreamPid: number,
  rounds = 5,
  roundMs = 700,
): Promise<Side[]> {
  const totals = sides.map((): Side => ({ calls: 0, ms: 0, clientCpu: 0, upstreamCpu: 0, middleCpu: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (const [k, side] of sides.entries()) {
      const t = totals[k]!;
      const [c0, u0, m0] = [selfCpuMs(), procCpuMs(upstreamPid), (await side.middle?.cpuMs()) ?? 0];
      const res = await run(side.call, concurrency, roundMs);
      const [c1, u1, m1] = [selfCpuMs(), procCpuMs(upstreamPid), (await side.middle?.cpuMs()) ?? 0];
      t.calls += res.calls;
      t.ms += res.ms;
      t.clientCpu += c1 - c0;
      t.upstreamCpu += u1 - u0;
      t.middleCpu += m1 - m0;
    }
  }
  return totals;
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
    const proxyProc = spawn(process.execPath, [script, '--proxy-child', upstreamUrl], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: root,
    });
    children.push(proxyProc);
    const proxy = new ChildLines(proxyProc, 'stdout');
    const proxyPort = Number((await proxy.waitFor(/^PORT (\d+)$/, 'floor proxy'))[1]);
    const direct = await session(upstreamUrl);
    const viaProxy = await session(`http://127.0.0.1:${proxyPort}/mcp`);
    const viaGw = await session(gatewayUrl);
    const call = {
      direct: () => direct('echo'),
      proxy: () => viaProxy('echo'),
      gateway: () => viaGw('ev__echo'),
    };
    const rssIdle = rssMiB(gwProc.pid!);

    const [latD, latP, latG] = await latencyAll([call.direct, call.proxy, call.gateway], 2000);
    const rows: string[][] = [];
    const f = (n: number, d = 3): string => n.toFixed(d);
    const add = (n: number, d = 3): string => `${n >= 0 ? '+' : ''}${f(n, d)}`;
    rows.push([
      'p50 latency (ms), c=1',
      f(latD!.p50),
      f(latP!.p50),
      f(latG!.p50),
      `${add(latG!.p50 - latD!.p50)} ms`,
    ]);
    rows.push([
      'p99 latency (ms), c=1',
      f(latD!.p99),
      f(latP!.p99),
      f(latG!.p99),
      `${add(latG!.p99 - latD!.p99)} ms`,
    ]);
    const cpuRows: string[][] = [];
    for (const c of [1, 16, 64]) {
      const [d, p, g] = await throughputAll(
        [{ call: call.direct }, { call: call.proxy, middle: proxy }, { call: call.gateway, middle: gw }],
        c,
        upstream.pid!,
      );
      const rate = (s: Side): number => (s.calls * 1000) / s.ms;
      rows.push([
        `calls/s, c=${c}`,
        f(rate(d!), 0),
        f(rate(p!), 0),
        f(rate(g!), 0),
        `${f((rate(g!) / rate(d!)) * 100, 1)} %`,
      ]);
      const per = (s: Side): string =>
        `${f(s.clientCpu / s.calls)} / ${f(s.middleCpu / s.calls)} / ${f(s.upstreamCpu / s.calls)}`;
      cpuRows.push([
        `CPU ms/call client / middle / upstream, c=${c}`,
        per(d!),
        per(p!),
        per(g!),
        `gateway ${f(g!.middleCpu / g!.calls)} ms`,
      ]);
    }
    rows.push(...cpuRows);
    // The gateway's own share: ping is answered by the router itself, compared with a bare node:http server.
    const bareProc = spawn(process.execPath, [script, '--bare-child'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      cwd: root,
    });
    children.push(bareProc);
    const bare = new ChildLines(bareProc, 'stdout');
    const barePort = Number((await bare.waitFor(/^PORT (\d+)$/, 'bare server'))[1]);
    const bareCall = await session(`http://127.0.0.1:${barePort}/mcp`);
    const [pingB, pingG] = await latencyAll([() => bareCall(null), () => viaGw(null)], 2000);
    rows.push([
      'local ping p50 (ms): bare node:http | gateway',
      f(pingB!.p50),
      '',
      f(pingG!.p50),
      `${add(pingG!.p50 - pingB!.p50)} ms`,
    ]);
    const cpuPerCall = async (lines: ChildLines, fn: () => Promise<void>): Promise<number> => {
      const c0 = await lines.cpuMs();
      const res = await run(fn, 16, 3000);
      return ((await lines.cpuMs()) - c0) / res.calls;
    };
    const cpuB = await cpuPerCall(bare, () => bareCall(null));
    const cpuG = await cpuPerCall(gw, () => viaGw(null));
    rows.push(['CPU per local ping (ms): bare | gateway', f(cpuB), '', f(cpuG), `${add(cpuG - cpuB)} ms`]);
    const rssLoaded = rssMiB(gwProc.pid!);
    rows.push([
      'RSS (MiB) idle / after load',
      '',
      f(rssMiB(proxyProc.pid!), 1),
      `${f(rssIdle, 1)} / ${f(rssLoaded, 1)}`,
      '',
    ]);
    const head = ['measure', 'direct', 'via floor proxy', 'via gateway', 'gateway vs direct'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
    console.log(
      `\nTargets: p50 added < 0.5 ms; throughput at c=16 >= 85 % of direct. Node ${process.version}, ${process.platform}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.`,
    );
    console.log(
      'Floor proxy: a byte-forwarding node:http proxy over a keep-alive agent, the least any Node proxy costs here.\n' +
        'CPU rows: ms of CPU per completed call in each process (client = this raw client, the same on every side).\n' +
        'When the cores are saturated, calls/s via the gateway cannot exceed direct x (client + upstream) / (client + gateway + upstream).',
    );
  } finally {
    stop();
    await Promise.all(children.map(exited));
  }
}

if (process.argv[2] === '--gateway-child') void gatewayChild(process.argv[3]!);
else if (process.argv[2] === '--bare-child') bareChild();
else if (process.argv[2] === '--proxy-child') proxyChild(process.argv[3]!);
else
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
