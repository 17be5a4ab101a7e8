import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TunnelChild, TunnelExit, TunnelSpawner, TunnelSpawnSpec } from './types.js';
import { watchdogSource } from './watchdog-script.js';

export interface WatchdogSpawnerOptions {
  /** Runtime that executes the watchdog; default process.execPath (Node, or Electron as Node). */
  nodePath?: string;
}

const isWindows = process.platform === 'win32';

/**
 * The real TunnelSpawner: starts cloudflared behind the watchdog of watchdog-script.ts, in its own
 * process group on POSIX so that stop() can signal the whole group. See watchdog-script.ts for why.
 */
export function createWatchdogSpawner(options: WatchdogSpawnerOptions = {}): TunnelSpawner {
  const nodePath = options.nodePath ?? process.execPath;
  return (spec: TunnelSpawnSpec): TunnelChild => spawnWithWatchdog(nodePath, spec);
}

function spawnWithWatchdog(nodePath: string, spec: TunnelSpawnSpec): TunnelChild {
  const env: Record<string, string | undefined> = { ...spec.env, ELECTRON_RUN_AS_NODE: '1' };
  // '--' keeps Node from reading cloudflared's arguments as its own options.
  const wrapper = spawn(nodePath, ['-e', watchdogSource(), '--', spec.command, ...spec.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: env as NodeJS.ProcessEnv,
    // A new process group (POSIX) lets stop() signal the watchdog and cloudflared together.
    detached: !isWindows,
    windowsHide: true,
  });
  let cloudflaredPid: number | undefined;
  let spawnError: TunnelExit['spawnError'];
  const listeners: ((line: string) => void)[] = [];
  const emit = (line: string): void => {
    for (const l of listeners) l(line);
  };
  createInterface({ input: wrapper.stderr }).on('line', emit);
  createInterface({ input: wrapper.stdout }).on('line', (line) => {
    try {
      const msg = JSON.parse(line) as { pid?: number; error?: string; message?: string };
      if (typeof msg.pid === 'number') cloudflaredPid = msg.pid;
      if (msg.error) spawnError = { code: msg.error, message: msg.message ?? msg.error };
    } catch {
      emit(line);
    }
  });
  wrapper.stdin.on('error', () => {});

  const exited = new Promise<TunnelExit>((resolve) => {
    let done = false;
    const finish = (exit: TunnelExit): void => {
      if (done) return;
      done = true;
      resolve(exit);
    };
    wrapper.on('error', (e: NodeJS.ErrnoException) =>
      finish({ code: null, signal: null, spawnError: { code: e.code ?? 'ESPAWN', message: e.message } }),
    );
    // 'close' (not 'exit') so that every stderr line has been read before the exit is reported.
    wrapper.on('close', (code, signal) => {
      const exit: TunnelExit = { code, signal };
      if (spawnError) exit.spawnError = spawnError;
      finish(exit);
    });
  });

  let stopping: Promise<void> | null = null;
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (wrapper.pid === undefined) return;
    try {
      if (!isWindows) process.kill(-wrapper.pid, signal);
      // Windows has no process groups or SIGTERM (kill() is TerminateProcess): the polite request is
      // the closed stdin alone; the hard kill ends cloudflared first, then the watchdog.
      else if (signal === 'SIGKILL') {
        if (cloudflaredPid !== undefined) process.kill(cloudflaredPid);
        wrapper.kill();
      }
    } catch {
      // Already gone.
    }
  };

  return {
    pid: () => cloudflaredPid,
    pids: () => [wrapper.pid, cloudflaredPid].filter((p): p is number => typeof p === 'number'),
    onLine: (listener) => {
      listeners.push(listener);
    },
    exited,
    stop(graceMs = 5000): Promise<void> {
      stopping ??= (async () => {
        // Closing stdin is the portable stop request; the group signal is the fast path on POSIX.
        wrapper.stdin.end();
        signalGroup('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(true), graceMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          signalGroup('SIGKILL');
          if (cloudflaredPid !== undefined) {
            try {
              process.kill(cloudflaredPid, 'SIGKILL');
            } catch {}
          }
          await exited;
        }
      })();
      return stopping;
    },
  };
}
