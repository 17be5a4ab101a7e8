/**
 * Whether a running cloudflared serves the public URL: its output (the quick tunnel's banner, edge
 * connections registered and lost) and its metrics server's /ready decide between ready and
 * reconnecting; once ready, the public origin is probed through the tunnel (reachability).
 */
import type { CloudflaredContext } from './cloudflared-context.js';
import { extractQuickTunnelUrl, isConnectionLost, isConnectionRegistered } from './log-parser.js';
import { createMetricsClient, type MetricsClient } from './metrics-client.js';
import { checkWithRetries } from './reachability.js';
import type { UrlChange } from './types.js';

export class CloudflaredReadiness {
  /** The current run's metrics server; null between runs. */
  private metrics: MetricsClient | null = null;
  /** The URL the current quick tunnel printed in its banner. */
  private bannerUrl: string | null = null;
  /** The public origin of the last ready run (a different one is announced as 'url-changed'). */
  private lastUrl: string | null = null;
  private polling = false;

  constructor(private readonly ctx: CloudflaredContext) {}

  /** A run begins with its metrics server on `metricsPort`. */
  beginRun(metricsPort: number): void {
    this.bannerUrl = null;
    this.metrics = createMetricsClient({ fetch: this.ctx.settings.fetch, port: metricsPort });
  }

  /** The run ended (stopped or exited): nothing to poll until the next one. */
  endRun(): void {
    this.metrics = null;
  }

  /** Whether the current quick tunnel has printed its URL. */
  hasBannerUrl(): boolean {
    return this.bannerUrl !== null;
  }

  /** One (redacted) line of run `g`'s output. */
  onLine(g: number, line: string): void {
    const { deps, cell } = this.ctx;
    const url = deps.mode === 'quick' ? extractQuickTunnelUrl(line) : null;
    if (url) this.bannerUrl = url;
    if (url || isConnectionRegistered(line)) void this.poll(g, false);
    if (isConnectionLost(line) && cell.get().phase === 'ready') {
      cell.set({
        phase: 'reconnecting',
        error: 'cloudflared lost its connection to Cloudflare and is reconnecting.',
        reachable: 'unknown',
      });
    }
  }

  /** Asks /ready once and, when `reschedule`, again later (less often while ready). */
  async poll(g: number, reschedule = true): Promise<void> {
    const { deps, cell, runs } = this.ctx;
    if (!runs.isCurrent(g)) return;
    if (!this.polling && this.metrics && (deps.mode === 'named' || this.bannerUrl)) {
      this.polling = true;
      try {
        const status = await this.metrics.ready();
        if (runs.isCurrent(g)) {
          const phase = cell.get().phase;
          if (status === 200 && phase !== 'ready') await this.becomeReady(g);
          else if (status !== 200 && status !== null && phase === 'ready') {
            cell.set({
              phase: 'reconnecting',
              error:
                'cloudflared reports no live connection to Cloudflare (/ready is not 200); waiting for it to reconnect.',
              reachable: 'unknown',
            });
          }
        }
      } finally {
        this.polling = false;
      }
    }
    const { pollMs } = this.ctx.settings.timeouts;
    if (reschedule)
      runs.later(g, cell.get().phase === 'ready' ? pollMs * 4 : pollMs, () => void this.poll(g));
  }

  private async becomeReady(g: number): Promise<void> {
    const { deps, cell, runs, restartPolicy } = this.ctx;
    let origin: string;
    if (deps.mode === 'quick') {
      // /quicktunnel is the authoritative hostname; the banner is the fallback for older versions.
      const host = await this.metrics?.quickTunnelHostname();
      if (!runs.isCurrent(g)) return;
      origin = host ? `https://${host}` : (this.bannerUrl ?? '');
    } else {
      origin = `https://${(deps.hostname ?? '').replace(/^https?:\/\//, '').replace(/\/.*$/, '')}`;
    }
    const wasReconnectingSameUrl = cell.get().url === origin;
    restartPolicy.ready();
    cell.set(
      {
        phase: 'ready',
        url: origin,
        restarts: restartPolicy.restarts(),
        ...(wasReconnectingSameUrl ? {} : { reachable: 'unknown' as const }),
      },
      ['error', 'errorCode'],
    );
    if (this.lastUrl && this.lastUrl !== origin)
      this.ctx.events.emit('url-changed', { previous: this.lastUrl, url: origin } satisfies UrlChange);
    this.lastUrl = origin;
    if (!wasReconnectingSameUrl || cell.get().reachable !== 'yes') void this.checkReachability(g, origin);
  }

  /** Probes `origin` through the tunnel (with retries) while run `g` still serves it. */
  async checkReachability(g: number, origin: string): Promise<void> {
    const { cell, runs, settings } = this.ctx;
    const { check, clock } = settings;
    if (check === null) {
      cell.set({
        reachable: 'unknown',
        reachableDetail: 'Not checked: TUNNELGATE_REACHABILITY_CHECK=0 turns the check off.',
      });
      return;
    }
    cell.set({ reachable: 'checking' }, ['reachableDetail']);
    const result = await checkWithRetries({
      check,
      origin,
      attempts: settings.reachabilityRetry.attempts,
      delayMs: settings.reachabilityRetry.delayMs,
      sleep: (ms: number): Promise<void> => new Promise((res) => clock.setTimeout(res, ms)),
      stillWanted: () => runs.isCurrent(g) && cell.get().url === origin,
    });
    if (result) cell.set({ reachable: result.ok ? 'yes' : 'no', reachableDetail: result.detail });
  }
}
