/**
 * `npm run bench`: the gateway's cost over a direct connection to the same Streamable HTTP upstream
 * (server-everything), measured with the same raw client on both paths: added p50/p99 latency of a
 * trivial tools/call at concurrency 1, calls per second at concurrency 1/16/64, and gateway RSS.
 * The gateway runs in its own process so that client and gateway do not share an event loop.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const EVERYTHING = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

async function gatewayChild(upstreamUrl: string): Promise<void> {
  const { createUpstreamManager } = await import('../main/gateway/upstream/index.js');
  const { createGateway } = await import('../main/gateway/index.js');
  const servers = { ev: { type: 'http' as const, url: upstreamUrl } };
  const manager = createUpstreamManager({});
  await manager.apply(servers);
  const gateway = createGateway({ upstreams: manager, servers });
  const { port } = await gateway.listen(0);
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
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`PORT ${(server.address() as { port: number }).port}\n`),
  );
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

function waitFor(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  re: RegExp,
  what: string,
): Promise<RegExpExecArray> {
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`${what} did not start within 30 s`)), 30_000);
    let buf = '';
    child[stream]!.on('data', (d: Buffer) => {
      buf += String(d);
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        ok(m);
      }
    });
    child.once('exit', (code) => fail(new Error(`${what} exited with ${code}`)));
  });
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

async function latency(call: () => Promise<void>, n: number): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 100; i++) await call();
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n * 0.5)]!, p99: samples[Math.floor(n * 0.99)]! };
}

async function throughput(call: () => Promise<void>, concurrency: number, ms: number): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      await call();
      count++;
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (count * 1000) / (performance.now() - t);
}

/** User + system CPU time of a process so far, in ms (from /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
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
    await waitFor(upstream, 'stderr', /listening|running/i, 'server-everything');
    const upstreamUrl = `http://127.0.0.1:${upPort}/mcp`;
    const gw = spawn(
      process.execPath,
      [
        ...(process.env['BENCH_CPU_PROF']
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROF']}`]
          : []),
        '--import',
        'tsx',
        import.meta.filename,
        '--gateway-child',
        upstreamUrl,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], cwd: root },
    );
    children.push(gw);
    const port = Number((await waitFor(gw, 'stdout', /PORT (\d+)/, 'gateway'))[1]);
    const gatewayUrl = `http://127.0.0.1:${port}/mcp`;
    const direct = await session(upstreamUrl);
    const viaGw = await session(gatewayUrl);
    const call = { direct: () => direct('echo'), gateway: () => viaGw('ev__echo') };
    const rssIdle = rssMiB(gw.pid!);

    const latD = await latency(call.direct, 2000);
    const latG = await latency(call.gateway, 2000);
    const rows: [string, string, string, string][] = [];
    const f = (n: number, d = 3): string => n.toFixed(d);
    rows.push(['p50 latency (ms), c=1', f(latD.p50), f(latG.p50), `+${f(latG.p50 - latD.p50)} ms`]);
    rows.push(['p99 latency (ms), c=1', f(latD.p99), f(latG.p99), `+${f(latG.p99 - latD.p99)} ms`]);
    let gwCpu = 0;
    let gwCalls = 0;
    for (const c of [1, 16, 64]) {
      const d = await throughput(call.direct, c, 3000);
      const cpu0 = cpuMs(gw.pid!);
      const g = await throughput(call.gateway, c, 3000);
      gwCpu += cpuMs(gw.pid!) - cpu0;
      gwCalls += g * 3;
      rows.push([`calls/s, c=${c}`, f(d, 0), f(g, 0), `${f((g / d) * 100, 1)} %`]);
    }
    // Under CPU contention wall-clock figures mostly measure the scheduler; CPU per call does not.
    rows.push(['gateway CPU per call (ms)', '', f(gwCpu / gwCalls), '']);
    // The gateway's own share: ping is answered by the router itself, compared with a bare node:http server.
    const bare = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--bare-child'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: root,
    });
    children.push(bare);
    const barePort = Number((await waitFor(bare, 'stdout', /PORT (\d+)/, 'bare server'))[1]);
    const bareCall = await session(`http://127.0.0.1:${barePort}/mcp`);
    const pingB = await latency(() => bareCall(null), 2000);
    const pingG = await latency(() => viaGw(null), 2000);
    rows.push([
      'local ping p50 (ms): bare node:http | gateway',
      f(pingB.p50),
      f(pingG.p50),
      `+${f(pingG.p50 - pingB.p50)} ms`,
    ]);
    const cpuPerCall = async (pid: number, fn: () => Promise<void>): Promise<number> => {
      const c0 = cpuMs(pid);
      const rate = await throughput(fn, 16, 3000);
      return (cpuMs(pid) - c0) / (rate * 3);
    };
    const cpuB = await cpuPerCall(bare.pid!, () => bareCall(null));
    const cpuG = await cpuPerCall(gw.pid!, () => viaGw(null));
    rows.push(['CPU per local ping (ms): bare | gateway', f(cpuB), f(cpuG), `+${f(cpuG - cpuB)} ms`]);
    const rssLoaded = rssMiB(gw.pid!);
    rows.push(['gateway RSS (MiB) idle / after load', '', `${f(rssIdle, 1)} / ${f(rssLoaded, 1)}`, '']);
    const head: [string, string, string, string] = ['measure', 'direct', 'via gateway', 'gateway vs direct'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
    console.log(line(head));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const r of rows) console.log(line(r));
    console.log(
      `\nTargets: p50 added < 0.5 ms; throughput at c=16 >= 85 % of direct. Node ${process.version}, ${process.platform}.`,
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
