/**
 * `npm run bench:list [-- <checkout> ...]`: tools/list over three stdio upstreams of 100 tools each,
 * as `npm run bench` measures it (the same raw node:http client, session era, calls back to back),
 * side by side in one run with its floor: a bare node:http server that answers the gateway's own
 * response (same bytes, same headers, JSON framing as the gateway sends it) from memory.
 *
 * With checkouts given (e.g. a worktree of main), each one's `tunnelgate serve` is measured too, in
 * alternating blocks with this checkout's, so that old and new see the same machine load.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { join, resolve } from 'node:path';
import { bundleSideBySide } from './bundle.js';
import { rawList } from './clients.js';
import { quantile } from './measure.js';
import { Children, cpuMs, loadAverage } from './processes.js';
import { toolsServer } from './roles.js';
import { startGateway } from './serve.js';

const root = resolve(import.meta.dirname, '../..');
const SCALE = Math.max(0.2, Number(process.env['BENCH_SCALE'] ?? 1));
const node = process.execPath;

/** The gateway's answer to one tools/list, as sent: its headers (names as written) and body bytes. */
async function capture(url: string, sid: string): Promise<{ headers: Record<string, string>; body: Buffer }> {
  return new Promise((ok, fail) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sid,
          'mcp-protocol-version': '2025-11-25',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers: Record<string, string> = {};
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            headers[res.rawHeaders[i]!] = res.rawHeaders[i + 1]!;
          ok({ headers, body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/**
 * The floor: answers initialize with a session id, a notification with 202, and tools/list with the
 * gateway's captured answer (its id spliced in, as any server must), from a Buffer held in memory.
 */
function floorServer(file: string): void {
  const { headers, body } = JSON.parse(readFileSync(file, 'utf8')) as {
    headers: Record<string, string>;
    body: string;
  };
  const prefix = '{"jsonrpc":"2.0","id":1,';
  if (!body.startsWith(prefix)) throw new Error(`unexpected answer: ${body.slice(0, 80)}`);
  const rest = Buffer.from(body.slice(prefix.length - 1)); // from the "," after the id
  const keep = Object.fromEntries(
    Object.entries(headers).filter(([k]) => !/^(date|connection|keep-alive|content-length)$/i.test(k)),
  );
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; method: string };
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') {
        const init = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: {} });
        return void res.writeHead(200, keep).end(init);
      }
      const head = Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)}`);
      res.writeHead(200, { ...keep, 'Content-Length': String(head.length + rest.length) });
      res.write(head);
      res.end(rest);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
}

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
        const sid = await sessionOf(url);
        const answer = await capture(url, sid);
        const file = join(dir, 'answer.json');
        writeFileSync(file, JSON.stringify({ headers: answer.headers, body: answer.body.toString('utf8') }));
        const floor = children.start('floor', node, [self, '--role', 'floor', file]);
        const floorUrl = `http://127.0.0.1:${(await floor.waitFor(/^PORT (\d+)$/))[1]}/mcp`;
        paths.unshift({
          key: 'floor (same bytes from memory)',
          pid: floor.pid,
          list: await rawList(floorUrl),
        });
        console.log(`answer: ${answer.body.length} bytes; headers: ${JSON.stringify(answer.headers)}`);
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

/** A session of its own for capturing one answer. */
async function sessionOf(url: string): Promise<string> {
  const agent = new Agent();
  return new Promise((ok, fail) => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'bench', version: '1' },
      },
    });
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(String(res.headers['mcp-session-id'])));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const role = process.argv[2] === '--role' ? process.argv[3] : undefined;
if (role === 'floor') floorServer(process.argv[4]!);
else if (role === 'tools-server') toolsServer(Number(process.argv[4]), process.argv[5] ?? 'x');
else
  void main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
