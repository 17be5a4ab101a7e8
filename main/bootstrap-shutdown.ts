/**
 * Tunnelgate's ordered shutdown: stop accepting, stop the tunnel and the upstreams, then close the
 * services and flush the activity log. Each step gets what is left of one time budget (a signal
 * allows about 5 s before the OS or the user's patience ends it), and a step that fails or overruns
 * is reported and skipped, never allowed to keep the rest from running.
 */
import type { ActivityLog } from './activity/index.js';
import type { AuthService } from './auth/auth-service.js';
import type { ConfigEditor } from './config/index.js';
import type { ControlService } from './control/control-service.js';
import type { UpstreamManager } from './gateway/upstream/index.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { TunnelHolder } from './bootstrap-ports.js';

const STOP_BUDGET_MS = 4500;

export interface ShutdownParts {
  /** Stops the config watcher (synchronous). */
  closeWatcher(): void;
  gateway: { close(): Promise<void> };
  dashboard: { close(): Promise<unknown> } | undefined;
  tunnel: TunnelHolder;
  upstreams: UpstreamManager;
  control: ControlService;
  auth: AuthService | undefined;
  /** The tool-list snapshots (tool-list drift): their last write. */
  snapshots?: { close(): Promise<void> } | undefined;
  activity: ActivityLog;
  editor: ConfigEditor;
  /** Removes the headless dashboard's connection file; absent when no dashboard was asked for. */
  removeControlFile?: () => Promise<void>;
  secrets: SecretStore;
  warn(line: string): void;
}

/**
 * Runs each part's shutdown in order within `budgetMs`; never rejects. Resolves true when every step
 * finished (a clean stop), false when one failed or ran out of time (each was reported via `warn`).
 */
export async function shutdownInOrder(p: ShutdownParts, budgetMs = STOP_BUDGET_MS): Promise<boolean> {
  const deadline = Date.now() + budgetMs;
  let clean = true;
  const step = async (what: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
    const left = Math.max(100, deadline - Date.now());
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what} did not finish in time`)), left);
        }),
      ]);
    } catch (err) {
      clean = false;
      p.warn(`Shutdown: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  };
  p.closeWatcher();
  await step('closing the gateway', () => p.gateway.close());
  await step('closing the dashboard', () => p.dashboard?.close());
  // Nothing new reaches the upstreams once the gateway is closed, so cloudflared and the upstream
  // processes stop side by side: one slow to exit must not eat the other's time budget.
  await Promise.all([
    step('stopping the tunnel', async () => {
      await p.tunnel.manager?.stop();
      await p.tunnel.manager?.close();
    }),
    step('stopping the upstream servers', () => p.upstreams.close()),
  ]);
  await step('closing the control service', () => p.control.close());
  await step('closing the auth service', () => p.auth?.close());
  await step('writing the tool-list snapshots', () => p.snapshots?.close());
  await step('writing the activity log', () => p.activity.close());
  p.editor.close();
  if (p.removeControlFile) await step('removing the control file', p.removeControlFile);
  const secrets = p.secrets;
  if ('close' in secrets && typeof secrets.close === 'function') (secrets as { close(): void }).close();
  return clean;
}
