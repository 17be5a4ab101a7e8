/**
 * Child processes of the bench and what /proc says about them: ports they print, CPU time (all
 * threads, nanoseconds) and resident memory. Everything binds 127.0.0.1 on a free port.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** server-everything's entry point in a checkout (this one by default). */
export function everythingEntry(root = resolve(import.meta.dirname, '../..')): string {
  return join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
}

/**
 * server-everything over Streamable HTTP (SSE answers) on a free port, once it listens: the upstream
 * every bench puts its paths in front of. `nodeArgs` go before its script (a module hook).
 */
export async function startEverything(
  children: Children,
  opts: { root?: string; nodeArgs?: string[] } = {},
): Promise<{ proc: Started; url: string }> {
  const port = await freePort();
  const proc = children.start(
    'server-everything',
    process.execPath,
    [...(opts.nodeArgs ?? []), everythingEntry(opts.root), 'streamableHttp'],
    // It logs every request on stdout.
    { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await proc.waitFor(/listening|running/i);
  return { proc, url: `http://127.0.0.1:${port}/mcp` };
}

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => ok(port));
    });
  });
}

/** Started children; stopAll() ends them (and nothing else) when the bench ends or fails. */
export class Children {
  private readonly all: ChildProcess[] = [];

  constructor() {
    // Also on a hard exit (the bench's deadline, an uncaught error): no child outlives the bench.
    process.once('exit', () => {
      for (const c of this.all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }

  start(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): Started {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.all.push(child);
    return new Started(name, child);
  }

  async stopAll(): Promise<void> {
    const live = this.all.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of live) c.kill('SIGTERM');
    await Promise.all(
      live.map(
        (c) =>
          new Promise<void>((ok) => {
            const t = setTimeout(() => (c.kill('SIGKILL'), ok()), 5000);
            c.once('exit', () => (clearTimeout(t), ok()));
          }),
      ),
    );
  }
}

/** One child: waits for a line on stdout or stderr; keeps the last lines (unclaimed) for later waits. */
export class Started {
  private readonly lines: string[] = [];
  private readonly waiters: { re: RegExp; ok: (m: RegExpExecArray) => void }[] = [];

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    for (const s of [child.stdout, child.stderr]) {
      if (!s) continue; // 'ignore'd: a chatty server's per-request log would cost the bench CPU
      createInterface({ input: s }).on('line', (line) => {
        for (const [i, w] of this.waiters.entries()) {
          const m = w.re.exec(line);
          if (m) {
            this.waiters.splice(i, 1);
            w.ok(m);
            return;
          }
        }
        this.lines.push(line);
        if (this.lines.length > 50) this.lines.shift();
      });
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The first unclaimed line matching `re`, printed before or within `ms` of this call. */
  waitFor(re: RegExp, ms = 30_000): Promise<RegExpExecArray> {
    const earlier = this.lines.findIndex((l) => re.test(l));
    if (earlier >= 0) return Promise.resolve(re.exec(this.lines.splice(earlier, 1)[0]!)!);
    return new Promise((ok, fail) => {
      const onExit = (code: number | null): void =>
        fail(new Error(`${this.name} exited (${code}) before printing ${re}:\n${this.lines.join('\n')}`));
      const t = setTimeout(() => {
        this.child.off('exit', onExit);
        fail(new Error(`${this.name} did not print ${re} within ${ms} ms:\n${this.lines.join('\n')}`));
      }, ms);
      this.child.once('exit', onExit);
      this.waiters.push({
        re,
        ok: (m) => {
          clearTimeout(t);
          this.child.off('exit', onExit);
          ok(m);
        },
      });
    });
  }
}

/** Resolves once something accepts connections on 127.0.0.1:port (for servers that print nothing). */
export async function waitForPort(port: number, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((ok) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), ok(true)));
      s.once('error', () => ok(false));
    });
    if (open) return;
    if (Date.now() > end) throw new Error(`${what} did not listen on port ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of a process and all its descendants (a peer's stdio server is its child). */
export function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const task of safeList(`/proc/${out[i]}/task`)) {
      const kids = safeRead(`/proc/${out[i]}/task/${task}/children`).trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    }
  }
  return out;
}

/** CPU time of one process, all its threads (GC, thread pool), in ms with ns resolution. */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of safeList(`/proc/${pid}/task`))
    ns += Number(safeRead(`/proc/${pid}/task/${task}/schedstat`).split(' ')[0] || 0);
  return ns / 1e6;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(safeRead(`/proc/${pid}/status`));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return []; // the process or thread ended meanwhile
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
