import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
// scripts/test.sh compiles dist/ when it is older than main/ and names it here: a start then costs
// half the CPU of one through tsx. Run without it (node --test), the CLI runs from source.
const DIST = process.env.TUNNELGATE_TEST_DIST;
const CLI_ARGS = DIST ? [join(DIST, 'main/cli.js')] : ['--import', 'tsx', join(ROOT, 'main/cli.ts')];

/** The command line that runs the CLI with `args`, as startCli() does: node and its arguments. */
export function cliCommand(args: string[]): string[] {
  return [process.execPath, ...CLI_ARGS, ...args];
}

/**
 * Node arguments that run a plain-JavaScript child (`args`: its script or `-e` code, then its own)
 * that imports the product through test/helpers/main-module.mjs or mainFile: as is over dist/, or
 * through tsx when the run has no dist/.
 */
export function nodeArgs(...args: string[]): string[] {
  return DIST ? args : ['--import', 'tsx', ...args];
}

/** The file of main/<path> such a child imports: the compiled .js in dist/, or the .ts source. */
export function mainFile(path: string): string {
  return DIST ? join(DIST, 'main', `${path}.js`) : join(ROOT, 'main', `${path}.ts`);
}

/** A throw-away home: config folder, data folder and $HOME all under one temp dir. */
export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  configDir: string;
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function makeSandbox(): Promise<Sandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-cli-'));
  const configDir = join(dir, 'config');
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: configDir,
    TUNNELGATE_DATA_DIR: dataDir,
    TUNNELGATE_CONFIG: '',
    NODE_ENV: 'test',
  };
  delete env.TUNNELGATE_CONFIG;
  return { dir, env, configDir, dataDir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re` (rejects after `ms` or on exit). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

// Every CLI started by this test file. If the runner ends the file early (a timeout), the afterEach
// hooks may not run: these handlers still take the CLIs and their upstreams down.
const live = new Set<ChildProcess>();
let reaperInstalled = false;
function installReaper(): void {
  if (reaperInstalled) return;
  reaperInstalled = true;
  const reap = (): void => {
    for (const c of live) {
      if (c.pid === undefined || c.exitCode !== null) continue;
      for (const pid of descendants(c.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
      c.kill('SIGKILL');
    }
  };
  process.on('exit', reap);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      reap();
      process.exit(1);
    });
  }
}

/** Runs `tunnelgate ...args` as a real child process (the compiled CLI, or the source through tsx). */
export function startCli(args: string[], env: NodeJS.ProcessEnv, input?: string): CliProcess {
  installReaper();
  const [node, ...argv] = cliCommand(args);
  const child = spawn(node!, argv, {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    for (const w of waiters) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  if (input !== undefined) child.stdin!.end(input);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => {
      for (const w of waiters) w();
      res({ code, signal });
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = out.match(re);
          if (m) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(
              new Error(
                `the CLI exited (${child.exitCode ?? child.signalCode}) before printing ${re}\nstdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re}\nstdout:\n${out}\nstderr:\n${err}`));
        }, ms);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Runs a CLI command to completion (bounded) and returns its exit code and output. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  ms = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startCli(args, env, input);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Every descendant pid of `pid` (children, grandchildren, ...), from ps. */
export function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, parent] of table) {
      if (parent === p) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills a CLI child and whatever it started, if a test failed before a clean stop. */
export function killTree(p: CliProcess | undefined): void {
  if (!p?.child.pid || p.child.exitCode !== null) return;
  for (const pid of descendants(p.child.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  p.child.kill('SIGKILL');
}

/** Path of a real MCP server from node_modules, run by the current node. */
export function serverMemoryEntry(): string {
  return join(ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');
}

/** Runs the CLI's main() in this process (fast; for commands that need no separate process). */
export async function runInProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { PassThrough } = await import('node:stream');
  const { main } = await import('../../main/cli.js');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  const code = await main(args, { stdout, stderr, stdin, env });
  return { code, stdout: out, stderr: err };
}
