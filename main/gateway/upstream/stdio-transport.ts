import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { StdioServerConfig } from '../../config/schema.js';
import type { RawObject } from './types.js';
import {
  DEFAULT_SHUTDOWN,
  makeRedactor,
  parseMessage,
  type ShutdownTiming,
  type WireTransport,
} from './wire-transport.js';
import { StderrTail } from './stderr-tail.js';
import { StartError } from './messages.js';
import type { ServerLogInput } from './server-log.js';
import { sharedGroupReaper, type GroupReaper } from './group-reaper.js';

export interface StdioTransportOptions {
  name: string;
  config: StdioServerConfig;
  shutdown?: ShutdownTiming;
  /** Largest single line accepted on stdout (bytes); a longer one kills the link. */
  maxLineBytes?: number;
  /** The live server log: each stderr line (masked), our notes, and an exit we did not ask for. */
  log?: (entry: ServerLogInput) => void;
  /** Ends the server's process group if the gateway dies without stopping it (default: the shared one). */
  reaper?: GroupReaper;
}

/** Extra surface of the stdio link: the captured stderr, for error messages and the Servers page. */
export interface StdioTransport extends WireTransport {
  stderrLines(): string[];
}

const isWindows = process.platform === 'win32';
/** Marks the gateway's own notes among the captured stderr lines. */
const NOTE = '[tunnelgate] ';
/** After the server exits, how long its pipes may stay open before we stop waiting for them. */
const EXIT_FLUSH_MS = 300;

/**
 * The variables a stdio server inherits, as the MCP SDKs' stdio clients choose them (a list after
 * sudo's default env_keep); written here so that starting a server does not load the SDK's schemas
 * (issue 16: memory of `serve`).
 */
const INHERITED_ENV =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
      ]
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

function inheritedEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    // A value starting with '()' is an exported shell function: never passed on.
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  return env;
}

/**
 * MCP stdio transport (spec "Transports: stdio"): newline-delimited JSON on stdin/stdout, stderr is
 * free-form logging that we keep (last lines) to explain failures. The child runs in its own process
 * group so that close() also stops whatever it spawned (npx -> node, uvx -> python); the group is
 * registered with the reaper (group-reaper.ts), which ends it should the gateway die by SIGKILL.
 * Windows has no process groups: there the tree is ended with taskkill /T (untested here).
 */
export function createStdioTransport(opts: StdioTransportOptions): StdioTransport {
  const { config, name } = opts;
  const shutdown = opts.shutdown ?? DEFAULT_SHUTDOWN;
  const maxLine = opts.maxLineBytes ?? 64 * 1024 * 1024;
  const redact = makeRedactor(Object.values(config.env ?? {}));
  const log = opts.log;
  const stderr = new StderrTail(
    50,
    redact,
    log &&
      ((line) =>
        log(
          line.startsWith(NOTE)
            ? { kind: 'gateway', level: 'warning', text: line.slice(NOTE.length) }
            : { kind: 'stderr', text: line },
        )),
  );
  const reaper = opts.reaper ?? sharedGroupReaper();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closing = false;
  let buffer = '';

  const transport: StdioTransport = {
    get pid() {
      return child?.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    stderrLines: () => stderr.lines(),
    start() {
      return new Promise<void>((resolve, reject) => {
        let proc: ChildProcess;
        try {
          proc = spawn(config.command, config.args ?? [], {
            // Only a safe subset of our environment (HOME, PATH, USER, ...): gateway secrets in
            // process.env must not leak into every child.
            env: { ...inheritedEnvironment(), ...config.env },
            cwd: config.cwd,
            stdio: ['pipe', 'pipe', 'pipe'],
            shell: false,
            detached: !isWindows,
            windowsHide: true,
          });
        } catch (err) {
          reject(spawnError(name, config, err));
          return;
        }
        child = proc;
        let spawned = false;
        exited = new Promise<void>((done) => {
          let finished = false;
          let fallback: NodeJS.Timeout | undefined;
          const finish = (code: number | null, signal: NodeJS.Signals | null) => {
            if (finished) return;
            finished = true;
            clearTimeout(fallback);
            // Whatever the dead server left running in its group is of no use to anyone now (the
            // connection then calls close(), which kills what ignored this).
            if (!closing) killGroup(proc, 'SIGTERM');
            done();
            if (spawned && !closing) {
              // Before onclose: the supervisor's "restarting" note then follows the crash in the log.
              log?.({
                kind: 'exit',
                level: 'error',
                text: signal
                  ? `crashed: killed by signal ${signal}`
                  : code === 0
                    ? 'exited on its own (exit code 0)'
                    : `crashed: exit code ${code ?? 'unknown'}`,
                exit: { at: Date.now(), code, signal, tail: stderr.lines() },
              });
              transport.onclose?.(
                signal ? `was killed by signal ${signal}` : `exited with code ${code ?? 'unknown'}`,
                stderr.summary(signal !== null),
              );
            }
          };
          // 'close' waits for stdout/stderr to end, which never happens while something the server
          // spawned still holds them: after 'exit', give the pipes a moment, then stop the leftovers.
          proc.once('exit', (code, signal) => {
            fallback = setTimeout(() => {
              killGroup(proc, 'SIGKILL');
              proc.stdout?.destroy();
              proc.stderr?.destroy();
              finish(code, signal);
            }, EXIT_FLUSH_MS);
          });
          proc.once('close', finish);
        });
        proc.once('error', (err) => {
          if (!spawned) reject(spawnError(name, config, err));
          else stderr.push(`[tunnelgate] process error: ${err.message}`);
        });
        proc.once('spawn', () => {
          spawned = true;
          if (proc.pid !== undefined) reaper.add(proc.pid);
          resolve();
        });
        proc.stdin?.on('error', () => {}); // EPIPE after exit: reported through 'close'
        proc.stderr?.setEncoding('utf8');
        proc.stderr?.on('data', (chunk: string) => stderr.write(chunk));
        proc.stdout?.setEncoding('utf8');
        proc.stdout?.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).replace(/\r$/, '');
            buffer = buffer.slice(nl + 1);
            if (line.trim() === '') continue;
            const msg = parseMessage(line);
            if (msg) transport.onmessage?.(msg);
            else
              stderr.push(
                `[tunnelgate] ignored a line on stdout that is not JSON-RPC: ${line.slice(0, 200)}`,
              );
          }
          if (buffer.length > maxLine) {
            stderr.push(`[tunnelgate] a message on stdout exceeded ${maxLine} bytes; stopping the server`);
            buffer = '';
            killGroup(proc, 'SIGKILL');
          }
        });
      });
    },
    send(message: RawObject) {
      const proc = child;
      if (!proc?.stdin || proc.exitCode !== null || proc.signalCode !== null || !proc.stdin.writable) {
        return Promise.reject(new Error(`Upstream '${name}' is not running`));
      }
      const line = JSON.stringify(message) + '\n';
      return new Promise<void>((resolve, reject) => {
        proc.stdin!.write(line, (err) => (err ? reject(err) : resolve()));
      });
    },
    async close() {
      closing = true;
      const proc = child;
      if (!proc) return;
      const alive = () => proc.exitCode === null && proc.signalCode === null;
      if (alive()) {
        // Spec (stdio shutdown): close stdin, wait, then SIGTERM, then SIGKILL.
        proc.stdin?.end();
        await raceTimeout(exited, shutdown.stdinGraceMs);
        if (alive()) {
          killGroup(proc, 'SIGTERM');
          await raceTimeout(exited, shutdown.termGraceMs);
        }
        if (alive()) killGroup(proc, 'SIGKILL');
      }
      await exited;
      // Children the server left behind in its process group go too.
      killGroup(proc, 'SIGKILL');
      if (proc.pid !== undefined) reaper.remove(proc.pid);
    },
  };
  return transport;
}

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined) return;
  try {
    if (!isWindows) process.kill(-proc.pid, signal);
    else if (signal === 'SIGKILL' && proc.exitCode === null && proc.signalCode === null)
      // No groups on Windows: the tree of the server, while its pid still names it.
      spawn('taskkill', ['/PID', String(proc.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on(
        'error',
        () => {},
      );
    else proc.kill(signal);
  } catch {
    // ESRCH: already gone
  }
}

function raceTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void p.then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

function spawnError(name: string, config: StdioServerConfig, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    const where =
      config.cwd && !existsDirSync(config.cwd)
        ? `the folder '${config.cwd}' (mcpServers.${name}.cwd) does not exist`
        : `command '${config.command}' was not found`;
    return new StartError(
      `Upstream '${name}' could not start: ${where}. Check mcpServers.${name}.command and that the program is installed and on PATH.`,
      true,
    );
  }
  if (code === 'EACCES') {
    return new StartError(
      `Upstream '${name}' could not start: '${config.command}' is not executable (EACCES). Check mcpServers.${name}.command and the file's permissions.`,
      true,
    );
  }
  return new StartError(
    `Upstream '${name}' could not start '${config.command}': ${(err as Error).message}`,
    false,
  );
}

function existsDirSync(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
