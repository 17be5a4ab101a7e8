import { EventEmitter } from 'node:events';
import {
  downloadCloudflared,
  type DownloadCloudflaredOptions,
  type DownloadedCloudflared,
} from './download.js';
import { findFreePort } from './free-port.js';
import {
  explainFailure,
  extractQuickTunnelUrl,
  isConnectionLost,
  isConnectionRegistered,
  isPermanentFailure,
  summarizeTail,
} from './log-parser.js';
import { createMetricsClient, type MetricsClient } from './metrics-client.js';
import { createWatchdogSpawner } from './process-spawner.js';
import { checkWithRetries, probeReachability } from './reachability.js';
import { cloudflaredSpawnSpec, launchPrerequisites } from './cloudflared-launch.js';
import { createRestartPolicy } from './restart-policy.js';
import { createRunGenerations } from './run-generations.js';
import { createTunnelStateCell } from './tunnel-state-cell.js';
import { systemClock, type Clock as TunnelClock } from '../common/clock.js';
import type { TunnelErrorCode, TunnelState } from './tunnel-state.js';
import type {
  ReachabilityResult,
  TunnelChild,
  TunnelExit,
  TunnelManager,
  TunnelSpawner,
  UrlChange,
} from './types.js';

export interface TunnelManagerDeps {
  mode: 'quick' | 'named';
  /** Port of the gateway's public listener on 127.0.0.1 (the tunnel's origin). */
  localPort: number;
  /** `tunnel.cloudflaredPath` from the config; otherwise CLOUDFLARED_BIN, PATH, `<dataDir>/bin`. */
  cloudflaredPath?: string;
  /** Named tunnel: public hostname configured in Cloudflare's dashboard. */
  hostname?: string;
  /** Named tunnel: reads the token (from the keychain). Called at each start, never cached. */
  token?: () => Promise<string | undefined>;
  dataDir: string;
  spawn?: TunnelSpawner;
  fetch?: typeof fetch;
  clock?: TunnelClock;
  /** Environment used to find the binary and passed to cloudflared. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Probe of the public URL; default fetches `<origin><reachabilityPath>` with `fetch`. */
  checkReachable?: (publicOrigin: string) => Promise<ReachabilityResult>;
  reachabilityPath?: string;
  timeouts?: { urlMs?: number; readyMs?: number; stopGraceMs?: number; pollMs?: number };
  restart?: { initialDelayMs?: number; maxDelayMs?: number; maxAttempts?: number; stableAfterMs?: number };
  reachabilityRetry?: { attempts?: number; delayMs?: number };
}

/** The cloudflared TunnelManager, plus close() (factory convention) and a manual reachability re-check. */
export interface CloudflaredTunnelManager extends TunnelManager {
  checkReachability(): Promise<TunnelState>;
  close(): Promise<void>;
  /** Recent cloudflared output (secrets redacted), newest last. */
  recentLog(): string[];
  /**
   * Downloads the official cloudflared into `<dataDir>/bin` (verified, see download.ts), reporting
   * progress in `state().download`. Only on the user's request: the window offers it when the state
   * says `errorCode: 'binary-missing'`. Rejects with CloudflaredDownloadError (message for a person).
   */
  downloadBinary(
    options?: Pick<DownloadCloudflaredOptions, 'releaseUrl' | 'signal'>,
  ): Promise<DownloadedCloudflared>;
}

const TAIL_LINES = 40;
const CLEARED_ON_START = ['error', 'errorCode', 'pid', 'reachableDetail'] as const;

/**
 * Creates the manager. Events: 'state' (TunnelState, after each change), 'url-changed' (UrlChange,
 * when a start or restart produced a different public origin: the ChatGPT connector must be
 * re-created), 'log' (one redacted cloudflared line). start() resolves once the tunnel is ready,
 * failed or stopped; it never rejects.
 */
export function createTunnelManager(deps: TunnelManagerDeps): CloudflaredTunnelManager {
  const clock = deps.clock ?? systemClock;
  const doFetch = deps.fetch ?? globalThis.fetch;
  const spawn = deps.spawn ?? createWatchdogSpawner();
  const env = deps.env ?? process.env;
  const t = { urlMs: 30_000, readyMs: 60_000, stopGraceMs: 5000, pollMs: 500, ...deps.timeouts };
  const restartPolicy = createRestartPolicy(
    { initialDelayMs: 1000, maxDelayMs: 30_000, maxAttempts: 5, stableAfterMs: 60_000, ...deps.restart },
    clock,
  );
  const rr = { attempts: 4, delayMs: 5000, ...deps.reachabilityRetry };
  // TUNNELGATE_REACHABILITY_CHECK=0 turns the probe off, for networks where this computer cannot
  // resolve or reach its own public hostname (split DNS, strict egress) and for offline tests.
  const probeOff = env.TUNNELGATE_REACHABILITY_CHECK === '0' && !deps.checkReachable;
  const check =
    deps.checkReachable ??
    ((origin: string) =>
      probeReachability({ fetch: doFetch, publicOrigin: origin, path: deps.reachabilityPath }));

  const emitter = new EventEmitter();
  const cell = createTunnelStateCell(
    { mode: deps.mode, phase: 'stopped', url: null, reachable: 'unknown' },
    emitter,
  );
  const set = cell.set;
  const runs = createRunGenerations(clock);
  let child: TunnelChild | null = null;
  let metrics: MetricsClient | null = null;
  let bannerUrl: string | null = null;
  let lastUrl: string | null = null;
  let secrets: string[] = [];
  let tail: string[] = [];

  const redact = (line: string): string =>
    secrets.reduce((acc, s) => (s ? acc.split(s).join('*****') : acc), line);
  const sleep = (ms: number): Promise<void> => new Promise((res) => clock.setTimeout(res, ms));

  async function killChild(): Promise<void> {
    const c = child;
    child = null;
    metrics = null;
    if (c) await c.stop(t.stopGraceMs);
  }

  async function fail(g: number, code: TunnelErrorCode, message: string): Promise<void> {
    if (!runs.isCurrent(g)) return;
    runs.next();
    await killChild();
    set(
      {
        phase: 'failed',
        url: null,
        error: message,
        errorCode: code,
        reachable: 'unknown',
        restarts: restartPolicy.restarts(),
      },
      ['pid', 'reachableDetail'],
    );
  }

  async function launch(g: number): Promise<void> {
    const pre = await launchPrerequisites({ ...deps, env });
    if (!pre.ok) return fail(g, pre.code, pre.message);
    if (pre.token) secrets = [pre.token];
    const metricsPort = await findFreePort();
    if (!runs.isCurrent(g)) return;
    bannerUrl = null;
    tail = [];
    metrics = createMetricsClient({ fetch: doFetch, port: metricsPort });
    const c = spawn(
      cloudflaredSpawnSpec({
        mode: deps.mode,
        binaryPath: pre.binaryPath,
        metricsPort,
        localPort: deps.localPort,
        env,
        ...(pre.token ? { token: pre.token } : {}),
      }),
    );
    child = c;
    set({ binaryPath: pre.binaryPath }, ['pid']);
    c.onLine((raw) => onLine(g, c, raw));
    void c.exited.then((exit) => onExit(g, exit));
    if (deps.mode === 'quick') {
      runs.later(g, t.urlMs, () => {
        if (!bannerUrl)
          void fail(
            g,
            'no-url',
            `cloudflared printed no tunnel URL within ${Math.round(t.urlMs / 1000)} s. ${lastWords()}`,
          );
      });
    }
    runs.later(g, t.readyMs, () => {
      if (cell.get().phase !== 'ready') {
        void fail(
          g,
          'not-ready',
          `cloudflared's /ready never answered 200 within ${Math.round(t.readyMs / 1000)} s: no connection to Cloudflare's edge. ${lastWords()}`,
        );
      }
    });
    runs.later(g, t.pollMs, () => void poll(g));
  }

  function lastWords(): string {
    const why = explainFailure(tail);
    const last = summarizeTail(tail);
    return [why, last ? `Last output: ${last}` : ''].filter(Boolean).join(' ');
  }

  function onLine(g: number, c: TunnelChild, raw: string): void {
    if (!runs.isCurrent(g)) return;
    const line = redact(raw);
    tail.push(line);
    if (tail.length > TAIL_LINES) tail = tail.slice(-TAIL_LINES);
    emitter.emit('log', line);
    const pid = c.pid();
    if (pid !== undefined && pid !== cell.get().pid) set({ pid });
    const url = deps.mode === 'quick' ? extractQuickTunnelUrl(line) : null;
    if (url) bannerUrl = url;
    if (url || isConnectionRegistered(line)) void poll(g, false);
    if (isConnectionLost(line) && cell.get().phase === 'ready') {
      set({
        phase: 'reconnecting',
        error: 'cloudflared lost its connection to Cloudflare and is reconnecting.',
        reachable: 'unknown',
      });
    }
  }

  let polling = false;
  async function poll(g: number, reschedule = true): Promise<void> {
    if (!runs.isCurrent(g)) return;
    if (!polling && metrics && (deps.mode === 'named' || bannerUrl)) {
      polling = true;
      try {
        const status = await metrics.ready();
        if (runs.isCurrent(g)) {
          const phase = cell.get().phase;
          if (status === 200 && phase !== 'ready') await becomeReady(g);
          else if (status !== 200 && status !== null && phase === 'ready') {
            set({
              phase: 'reconnecting',
              error:
                'cloudflared reports no live connection to Cloudflare (/ready is not 200); waiting for it to reconnect.',
              reachable: 'unknown',
            });
          }
        }
      } finally {
        polling = false;
      }
    }
    if (reschedule) runs.later(g, cell.get().phase === 'ready' ? t.pollMs * 4 : t.pollMs, () => void poll(g));
  }

  async function becomeReady(g: number): Promise<void> {
    let origin: string;
    if (deps.mode === 'quick') {
      // /quicktunnel is the authoritative hostname; the banner is the fallback for older versions.
      const host = await metrics?.quickTunnelHostname();
      if (!runs.isCurrent(g)) return;
      origin = host ? `https://${host}` : (bannerUrl ?? '');
    } else {
      origin = `https://${(deps.hostname ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '')}`;
    }
    const wasReconnectingSameUrl = cell.get().url === origin;
    restartPolicy.ready();
    set(
      {
        phase: 'ready',
        url: origin,
        restarts: restartPolicy.restarts(),
        ...(wasReconnectingSameUrl ? {} : { reachable: 'unknown' as const }),
      },
      ['error', 'errorCode'],
    );
    if (lastUrl && lastUrl !== origin)
      emitter.emit('url-changed', { previous: lastUrl, url: origin } satisfies UrlChange);
    lastUrl = origin;
    if (!wasReconnectingSameUrl || cell.get().reachable !== 'yes') void runReachability(g, origin);
  }

  async function runReachability(g: number, origin: string): Promise<void> {
    if (probeOff) {
      set({
        reachable: 'unknown',
        reachableDetail: 'Not checked: TUNNELGATE_REACHABILITY_CHECK=0 turns the check off.',
      });
      return;
    }
    set({ reachable: 'checking' }, ['reachableDetail']);
    const result = await checkWithRetries({
      check,
      origin,
      attempts: rr.attempts,
      delayMs: rr.delayMs,
      sleep,
      stillWanted: () => runs.isCurrent(g) && cell.get().url === origin,
    });
    if (result) set({ reachable: result.ok ? 'yes' : 'no', reachableDetail: result.detail });
  }

  function onExit(g: number, exit: TunnelExit): void {
    if (!runs.isCurrent(g)) return;
    if (exit.spawnError) {
      void fail(
        g,
        'spawn-failed',
        `Could not start ${cell.get().binaryPath ?? 'cloudflared'}: ${exit.spawnError.message}. Check that the file is the cloudflared program for this computer.`,
      );
      return;
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
    const reason = `cloudflared ${how}. ${lastWords()}`.trim();
    const decision = restartPolicy.exited(isPermanentFailure(tail));
    child = null;
    metrics = null;
    if ('giveUp' in decision) {
      void fail(g, 'exited', `${reason}${decision.giveUp}`);
      return;
    }
    const delay = decision.restartInMs;
    const next = runs.next();
    set(
      {
        phase: 'reconnecting',
        error: `${reason} Restarting in ${Math.round(delay / 100) / 10} s.`,
        errorCode: 'exited',
        reachable: 'unknown',
        restarts: restartPolicy.restarts(),
        ...(deps.mode === 'quick' ? { url: null } : {}),
      },
      ['pid', 'reachableDetail'],
    );
    runs.later(next, delay, () => void launch(next));
  }

  const manager = Object.assign(emitter, {
    state: (): TunnelState => ({ ...cell.get() }),
    async start(): Promise<void> {
      const phase = cell.get().phase;
      if (phase === 'starting' || phase === 'ready' || phase === 'reconnecting') return;
      const settled = cell.settled();
      const g = runs.next();
      restartPolicy.reset();
      set({ phase: 'starting', url: null, reachable: 'unknown', restarts: 0 }, CLEARED_ON_START);
      await launch(g).catch((e: unknown) =>
        fail(runs.current(), 'spawn-failed', `Could not start cloudflared: ${(e as Error).message}`),
      );
      await settled;
    },
    async stop(): Promise<void> {
      runs.next();
      await killChild();
      restartPolicy.stopped();
      set({ phase: 'stopped', url: null, reachable: 'unknown' }, CLEARED_ON_START);
    },
    async checkReachability(): Promise<TunnelState> {
      const s = cell.get();
      if (s.phase === 'ready' && s.url) await runReachability(runs.current(), s.url);
      return { ...cell.get() };
    },
    async close(): Promise<void> {
      await manager.stop();
      emitter.removeAllListeners();
    },
    recentLog: (): string[] => [...tail],
    downloadBinary: (options: Pick<DownloadCloudflaredOptions, 'releaseUrl' | 'signal'> = {}) =>
      downloadInto(options),
  });

  async function downloadInto(
    options: Pick<DownloadCloudflaredOptions, 'releaseUrl' | 'signal'>,
  ): Promise<DownloadedCloudflared> {
    set({ download: { receivedBytes: 0 } });
    try {
      const result = await downloadCloudflared({
        ...options,
        dataDir: deps.dataDir,
        fetch: doFetch,
        onProgress: (p) => set({ download: p }),
      });
      // A failure that only meant "no binary" is over: back to stopped, ready for start().
      const s = cell.get();
      const resolved = s.phase === 'failed' && s.errorCode === 'binary-missing';
      set({ binaryPath: result.path, ...(resolved ? { phase: 'stopped' as const } : {}) }, [
        'download',
        ...(resolved ? (['error', 'errorCode'] as const) : []),
      ]);
      return result;
    } catch (e) {
      set({}, ['download']);
      throw e;
    }
  }
  return manager;
}
