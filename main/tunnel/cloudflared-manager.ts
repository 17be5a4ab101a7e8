import { EventEmitter } from 'node:events';
import {
  downloadCloudflared,
  type DownloadCloudflaredOptions,
  type DownloadedCloudflared,
} from './download.js';
import {
  cloudflaredRestartPolicy,
  cloudflaredSettings,
  type CloudflaredContext,
} from './cloudflared-context.js';
import { CloudflaredOutput } from './cloudflared-output.js';
import { CloudflaredReadiness } from './cloudflared-readiness.js';
import { CloudflaredSupervisor } from './cloudflared-supervisor.js';
import { createRunGenerations } from './run-generations.js';
import { createTunnelStateCell } from './tunnel-state-cell.js';
import type { Clock as TunnelClock } from '../common/clock.js';
import type { TunnelState } from './tunnel-state.js';
import type { ReachabilityResult, TunnelEvents, TunnelManager, TunnelSpawner } from './types.js';

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

const CLEARED_ON_START = ['error', 'errorCode', 'pid', 'reachableDetail'] as const;

/**
 * Creates the manager. Events: 'state' (TunnelState, after each change), 'url-changed' (UrlChange,
 * when a start or restart produced a different public origin: the ChatGPT connector must be
 * re-created), 'log' (one redacted cloudflared line). start() resolves once the tunnel is ready,
 * failed or stopped; it never rejects.
 */
export function createTunnelManager(deps: TunnelManagerDeps): CloudflaredTunnelManager {
  return new CloudflaredManager(deps);
}

/**
 * The manager's public face: start, stop and download on the user's request. The parts do the
 * work: the supervisor runs cloudflared (cloudflared-supervisor.ts), the readiness part decides when
 * its URL serves (cloudflared-readiness.ts), the output keeps its redacted lines.
 */
class CloudflaredManager extends EventEmitter<TunnelEvents> implements CloudflaredTunnelManager {
  private readonly ctx: CloudflaredContext;
  private readonly output = new CloudflaredOutput();
  private readonly readiness: CloudflaredReadiness;
  private readonly supervisor: CloudflaredSupervisor;

  constructor(deps: TunnelManagerDeps) {
    super();
    const settings = cloudflaredSettings(deps);
    this.ctx = {
      deps,
      settings,
      cell: createTunnelStateCell(
        { mode: deps.mode, phase: 'stopped', url: null, reachable: 'unknown' },
        (s) => this.emit('state', s),
      ),
      runs: createRunGenerations(settings.clock),
      restartPolicy: cloudflaredRestartPolicy(deps, settings.clock),
      events: this,
    };
    this.readiness = new CloudflaredReadiness(this.ctx);
    this.supervisor = new CloudflaredSupervisor(this.ctx, this.output, this.readiness);
  }

  state(): TunnelState {
    return { ...this.ctx.cell.get() };
  }

  async start(): Promise<void> {
    const { cell, runs, restartPolicy } = this.ctx;
    const phase = cell.get().phase;
    if (phase === 'starting' || phase === 'ready' || phase === 'reconnecting') return;
    const settled = cell.settled();
    const g = runs.next();
    restartPolicy.reset();
    cell.set({ phase: 'starting', url: null, reachable: 'unknown', restarts: 0 }, CLEARED_ON_START);
    await this.supervisor
      .launch(g)
      .catch((e: unknown) =>
        this.supervisor.fail(
          runs.current(),
          'spawn-failed',
          `Could not start cloudflared: ${(e as Error).message}`,
        ),
      );
    await settled;
  }

  async stop(): Promise<void> {
    const { cell, runs, restartPolicy } = this.ctx;
    runs.next();
    await this.supervisor.kill();
    restartPolicy.stopped();
    cell.set({ phase: 'stopped', url: null, reachable: 'unknown' }, CLEARED_ON_START);
  }

  async checkReachability(): Promise<TunnelState> {
    const { cell, runs } = this.ctx;
    const s = cell.get();
    if (s.phase === 'ready' && s.url) await this.readiness.checkReachability(runs.current(), s.url);
    return { ...cell.get() };
  }

  async close(): Promise<void> {
    await this.stop();
    this.removeAllListeners();
  }

  recentLog(): string[] {
    return this.output.lines();
  }

  async downloadBinary(
    options: Pick<DownloadCloudflaredOptions, 'releaseUrl' | 'signal'> = {},
  ): Promise<DownloadedCloudflared> {
    const { cell, deps, settings } = this.ctx;
    cell.set({ download: { receivedBytes: 0 } });
    try {
      const result = await downloadCloudflared({
        ...options,
        dataDir: deps.dataDir,
        fetch: settings.fetch,
        onProgress: (p) => cell.set({ download: p }),
      });
      // A failure that only meant "no binary" is over: back to stopped, ready for start().
      const s = cell.get();
      const resolved = s.phase === 'failed' && s.errorCode === 'binary-missing';
      cell.set({ binaryPath: result.path, ...(resolved ? { phase: 'stopped' as const } : {}) }, [
        'download',
        ...(resolved ? (['error', 'errorCode'] as const) : []),
      ]);
      return result;
    } catch (e) {
      cell.set({}, ['download']);
      throw e;
    }
  }
}
