import { EventEmitter } from 'node:events';
import { binaryMissingMessage, findCloudflared } from './binary.js';
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
import { probeReachability } from './reachability.js';
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
  const r = {
    initialDelayMs: 1000,
    maxDelayMs: 30_000,
    maxAttempts: 5,
    stableAfterMs: 60_000,
    ...deps.restart,
  };
  const rr = { attempts: 4, delayMs: 5000, ...deps.reachabilityRetry };
  // TUNNELGATE_REACHABILITY_CHECK=0 turns the probe off, for networks where this computer cannot
  // resolve or reach its own public hostname (split DNS, strict egress) and for offline tests.
  const probeOff = env.TUNNELGATE_REACHABILITY_CHECK === '0' && !deps.checkReachable;
  const check =
    deps.checkReachable ??
    ((origin: string) =>
      probeReachability({ fetch: doFetch, publicOrigin: origin, path: deps.reachabilityPath }));

  const emitter = new EventEmitter();
  let state: TunnelState = { mode: deps.mode, phase: 'stopped', url: null, reachable: 'unknown' };
  let gen = 0;
  let child: TunnelChild | null = null;
  let metrics: MetricsClient | null = null;
  let bannerUrl: string | null = null;
  let lastUrl: string | null = null;
  let readyAt: number | null = null;
  let failures = 0;
  let restarts = 0;
  let secrets: string[] = [];
  let tail: string[] = [];
  let timers: unknown[] = [];
  let settleWaiters: (() => void)[] = [];

  const set = (patch: Partial<TunnelState>, drop: (keyof TunnelState)[] = []): void => {
    const next: TunnelState = { ...state, ...patch };
    for (const key of drop) delete next[key];
    state = next;
    emitter.emit('state', { ...state });
    if (state.phase === 'ready' || state.phase === 'failed' || state.phase === 'stopped') {
      const waiters = settleWaiters;
      settleWaiters = [];
      for (const w of waiters) w();
    }
  };
  const later = (g: number, ms: number, fn: () => void): void => {
    // Fired timers leave the list, so a tunnel polling for days does not accumulate handles.
    const handle = clock.setTimeout(() => {
      timers = timers.filter((h) => h !== handle);
      if (g === gen) fn();
    }, ms);
    timers.push(handle);
  };
  const clearTimers = (): void => {
    for (const h of timers) clock.clearTimeout(h);
    timers = [];
  };
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
    if (g !== gen) return;
    gen++;
    clearTimers();
    await killChild();
    set({ phase: 'failed', url: null, error: message, errorCode: code, reachable: 'unknown', restarts }, [
      'pid',
      'reachableDetail',
    ]);
  }

  async function launch(g: number): Promise<void> {
    const found = findCloudflared({ configuredPath: deps.cloudflaredPath, env, dataDir: deps.dataDir });
    if (!found.found) return fail(g, 'binary-missing', binaryMissingMessage(found));
    let token: string | undefined;
    if (deps.mode === 'named') {
      if (!deps.hostname) {
        return fail(
          g,
          'no-hostname',
          'tunnel.hostname is empty: a named tunnel needs the public hostname you routed to it in the Cloudflare dashboard.',
        );
      }
      token = (await deps.token?.())?.trim() || undefined;
      if (!token) {
        return fail(
          g,
          'no-token',
          'No named-tunnel token is stored in the keychain. Paste the token from the Cloudflare dashboard in Settings > Tunnel.',
        );
      }
      secrets = [token];
    }
    const metricsPort = await findFreePort();
    if (g !== gen) return;
    const args = ['tunnel', '--no-autoupdate', '--metrics', `127.0.0.1:${metricsPort}`];
    if (deps.mode === 'quick') args.push('--url', `http://127.0.0.1:${deps.localPort}`);
    else args.push('run');
    // cloudflared reads many TUNNEL_* variables (TUNNEL_URL, TUNNEL_METRICS, ...): drop inherited ones
    // so only our arguments count. The named-tunnel token travels in TUNNEL_TOKEN, never in argv,
    // where any local user could read it with `ps`.
    const childEnv = Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('TUNNEL_')));
    if (token) childEnv.TUNNEL_TOKEN = token;
    bannerUrl = null;
    tail = [];
    metrics = createMetricsClient({ fetch: doFetch, port: metricsPort });
    const c = spawn({ command: found.path, args, env: childEnv });
    child = c;
    set({ binaryPath: found.path }, ['pid']);
    c.onLine((raw) => onLine(g, c, raw));
    void c.exited.then((exit) => onExit(g, exit));
    if (deps.mode === 'quick') {
      later(g, t.urlMs, () => {
        if (!bannerUrl)
          void fail(
            g,
            'no-url',
            `cloudflared printed no tunnel URL within ${Math.round(t.urlMs / 1000)} s. ${lastWords()}`,
          );
      });
    }
    later(g, t.readyMs, () => {
      if (state.phase !== 'ready') {
        void fail(
          g,
          'not-ready',
          `cloudflared's /ready never answered 200 within ${Math.round(t.readyMs / 1000)} s: no connection to Cloudflare's edge. ${lastWords()}`,
        );
      }
    });
    later(g, t.pollMs, () => void poll(g));
  }

  function lastWords(): string {
    const why = explainFailure(tail);
    const last = summarizeTail(tail);
    return [why, last ? `Last output: ${last}` : ''].filter(Boolean).join(' ');
  }

  function onLine(g: number, c: TunnelChild, raw: string): void {
    if (g !== gen) return;
    const line = redact(raw);
    tail.push(line);
    if (tail.length > TAIL_LINES) tail = tail.slice(-TAIL_LINES);
    emitter.emit('log', line);
    const pid = c.pid();
    if (pid !== undefined && pid !== state.pid) set({ pid });
    const url = deps.mode === 'quick' ? extractQuickTunnelUrl(line) : null;
    if (url) bannerUrl = url;
    if (url || isConnectionRegistered(line)) void poll(g, false);
    if (isConnectionLost(line) && state.phase === 'ready') {
      set({
        phase: 'reconnecting',
        error: 'cloudflared lost its connection to Cloudflare and is reconnecting.',
        reachable: 'unknown',
      });
    }
  }

  let polling = false;
  async function poll(g: number, reschedule = true): Promise<void> {
    if (g !== gen) return;
    if (!polling && metrics && (deps.mode === 'named' || bannerUrl)) {
      polling = true;
      try {
        const status = await metrics.ready();
        if (g === gen) {
          if (status === 200 && state.phase !== 'ready') await becomeReady(g);
          else if (status !== 200 && status !== null && state.phase === 'ready') {
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
    if (reschedule) later(g, state.phase === 'ready' ? t.pollMs * 4 : t.pollMs, () => void poll(g));
  }

  async function becomeReady(g: number): Promise<void> {
    let origin: string;
    if (deps.mode === 'quick') {
      // /quicktunnel is the authoritative hostname; the banner is the fallback for older versions.
      const host = await metrics?.quickTunnelHostname();
      if (g !== gen) return;
      origin = host ? `https://${host}` : (bannerUrl ?? '');
    } else {
      origin = `https://${(deps.hostname ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '')}`;
    }
    const wasReconnectingSameUrl = state.url === origin;
    readyAt = clock.now();
    set(
      {
        phase: 'ready',
        url: origin,
        restarts,
        ...(wasReconnectingSameUrl ? {} : { reachable: 'unknown' as const }),
      },
      ['error', 'errorCode'],
    );
    if (lastUrl && lastUrl !== origin)
      emitter.emit('url-changed', { previous: lastUrl, url: origin } satisfies UrlChange);
    lastUrl = origin;
    if (!wasReconnectingSameUrl || state.reachable !== 'yes') void runReachability(g, origin);
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
    let result: ReachabilityResult = { ok: false, detail: 'not checked' };
    for (let attempt = 1; attempt <= Math.max(1, rr.attempts); attempt++) {
      result = await check(origin).catch((e: unknown) => ({
        ok: false,
        detail: `reachability check failed: ${String(e)}`,
      }));
      if (g !== gen || state.url !== origin) return;
      if (result.ok) break;
      if (attempt < rr.attempts) await sleep(rr.delayMs);
      if (g !== gen || state.url !== origin) return;
    }
    set({ reachable: result.ok ? 'yes' : 'no', reachableDetail: result.detail });
  }

  function onExit(g: number, exit: TunnelExit): void {
    if (g !== gen) return;
    if (exit.spawnError) {
      void fail(
        g,
        'spawn-failed',
        `Could not start ${state.binaryPath ?? 'cloudflared'}: ${exit.spawnError.message}. Check that the file is the cloudflared program for this computer.`,
      );
      return;
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
    const reason = `cloudflared ${how}. ${lastWords()}`.trim();
    if (readyAt !== null && clock.now() - readyAt >= r.stableAfterMs) failures = 0;
    failures++;
    readyAt = null;
    child = null;
    metrics = null;
    if (isPermanentFailure(tail)) {
      void fail(g, 'exited', reason);
      return;
    }
    if (failures > r.maxAttempts) {
      void fail(
        g,
        'exited',
        `${reason} Gave up after ${r.maxAttempts} restart${r.maxAttempts === 1 ? '' : 's'}.`,
      );
      return;
    }
    const delay = Math.min(r.initialDelayMs * 2 ** (failures - 1), r.maxDelayMs);
    restarts++;
    gen++;
    clearTimers();
    const next = gen;
    set(
      {
        phase: 'reconnecting',
        error: `${reason} Restarting in ${Math.round(delay / 100) / 10} s.`,
        errorCode: 'exited',
        reachable: 'unknown',
        restarts,
        ...(deps.mode === 'quick' ? { url: null } : {}),
      },
      ['pid', 'reachableDetail'],
    );
    later(next, delay, () => void launch(next));
  }

  const manager = Object.assign(emitter, {
    state: (): TunnelState => ({ ...state }),
    async start(): Promise<void> {
      if (state.phase === 'starting' || state.phase === 'ready' || state.phase === 'reconnecting') return;
      const settled = new Promise<void>((res) => settleWaiters.push(res));
      gen++;
      failures = 0;
      restarts = 0;
      clearTimers();
      set({ phase: 'starting', url: null, reachable: 'unknown', restarts: 0 }, [
        'error',
        'errorCode',
        'pid',
        'reachableDetail',
      ]);
      await launch(gen).catch((e: unknown) =>
        fail(gen, 'spawn-failed', `Could not start cloudflared: ${(e as Error).message}`),
      );
      await settled;
    },
    async stop(): Promise<void> {
      gen++;
      clearTimers();
      await killChild();
      readyAt = null;
      set({ phase: 'stopped', url: null, reachable: 'unknown' }, [
        'error',
        'errorCode',
        'pid',
        'reachableDetail',
      ]);
    },
    async checkReachability(): Promise<TunnelState> {
      if (state.phase === 'ready' && state.url) await runReachability(gen, state.url);
      return { ...state };
    },
    async close(): Promise<void> {
      await manager.stop();
      emitter.removeAllListeners();
    },
    recentLog: (): string[] => [...tail],
    async downloadBinary(
      options: Pick<DownloadCloudflaredOptions, 'releaseUrl' | 'signal'> = {},
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
        const resolved = state.phase === 'failed' && state.errorCode === 'binary-missing';
        set({ binaryPath: result.path, ...(resolved ? { phase: 'stopped' as const } : {}) }, [
          'download',
          ...(resolved ? (['error', 'errorCode'] as const) : []),
        ]);
        return result;
      } catch (e) {
        set({}, ['download']);
        throw e;
      }
    },
  });
  return manager;
}
