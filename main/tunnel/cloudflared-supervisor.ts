/**
 * One cloudflared run after another: spawns the process with what it needs (cloudflared-launch.ts),
 * gives it a deadline to print its URL and to become ready, restarts it when it exits by itself (as
 * the restart policy says), and fails with a message that says why in cloudflared's own words.
 */
import type { CloudflaredContext } from './cloudflared-context.js';
import { cloudflaredSpawnSpec, launchPrerequisites } from './cloudflared-launch.js';
import type { CloudflaredOutput } from './cloudflared-output.js';
import type { CloudflaredReadiness } from './cloudflared-readiness.js';
import { findFreePort } from './free-port.js';
import { isPermanentFailure } from './log-parser.js';
import type { TunnelErrorCode } from './tunnel-state.js';
import type { TunnelChild, TunnelExit } from './types.js';

export class CloudflaredSupervisor {
  private child: TunnelChild | null = null;

  constructor(
    private readonly ctx: CloudflaredContext,
    private readonly output: CloudflaredOutput,
    private readonly readiness: CloudflaredReadiness,
  ) {}

  /** Starts run `g`: resolves once cloudflared is spawned (or the run has failed). */
  async launch(g: number): Promise<void> {
    const { deps, settings, runs, cell } = this.ctx;
    const { env, timeouts: t } = settings;
    const pre = await launchPrerequisites({ ...deps, env });
    if (!pre.ok) return this.fail(g, pre.code, pre.message);
    if (pre.token) this.output.hide(pre.token);
    const metricsPort = await findFreePort();
    if (!runs.isCurrent(g)) return;
    this.output.clear();
    this.readiness.beginRun(metricsPort);
    const c = settings.spawn(
      cloudflaredSpawnSpec({
        mode: deps.mode,
        binaryPath: pre.binaryPath,
        metricsPort,
        localPort: deps.localPort,
        env,
        ...(pre.token ? { token: pre.token } : {}),
      }),
    );
    this.child = c;
    cell.set({ binaryPath: pre.binaryPath }, ['pid']);
    c.onLine((raw) => this.onLine(g, c, raw));
    void c.exited.then((exit) => this.onExit(g, exit));
    if (deps.mode === 'quick') {
      runs.later(g, t.urlMs, () => {
        if (!this.readiness.hasBannerUrl())
          void this.fail(
            g,
            'no-url',
            `cloudflared printed no tunnel URL within ${Math.round(t.urlMs / 1000)} s. ${this.output.lastWords()}`,
          );
      });
    }
    runs.later(g, t.readyMs, () => {
      if (cell.get().phase !== 'ready') {
        void this.fail(
          g,
          'not-ready',
          `cloudflared's /ready never answered 200 within ${Math.round(t.readyMs / 1000)} s: no connection to Cloudflare's edge. ${this.output.lastWords()}`,
        );
      }
    });
    runs.later(g, t.pollMs, () => void this.readiness.poll(g));
  }

  /** Ends run `g` (if still current) in 'failed' with `message`; the process is stopped. */
  async fail(g: number, code: TunnelErrorCode, message: string): Promise<void> {
    const { runs, cell, restartPolicy } = this.ctx;
    if (!runs.isCurrent(g)) return;
    runs.next();
    await this.kill();
    cell.set(
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

  /** Stops the running process, if any; resolves once it is gone. */
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    this.readiness.endRun();
    if (c) await c.stop(this.ctx.settings.timeouts.stopGraceMs);
  }

  private onLine(g: number, c: TunnelChild, raw: string): void {
    const { runs, cell, events } = this.ctx;
    if (!runs.isCurrent(g)) return;
    const line = this.output.add(raw);
    events.emit('log', line);
    const pid = c.pid();
    if (pid !== undefined && pid !== cell.get().pid) cell.set({ pid });
    this.readiness.onLine(g, line);
  }

  private onExit(g: number, exit: TunnelExit): void {
    const { deps, runs, cell, restartPolicy } = this.ctx;
    if (!runs.isCurrent(g)) return;
    if (exit.spawnError) {
      void this.fail(
        g,
        'spawn-failed',
        `Could not start ${cell.get().binaryPath ?? 'cloudflared'}: ${exit.spawnError.message}. Check that the file is the cloudflared program for this computer.`,
      );
      return;
    }
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? '?'}`;
    const reason = `cloudflared ${how}. ${this.output.lastWords()}`.trim();
    const decision = restartPolicy.exited(isPermanentFailure(this.output.lines()));
    this.child = null;
    this.readiness.endRun();
    if ('giveUp' in decision) {
      void this.fail(g, 'exited', `${reason}${decision.giveUp}`);
      return;
    }
    const delay = decision.restartInMs;
    const next = runs.next();
    cell.set(
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
    runs.later(next, delay, () => void this.launch(next));
  }
}
