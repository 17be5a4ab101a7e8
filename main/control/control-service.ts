/**
 * The control service: one object implementing the window contract (preload/contract.ts) on top of
 * the other services. Served over IPC by main/app and over loopback HTTP + SSE by http-listener.ts.
 */
import type { ActivityEvent } from '../activity/types.js';
import type { TunnelgateConfig } from '../config/schema.js';
import {
  SCOPE_FULL,
  SCOPE_READ,
  SCOPES_SUPPORTED,
  type AppStatus,
  type ApprovalRequestView,
  type ServerLogEntry,
  type ServerView,
  type TunnelgateApi,
} from '../../preload/contract.js';
import { checkToolList } from '../doctor/tool-checks.js';
import { isGatewayOwnSecret } from '../secrets/secret-name.js';
import { withServer, withServerEnabled, withToolEnabled, withoutServer } from './config-edits.js';
import { createCoalescer, createListenerSet } from './listener-set.js';
import type { ControlDeps } from './ports.js';
import { buildServerViews } from './server-views.js';
import {
  applySettingsPatch,
  buildSettingsView,
  openaiKeySecretName,
  tunnelTokenSecretName,
  type SettingsPatch,
} from './settings.js';
import { buildStatus, joinUrl } from './status-view.js';
import { createPlayground } from './playground.js';

/** The window contract plus close(), which unsubscribes from every service. */
export type ControlService = TunnelgateApi & { close(): void };

/** Most events one getActivity call returns (the renderer pages for more). */
const MAX_ACTIVITY_PAGE = 100_000;
/** Most log entries one serverLog event carries (older ones in a burst stay in getServerLogs). */
const MAX_LOG_BATCH = 1000;
const SECRET_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** How long a keychain availability answer is trusted before asking the OS again. */
const KEYCHAIN_RECHECK_MS = 60_000;

/**
 * Creates the control service. Events (onStatus, onServers, onApprovals) are coalesced per turn of
 * the event loop and computed only while someone listens; onActivity passes each event through.
 */
export function createControlService(deps: ControlDeps): ControlService {
  const log = deps.log ?? (() => {});
  /**
   * What we last wrote, until the config store reports the change: the store applies a write when
   * its file watcher fires, so reading it right after a save would give the old values (the
   * Settings form snapped back to them).
   */
  let written: TunnelgateConfig | undefined;
  const readConfig = (): TunnelgateConfig => written ?? deps.config.read();
  const saveConfig = async (next: TunnelgateConfig): Promise<void> => {
    await deps.config.write(next);
    written = next;
  };
  const onListenerError = (err: unknown): void => log(`control: a listener failed: ${String(err)}`);
  const statusListeners = createListenerSet<AppStatus>(onListenerError);
  const serverListeners = createListenerSet<ServerView[]>(onListenerError);
  const activityListeners = createListenerSet<ActivityEvent>(onListenerError);
  const approvalListeners = createListenerSet<ApprovalRequestView[]>(onListenerError);
  const serverLogListeners = createListenerSet<ServerLogEntry[]>(onListenerError);

  let urlChanged: AppStatus['urlChanged'];
  /** Origin of the auth-reported change the user acknowledged (it is not shown again). */
  let acknowledgedOrigin: string | undefined;

  /** The URL change to show: one seen from the tunnel, else the one auth reports (also across restarts). */
  function currentUrlChange(): AppStatus['urlChanged'] {
    if (urlChanged) return urlChanged;
    const change = deps.auth.lastUrlChange?.();
    if (!change || change.current === acknowledgedOrigin) return undefined;
    const path = deps.gateway.mcpPath();
    return { previous: joinUrl(change.previous, path), current: joinUrl(change.current, path) };
  }
  let keychain: { value: AppStatus['keychain']; at: number } | undefined;

  async function keychainState(): Promise<AppStatus['keychain']> {
    if (keychain && Date.now() - keychain.at < KEYCHAIN_RECHECK_MS) return keychain.value;
    let value: AppStatus['keychain'];
    try {
      const a = await deps.secrets.availability();
      value = a.reason ? { available: a.available, reason: a.reason } : { available: a.available };
    } catch (err) {
      value = { available: false, reason: err instanceof Error ? err.message : String(err) };
    }
    keychain = { value, at: Date.now() };
    return value;
  }

  async function secretNames(): Promise<string[]> {
    try {
      return (await deps.secrets.list()).filter((n) => !isGatewayOwnSecret(n));
    } catch {
      return []; // keychain unavailable: every referenced secret shows as missing, which is true
    }
  }

  async function getStatus(): Promise<AppStatus> {
    return buildStatus({
      gatewayRunning: deps.gateway.running(),
      gatewayPort: deps.gateway.port(),
      publicPort: deps.gateway.publicPort?.() ?? null,
      mcpPath: deps.gateway.mcpPath(),
      authMode: deps.gateway.authMode(),
      gatewayError: deps.gateway.error(),
      gatewayPublicOrigin: deps.gateway.publicOrigin?.(),
      configuredPublicUrl: readConfig().gateway?.publicUrl,
      tunnel: deps.tunnel.state(),
      pendingApprovals: deps.auth.listPending().length,
      grants: deps.auth.listGrants().length,
      urlChanged: currentUrlChange(),
      revokedGrants: deps.auth.recentRevocations?.() ?? [],
      toolDrift: deps.connectors?.toolDrift() ?? [],
      staleGrants: deps.connectors?.staleGrants() ?? [],
      keychain: await keychainState(),
      cannotGoPublic: deps.tunnel.cannotStart?.(),
    });
  }

  async function listServers(): Promise<ServerView[]> {
    return buildServerViews({
      config: readConfig(),
      states: deps.upstreams.states(),
      tools: (n) => deps.upstreams.tools(n),
      prompts: (n) => deps.upstreams.prompts(n),
      resources: (n) => deps.upstreams.resources(n),
      resourceTemplates: (n) => deps.upstreams.resourceTemplates(n),
      exposedToolName: (s, t) => deps.gateway.exposedToolName(s, t),
      secretNames: await secretNames(),
      toolListCheck: checkToolList(deps.gateway.exposedTools?.() ?? []),
    });
  }

  async function getSettings() {
    return buildSettingsView({
      config: readConfig(),
      gatewayPort: deps.gateway.port(),
      // Settings are what applies when the gateway runs with a tunnel. One started without (serve
      // --no-tunnel) runs with no client authentication, but restarted with a tunnel and no auth in
      // the config it has OAuth (bootstrap.ts): that, not this run's "none", is what the form shows.
      gatewayAuthMode: deps.tunnel.cannotStart?.() ? 'oauth' : deps.gateway.authMode(),
      tunnelMode: deps.tunnel.state().mode,
      secretNames: await secretNames(),
      launchAtLogin: deps.platform?.getLaunchAtLogin() ?? false,
      launchAtLoginAvailable: deps.platform !== undefined,
    });
  }

  const report = (what: string) => (err: unknown) =>
    log(`control: could not build ${what} update: ${String(err)}`);
  const statusPush = createCoalescer(() => {
    if (statusListeners.size) getStatus().then((s) => statusListeners.emit(s), report('status'));
  });
  const serversPush = createCoalescer(() => {
    if (serverListeners.size) listServers().then((s) => serverListeners.emit(s), report('servers'));
  });
  /** Log entries not yet pushed; only gathered while someone listens. */
  let logBatch: ServerLogEntry[] = [];
  const logPush = createCoalescer(() => {
    const batch = logBatch;
    logBatch = [];
    if (batch.length) serverLogListeners.emit(batch);
  });
  const approvalsPush = createCoalescer(() => {
    if (approvalListeners.size) approvalListeners.emit(deps.auth.listPending());
  });

  /** Applies a pure edit to the current config and saves it; the store's watcher reloads it. */
  async function writeConfig(edit: (c: TunnelgateConfig) => TunnelgateConfig): Promise<void> {
    await saveConfig(edit(readConfig()));
    serversPush.request();
    statusPush.request();
  }

  const subscriptions = [
    deps.config.onChange(() => {
      written = undefined;
      serversPush.request();
      statusPush.request();
    }),
    deps.upstreams.onChange(() => {
      serversPush.request();
      // A tool list changed: a client's snapshot may now be out of date (tool-list drift).
      if (deps.connectors) statusPush.request();
    }),
    deps.connectors?.onChange(() => statusPush.request()) ?? (() => undefined),
    deps.gateway.onChange(() => {
      statusPush.request();
      serversPush.request();
    }),
    deps.auth.onChange(() => {
      approvalsPush.request();
      statusPush.request();
    }),
    deps.tunnel.onState(() => statusPush.request()),
    deps.tunnel.onUrlChanged(({ previous, url }) => {
      // A new quick-tunnel URL means the connector in ChatGPT must be re-created (PROTOCOL.md).
      if (previous && url && previous !== url) {
        const path = deps.gateway.mcpPath();
        urlChanged = {
          previous: urlChanged?.previous ?? joinUrl(previous, path),
          current: joinUrl(url, path),
        };
      }
      statusPush.request();
    }),
    deps.activity.subscribe((e) => activityListeners.emit(e)),
    deps.upstreams.onLog((e) => {
      if (!serverLogListeners.size) return;
      logBatch.push(e);
      // A runaway server cannot pile up more than one store's worth between two turns.
      if (logBatch.length > MAX_LOG_BATCH) logBatch = logBatch.slice(-MAX_LOG_BATCH);
      logPush.request();
    }),
  ];

  const playground = createPlayground({
    localUrl: async () => (await getStatus()).gateway.localUrl,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });

  return {
    getStatus,
    startGateway: () => deps.gateway.start(),
    stopGateway: () => deps.gateway.stop(),
    async acknowledgeUrlChange() {
      urlChanged = undefined;
      acknowledgedOrigin = deps.auth.lastUrlChange?.()?.current;
      statusPush.request();
    },

    listServers,
    saveServer: (name, config) => writeConfig((c) => withServer(c, name, config)),
    removeServer: (name) => writeConfig((c) => withoutServer(c, name)),
    setServerEnabled: (name, enabled) => writeConfig((c) => withServerEnabled(c, name, enabled)),
    restartServer: (name) => deps.upstreams.restart(name),
    setToolEnabled: (server, tool, enabled) => writeConfig((c) => withToolEnabled(c, server, tool, enabled)),
    async getServerLogs(server) {
      const known =
        typeof server === 'string' &&
        (server in readConfig().mcpServers || deps.upstreams.states().some((s) => s.name === server));
      if (!known) throw new Error(`getServerLogs: no server named ${JSON.stringify(server)} (mcpServers).`);
      return deps.upstreams.logs(server);
    },
    async importClaudeConfig(path) {
      const result = await deps.config.importClaude(path);
      serversPush.request();
      return result;
    },
    signIn: (server) => deps.upstreams.signIn(server),

    listSecrets: secretNames,
    async setSecret(name, value) {
      if (!SECRET_NAME.test(name)) {
        throw new Error(
          `Secret name '${name}' is not allowed: use letters, digits, ".", "_" or "-" (as in \${secret:NAME}).`,
        );
      }
      if (typeof value !== 'string' || value.length === 0) {
        throw new Error(`The value for secret '${name}' is empty; paste the token or key and save again.`);
      }
      try {
        await deps.secrets.set(name, value);
      } finally {
        keychain = undefined; // a failure may mean the keychain went away: ask again
      }
      serversPush.request();
      statusPush.request();
    },
    async deleteSecret(name) {
      if (isGatewayOwnSecret(name)) {
        throw new Error(
          `'${name}' is Tunnelgate's own token-signing key: deleting it would sign every client out. ` +
            "To end one client's access, revoke it on the Approvals page.",
        );
      }
      if (!(await deps.secrets.delete(name))) {
        throw new Error(`No secret named '${name}' in the keychain; nothing was deleted.`);
      }
      serversPush.request();
    },

    listApprovals: async () => deps.auth.listPending(),
    async approve(id, scopes) {
      const allowed = SCOPES_SUPPORTED;
      if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => !allowed.includes(s))) {
        throw new Error(
          `Approve: scopes must be '${SCOPE_READ}' (read-only) or '${SCOPE_FULL}' (all tools); got ${JSON.stringify(scopes)}.`,
        );
      }
      await deps.auth.approve(id, scopes);
      approvalsPush.request();
      statusPush.request();
    },
    async deny(id) {
      await deps.auth.deny(id);
      approvalsPush.request();
      statusPush.request();
    },
    listGrants: async () => deps.auth.listGrants(),
    async revokeGrant(id) {
      await deps.auth.revokeGrant(id);
      statusPush.request();
    },
    async forgetStaleGrants() {
      if (!deps.connectors) return 0;
      const n = await deps.connectors.forgetStale();
      statusPush.request();
      return n;
    },

    async getActivity(query) {
      const limit = Math.min(Math.max(Math.trunc(query?.limit ?? 1000), 1), MAX_ACTIVITY_PAGE);
      const q: { limit: number; beforeId?: number } = { limit };
      if (typeof query?.beforeId === 'number') q.beforeId = query.beforeId;
      return deps.activity.recent(q);
    },
    clearActivity: () => deps.activity.clear(),
    exportActivity: () => deps.activity.exportJsonl(),

    startTunnel: () => deps.tunnel.start(),
    stopTunnel: () => deps.tunnel.stop(),
    async downloadCloudflared() {
      // Only on the user's request (ARCHITECTURE.md): nothing is fetched from the internet by itself.
      try {
        await deps.tunnel.downloadBinary();
      } finally {
        statusPush.request();
      }
    },

    getSettings,
    async updateSettings(patch: SettingsPatch) {
      if (patch.launchAtLogin !== undefined && !deps.platform) {
        throw new Error(
          'Launch at login is available in the desktop app only; the headless gateway is started by you (or your service manager).',
        );
      }
      const next = applySettingsPatch(readConfig(), patch);
      if (patch.tunnelToken !== undefined) {
        if (patch.tunnelToken.trim() === '')
          throw new Error(
            'Named-tunnel token: empty. Paste the token from Cloudflare’s dashboard (Zero Trust → Tunnels).',
          );
        await deps.secrets.set(tunnelTokenSecretName(next), patch.tunnelToken.trim());
      }
      if (patch.openaiApiKey !== undefined) {
        if (patch.openaiApiKey.trim() === '')
          throw new Error('OpenAI tunnel API key: empty. Paste a runtime API key that may use this tunnel.');
        await deps.secrets.set(openaiKeySecretName(next), patch.openaiApiKey.trim());
      }
      await saveConfig(next);
      if (patch.launchAtLogin !== undefined) deps.platform?.setLaunchAtLogin(patch.launchAtLogin);
      statusPush.request();
      return getSettings();
    },

    callTool: (name, args) => playground.callTool(name, args),
    async runDoctor() {
      if (!deps.doctor) throw new Error('The connection doctor is not available in this process.');
      return deps.doctor.run();
    },

    onStatus: (l) => statusListeners.add(l),
    onServers: (l) => serverListeners.add(l),
    onActivity: (l) => activityListeners.add(l),
    onApprovals: (l) => approvalListeners.add(l),
    onServerLog: (l) => serverLogListeners.add(l),

    close() {
      for (const off of subscriptions) off();
      for (const c of [statusPush, serversPush, approvalsPush, logPush]) c.cancel();
      for (const s of [
        statusListeners,
        serverListeners,
        activityListeners,
        approvalListeners,
        serverLogListeners,
      ])
        s.clear();
    },
  };
}
