import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Ends the process groups of stdio upstreams when the gateway dies, even by SIGKILL (issue 10: a
 * grandchild of a stdio upstream that ignored SIGTERM survived `kill -9` of the gateway).
 *
 * Why a separate process: no exit handler runs on SIGKILL, and Node has no portable "die with the
 * parent" (see main/tunnel/watchdog-script.ts), but every OS closes a dead process's pipes. One small
 * reaper per gateway holds the read end of a pipe only the gateway writes to; the gateway tells it
 * which groups to watch (`+PGID` / `-PGID` lines). EOF means the gateway is gone: the reaper sends
 * SIGTERM to every group it still watches, SIGKILL after a grace period, then exits. It runs in its
 * own process group, so a Ctrl+C in the terminal does not stop it before it has done its work.
 *
 * Windows has no process groups: there the reaper ends each registered process tree with
 * `taskkill /T /F` (not exercised by the tests, which run on Linux).
 */
export interface GroupReaper {
  /** Watch the group led by `pid` (a child spawned with `detached: true`). */
  add(pid: number): void;
  /** The group is ended (or handed back): stop watching it, so its number may be reused safely. */
  remove(pid: number): void;
  /** With no group watched: ends the reaper process and waits for it (it restarts at the next add). */
  closeIfIdle(): Promise<void>;
}

/** The reaper's source, plain CommonJS for `node -e` (runs under Electron with ELECTRON_RUN_AS_NODE=1). */
function groupReaperSource(): string {
  return String.raw`'use strict';
const { spawn } = require('node:child_process');
const groups = new Set();
const windows = process.platform === 'win32';
const grace = Number(process.env.TUNNELGATE_REAPER_GRACE_MS || 1500);
const quiet = () => {};
function signal(id, sig) {
  try {
    if (!windows) process.kill(-id, sig);
    else if (sig === 'SIGKILL') spawn('taskkill', ['/PID', String(id), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', quiet);
  } catch (e) { quiet(e); }
}
function alive(id) {
  if (windows) return true;
  try { process.kill(-id, 0); return true; } catch (e) { return false; }
}
let ending = false;
function end() {
  if (ending) return;
  ending = true;
  for (const id of groups) signal(id, 'SIGTERM');
  // Done as soon as every group is gone; whatever still runs after the grace is killed.
  const deadline = Date.now() + grace;
  const check = () => {
    const left = [...groups].filter(alive);
    if (left.length === 0) process.exit(0);
    if (Date.now() < deadline) return void setTimeout(check, 50);
    for (const id of left) signal(id, 'SIGKILL');
    setTimeout(() => process.exit(0), windows ? 2000 : 0);
  };
  check();
}
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    const id = Number(line.slice(1));
    if (!Number.isInteger(id) || id <= 1) continue;
    if (line[0] === '+') groups.add(id);
    else if (line[0] === '-') groups.delete(id);
  }
});
process.stdin.on('end', end);
process.stdin.on('close', end);
process.stdin.on('error', end);
for (const s of ['SIGTERM', 'SIGHUP']) { try { process.on(s, end); } catch (e) { quiet(e); } }
try { process.on('SIGINT', quiet); } catch (e) { quiet(e); }
const parent = process.ppid;
setInterval(() => { try { process.kill(parent, 0); } catch (e) { end(); } }, 1000).unref();
`;
}

export interface GroupReaperOptions {
  /** Runtime for the reaper; default process.execPath (Node, or Electron as Node). */
  nodePath?: string;
  /** Seconds between SIGTERM and SIGKILL once the gateway is gone (default 1.5 s). */
  graceMs?: number;
}

/**
 * Creates a reaper; its process starts at the first add() and is restarted (with the groups it must
 * know) if it ever dies. It never keeps the gateway's event loop alive.
 */
function createGroupReaper(options: GroupReaperOptions = {}): GroupReaper {
  const watched = new Set<number>();
  let child: ChildProcess | undefined;

  const send = (line: string): void => {
    const stdin = child?.stdin;
    if (!stdin || stdin.destroyed) return;
    stdin.write(`${line}\n`);
  };

  const ensure = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const env: NodeJS.ProcessEnv = {
      // Only what it needs: gateway secrets in process.env stay out of it.
      ELECTRON_RUN_AS_NODE: '1',
      TUNNELGATE_REAPER_GRACE_MS: String(options.graceMs ?? 1500),
      ...(process.env.PATH ? { PATH: process.env.PATH } : {}),
      ...(process.env.SystemRoot ? { SystemRoot: process.env.SystemRoot } : {}),
    };
    let proc: ChildProcess;
    try {
      proc = spawn(options.nodePath ?? process.execPath, ['-e', groupReaperSource()], {
        stdio: ['pipe', 'ignore', 'ignore'],
        env,
        detached: process.platform !== 'win32',
        windowsHide: true,
      });
    } catch {
      return; // The upstreams still stop normally with the gateway; only the SIGKILL case is lost.
    }
    child = proc;
    proc.on('error', () => {});
    proc.stdin?.on('error', () => {});
    proc.once('exit', () => {
      if (child === proc) child = undefined;
    });
    proc.unref();
    (proc.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    for (const pid of watched) send(`+${pid}`);
  };

  return {
    add(pid) {
      watched.add(pid);
      ensure();
      send(`+${pid}`);
    },
    remove(pid) {
      if (!watched.delete(pid)) return;
      send(`-${pid}`);
    },
    async closeIfIdle() {
      const proc = child;
      if (watched.size > 0 || !proc || proc.exitCode !== null || proc.signalCode !== null) return;
      let timer: NodeJS.Timeout | undefined;
      const gone = new Promise<void>((done) => {
        proc.once('exit', () => done());
        // Bounded: a reaper that hangs must not hold up the gateway's shutdown.
        timer = setTimeout(done, 2000);
      });
      // Held until it is gone, so that this wait keeps the event loop (and the process) alive.
      proc.ref();
      // EOF with nothing watched: the reaper exits at once.
      proc.stdin?.end();
      await gone;
      clearTimeout(timer);
    },
  };
}

let shared: GroupReaper | undefined;

/** The gateway's one reaper (a process-wide singleton: one pipe, one small process). */
export function sharedGroupReaper(): GroupReaper {
  shared ??= createGroupReaper();
  return shared;
}
