import type { EventEmitter } from 'node:events';
import type { CommandOutcome } from './openai-command-runner.js';
import type { TunnelState } from './tunnel-state.js';

export type { TunnelState } from './tunnel-state.js';

/** Payload of the OpenAI provider's 'command' event, once per polled command. */
export interface CommandDone {
  requestId: string;
  outcome: CommandOutcome;
}

/** Events of a tunnel provider, so `on('state', listener)` is checked by the compiler. */
export interface TunnelEvents {
  /** After each change (a copy). */
  state: [state: TunnelState];
  /** cloudflared: a start or restart produced a different public origin (re-create the connector). */
  'url-changed': [change: UrlChange];
  /** One line about the tunnel (cloudflared's output redacted, or the OpenAI provider's notes). */
  log: [line: string];
  /** OpenAI's tunnel: once per polled command, with what became of it. */
  command: [done: CommandDone];
}

/** A tunnel provider: cloudflared as a child process, or OpenAI's Secure MCP Tunnel. */
export interface TunnelManager extends EventEmitter<TunnelEvents> {
  state(): TunnelState;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Re-runs the reachability check (fetch of the public metadata URL through the tunnel). */
  checkReachability?(): Promise<TunnelState>;
}

/** Payload of the 'url-changed' event: the connector must be re-created in ChatGPT. */
export interface UrlChange {
  previous: string;
  url: string;
}

/** How a child process ended. `spawnError` is set when it never started (e.g. ENOENT). */
export interface TunnelExit {
  code: number | null;
  signal: string | null;
  spawnError?: { code: string; message: string };
}

/** A running cloudflared (possibly behind a watchdog wrapper). */
export interface TunnelChild {
  /** Pid of cloudflared itself once known (not of a wrapper). */
  pid(): number | undefined;
  /** Pids to check for leftovers after stop (wrapper and cloudflared). */
  pids(): number[];
  /** Called once per stderr/stdout line of cloudflared, without the trailing newline. */
  onLine(listener: (line: string) => void): void;
  /** Settles once, when the process (and its wrapper) has exited. */
  readonly exited: Promise<TunnelExit>;
  /** Ends cloudflared: polite signal first, then a hard kill after `graceMs`. Resolves once gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface TunnelSpawnSpec {
  command: string;
  args: string[];
  /** Full environment of the child (secrets travel here, never in args). */
  env: Record<string, string | undefined>;
}

/** Replaceable process spawner (the real one wraps cloudflared in a watchdog, see process-spawner.ts). */
export type TunnelSpawner = (spec: TunnelSpawnSpec) => TunnelChild;

/** Result of a reachability probe through the public URL. */
export interface ReachabilityResult {
  ok: boolean;
  detail: string;
}
