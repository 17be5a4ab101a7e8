/**
 * The cloudflared manager's settings with their defaults, and what its parts share while a tunnel
 * runs: the state, the run generations, the restart policy and the event sink.
 */
import type { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../common/clock.js';
import type { TunnelManagerDeps } from './cloudflared-manager.js';
import { createWatchdogSpawner } from './process-spawner.js';
import { probeReachability } from './reachability.js';
import { createRestartPolicy, type RestartPolicy } from './restart-policy.js';
import type { RunGenerations } from './run-generations.js';
import type { TunnelStateCell } from './tunnel-state-cell.js';
import type { ReachabilityResult, TunnelEvents, TunnelSpawner } from './types.js';

export interface CloudflaredSettings {
  clock: Clock;
  fetch: typeof fetch;
  spawn: TunnelSpawner;
  env: Record<string, string | undefined>;
  timeouts: { urlMs: number; readyMs: number; stopGraceMs: number; pollMs: number };
  reachabilityRetry: { attempts: number; delayMs: number };
  /** The reachability probe, or null when TUNNELGATE_REACHABILITY_CHECK=0 turns it off. */
  check: ((publicOrigin: string) => Promise<ReachabilityResult>) | null;
}

/** What the manager's parts share: its deps and settings, and the state of the current run. */
export interface CloudflaredContext {
  deps: TunnelManagerDeps;
  settings: CloudflaredSettings;
  cell: TunnelStateCell;
  runs: RunGenerations;
  restartPolicy: RestartPolicy;
  /** The manager itself: 'log' and 'url-changed' ('state' goes through the cell). */
  events: Pick<EventEmitter<TunnelEvents>, 'emit'>;
}

export function cloudflaredSettings(deps: TunnelManagerDeps): CloudflaredSettings {
  const doFetch = deps.fetch ?? globalThis.fetch;
  const env = deps.env ?? process.env;
  // TUNNELGATE_REACHABILITY_CHECK=0 turns the probe off, for networks where this computer cannot
  // resolve or reach its own public hostname (split DNS, strict egress) and for offline tests.
  const probeOff = env.TUNNELGATE_REACHABILITY_CHECK === '0' && !deps.checkReachable;
  return {
    clock: deps.clock ?? systemClock,
    fetch: doFetch,
    spawn: deps.spawn ?? createWatchdogSpawner(),
    env,
    timeouts: { urlMs: 30_000, readyMs: 60_000, stopGraceMs: 5000, pollMs: 500, ...deps.timeouts },
    reachabilityRetry: { attempts: 4, delayMs: 5000, ...deps.reachabilityRetry },
    check: probeOff
      ? null
      : (deps.checkReachable ??
        ((origin: string) =>
          probeReachability({ fetch: doFetch, publicOrigin: origin, path: deps.reachabilityPath }))),
  };
}

/** Restarts after cloudflared exits by itself (see restart-policy.ts), with the manager's defaults. */
export function cloudflaredRestartPolicy(deps: TunnelManagerDeps, clock: Clock): RestartPolicy {
  return createRestartPolicy(
    { initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 5, stableAfterMs: 60_000, ...deps.restart },
    clock,
  );
}
