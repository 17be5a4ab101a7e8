/**
 * Wires Tunnelgate's services together; shared by the CLI (`tunnelgate serve`) and the Electron app.
 * Order at start: config -> secrets -> activity -> upstreams -> auth -> gateway (listen) -> config
 * watcher -> tunnel -> control service (+ headless dashboard). Stop runs the reverse, bounded in time.
 */
import { join } from 'node:path';
import {
  createActivityLog,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_RETENTION_DAYS,
  type ActivityLog,
} from './activity/index.js';
import { createAuthService, type AuthService, type AuthServiceDeps } from './auth/auth-service.js';
import {
  createSystemBrowserOpener,
  createUpstreamAuthFactory,
  type BrowserOpener,
} from './auth/upstream/index.js';
import {
  DEFAULT_PORT,
  createConfigEditor,
  currentPlatform,
  dataDir as defaultDataDir,
  findClaudeDesktopConfig,
  loadConfig,
  readClaudeServers,
  resolveConfigPath,
  watchConfig,
  type ConfigEditor,
  type ConfigError,
  type ConfigWatcher,
  type LoadedConfig,
  type PlatformEnv,
  type ServerConfig,
  type TunnelgateConfig,
} from './config/index.js';
import { configSchema } from './config/schema.js';
import { createControlService, type ControlService } from './control/control-service.js';
import type { ControlPlatformPort } from './control/ports.js';
import { createControlHttpListener, type ControlHttpListener } from './control/http-listener.js';
import { removeControlConnection, writeControlConnection } from './control/connection-file.js';
import { tunnelTokenSecretName } from './control/settings.js';
import { joinUrl } from './control/status-view.js';
import { generateControlToken } from './control/http-guard.js';
import { DEMO_SERVER_NAME, demoBuiltin } from './gateway/demo/demo-server.js';
import { createGateway, type Gateway } from './gateway/gateway.js';
import { createUpstreamManager, type ResolveResult, type UpstreamManager } from './gateway/upstream/index.js';
import { createKeychainSecretStore } from './secrets/keychain-secret-store.js';
import { resolveSecretRefs } from './secrets/secret-refs.js';
import type { SecretStore } from './secrets/secret-store.js';
import { buildPorts, rendererDir, type TunnelHolder } from './bootstrap-ports.js';
import { createMcpPathProbe } from './bootstrap-reachability.js';
import { openAiTunnelDeps } from './bootstrap-openai-tunnel.js';
import { createLocalTokenSource } from './bootstrap-local-token.js';
import type { TunnelManagerDeps } from './tunnel/index.js';
import { createDoctorPort } from './bootstrap-doctor.js';
import type { DoctorNetwork } from './doctor/network.js';

/** User-facing output: `info` for what the user asked for (URLs), `warn` for problems. */
export interface BootstrapLog {
  info(line: string): void;
  warn(line: string): void;
}

export interface TunnelgateOptions {
  /** `--config FILE`; else TUNNELGATE_CONFIG, else the OS config folder. */
  configPath?: string;
  /** `--port N`: the local MCP endpoint (0: a free port); else `gateway.port`, else DEFAULT_PORT. */
  port?: number;
  /** `--public-port N`: the public listener a tunnel or proxy forwards to; else `gateway.publicPort`, else a free port. */
  publicPort?: number;
  /**
   * Start the tunnel now (`--no-tunnel`: false). Default: unless `tunnel.mode` is "off", or it is
   * "quick" while a public URL is given (`--public-url` / `gateway.publicUrl`: the user's own proxy).
   */
  tunnel?: boolean;
  /** `--auth`; default `gateway.auth`, else oauth when reachable from outside, none otherwise. */
  auth?: 'none' | 'oauth';
  /** `--public-url`: public origin (or http loopback origin) the auth issuer follows. */
  publicUrl?: string;
  /** Serve the headless dashboard on a second loopback listener (the CLI does; the app uses IPC). */
  dashboard?: boolean;
  /** Data folder (activity logs, control file, auth metadata); default the OS data folder. */
  dataDir?: string;
  /** Default: the OS keychain. Tests pass createMemorySecretStore(). */
  secretStore?: SecretStore;
  platform?: PlatformEnv;
  log?: BootstrapLog;
  /** Opens the system browser for upstream OAuth sign-in; tests pass one that drives fetch. */
  browserOpener?: BrowserOpener;
  /** OS integration only the app has (launch at login), forwarded to the control service. */
  controlPlatform?: ControlPlatformPort;
  /**
   * Passed to the tunnel manager: its environment (CLOUDFLARED_BIN, TUNNELGATE_REACHABILITY_CHECK;
   * default process.env) and fetch (also used by the reachability probe). Tests point them at a fake.
   */
  tunnelDeps?: Pick<TunnelManagerDeps, 'env' | 'fetch'>;
  /**
   * Passed to the auth service: the network for client metadata documents and JWKS (tests play DNS
   * and chatgpt.com with it; the address guard still applies) and the clock (tests move time).
   */
  authDeps?: Pick<AuthServiceDeps, 'cimdTransport' | 'clock'>;
  /**
   * The connection doctor's network (DNS, TLS, fetch); default the system's, with tunnelDeps.fetch.
   * Tests point it at the fake cloudflared's edge.
   */
  doctorNetwork?: Partial<DoctorNetwork>;
}

export interface TunnelgateServices {
  configPath: string;
  config(): TunnelgateConfig;
  editor: ConfigEditor;
  secrets: SecretStore;
  activity: ActivityLog;
  upstreams: UpstreamManager;
  gateway(): Gateway | undefined;
  auth: AuthService | undefined;
  tunnel: TunnelHolder;
  control: ControlService;
}

export interface StartInfo {
  /** The local MCP endpoint's port. */
  port: number;
  /** `http://127.0.0.1:N/mcp`: the local MCP endpoint (no OAuth, never tunneled). */
  endpoint: string;
  /** The public listener's port (what the tunnel forwards to); absent when nothing is public. */
  publicPort?: number;
  demo: boolean;
  dashboardUrl?: string;
}

export interface Tunnelgate {
  start(): Promise<StartInfo>;
  /** Ordered shutdown: stop accepting, stop the tunnel, close upstreams, flush activity; within 5 s. */
  stop(): Promise<void>;
  readonly services: TunnelgateServices;
}

const STOP_BUDGET_MS = 4500;

/** Creates the services (nothing runs until start()). Throws ConfigError for an invalid config. */
export async function createTunnelgate(options: TunnelgateOptions = {}): Promise<Tunnelgate> {
  const platform = options.platform ?? currentPlatform();
  const log: BootstrapLog = options.log ?? { info: (l) => console.log(l), warn: (l) => console.error(l) };
  const { path: configPath } = resolveConfigPath(options.configPath, platform);
  const dataDir = options.dataDir ?? defaultDataDir(platform);

  let loaded: LoadedConfig | undefined = await loadConfig(configPath);
  const emptyConfig = configSchema.parse({});
  const currentConfig = (): TunnelgateConfig => loaded?.config ?? emptyConfig;
  const initial = currentConfig();

  const secrets = options.secretStore ?? createKeychainSecretStore();
  const activity = createActivityLog({
    dir: join(dataDir, 'activity'),
    ringSize: initial.activity?.ringSize,
    maxFileBytes: initial.activity?.maxFileBytes,
    retentionDays: initial.activity?.retentionDays,
    onError: (err) => log.warn(`Activity log: ${err.message}`),
  });
  const systemEvent = (method: string, message: string, outcome: 'ok' | 'error' = 'error'): void =>
    activity.record({
      time: Date.now(),
      kind: 'system',
      method,
      outcome,
      ...(outcome === 'error' ? { error: { message } } : { target: message }),
    });

  const upstreams = createUpstreamManager({
    resolve: async (name, config): Promise<ResolveResult> => {
      const r = await resolveSecretRefs(config, secrets, {
        serverName: name,
        onSecretValues: (v) => activity.addSecretValues(v),
      });
      return r.missingSecrets ? { missingSecrets: r.missingSecrets } : { config: r.config };
    },
    builtins: { [DEMO_SERVER_NAME]: demoBuiltin },
    callTimeoutMs: initial.gateway?.callTimeoutMs,
    // stdin close, then SIGTERM, then SIGKILL: at most 2.3 s, inside the 5 s a signal allows.
    shutdown: { stdinGraceMs: 800, termGraceMs: 1500 },
    // Remote upstreams answering 401: OAuth sign-in with tokens in the keychain (auth/upstream).
    authFor: createUpstreamAuthFactory({
      store: secrets,
      opener: options.browserOpener ?? createSystemBrowserOpener(),
      onSecretValues: (v) => activity.addSecretValues(v),
      clientName: 'Tunnelgate',
    }),
  });

  const publicUrlOption = options.publicUrl ?? initial.gateway?.publicUrl;
  const configuredTunnel = initial.tunnel?.mode ?? 'quick';
  // With a fixed public URL (the user's own proxy) a quick tunnel's random URL could never be the
  // connector, and the Host allow-list would refuse it: not started unless asked for. A named tunnel
  // may well be what serves that URL, so it still starts.
  const quickBesidePublicUrl = !!publicUrlOption && configuredTunnel === 'quick';
  const autoTunnel = options.tunnel ?? (configuredTunnel !== 'off' && !quickBesidePublicUrl);
  const authMode =
    options.auth ?? initial.gateway?.auth ?? (autoTunnel || publicUrlOption ? 'oauth' : 'none');
  // `--auth none` with nothing public: loopback only, no auth hook (issue 2); the tunnel then stays off.
  const localOnly = authMode === 'none' && !autoTunnel && !publicUrlOption;
  let port = options.port ?? initial.gateway?.port ?? DEFAULT_PORT;
  let publicPort = options.publicPort ?? initial.gateway?.publicPort ?? 0;

  const tunnel: TunnelHolder = { manager: undefined, localOnly };
  const publicOrigin = (): string | null => {
    if (publicUrlOption) return publicUrlOption;
    const s = tunnel.manager?.state();
    return s?.phase === 'ready' && s.url ? s.url : null;
  };
  const auth = localOnly
    ? undefined
    : await createAuthService({
        mode: authMode,
        publicOrigin,
        secrets,
        dataDir,
        ...options.authDeps,
      });
  for (const w of auth?.warnings ?? []) log.warn(w);
  // Tunnelgate revoking a grant by itself is news for the owner: serve's output and the activity log.
  auth?.on('grant-revoked', (r) => {
    const line = `Tunnelgate revoked the access of ${r.clientName} (${r.clientId}): ${r.message}`;
    log.warn(line);
    systemEvent('auth/grant-revoked', line);
  });
  /** The MCP path clients use (with `--auth none` in public: the secret segment). */
  const mcpPath = (): string => auth?.mcpPaths()[0] ?? '/mcp';

  const editor = createConfigEditor({ path: configPath, platform });
  let watcher: ConfigWatcher | undefined;
  let gateway: Gateway | undefined;
  let gatewayError: string | undefined;
  let dashboard: ControlHttpListener | undefined;
  const changeListeners = new Set<() => void>();
  let lastConnector: string | undefined;
  const gatewayListeners = new Set<() => void>();

  const serversOf = (c: LoadedConfig | undefined): Record<string, ServerConfig> => c?.config.mcpServers ?? {};
  const applyConfig = async (next: LoadedConfig | undefined): Promise<void> => {
    loaded = next;
    // Log retention and file size follow the settings; the ring size applies at the next start.
    activity.configure({
      maxFileBytes: next?.config.activity?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      retentionDays: next?.config.activity?.retentionDays ?? DEFAULT_RETENTION_DAYS,
    });
    const servers = serversOf(next);
    gateway?.setServers(servers);
    await upstreams.apply(servers, { builtins: next ? [] : [DEMO_SERVER_NAME] });
  };

  const localToken = createLocalTokenSource({ secrets, config: currentConfig, warn: (m) => log.warn(m) });
  const makeGateway = async (): Promise<Gateway> => {
    await localToken.refresh();
    const g = createGateway({
      upstreams,
      auth,
      activity,
      servers: serversOf(loaded),
      maxBodyBytes: currentConfig().gateway?.maxBodyBytes,
      callTimeoutMs: currentConfig().gateway?.callTimeoutMs,
      localToken: localToken.current,
      // Cloudflare's edge sets Cf-Connecting-Ip; behind the user's own proxy (--public-url, no tunnel) a
      // client could write it, so there the socket address counts.
      trustCloudflare: () => !publicUrlOption || tunnel.manager !== undefined,
    });
    const bind = async (
      what: string,
      flag: string,
      wanted: number,
      fn: (p: number) => Promise<{ port: number }>,
    ) => {
      try {
        return (await fn(wanted)).port;
      } catch (err) {
        await g.close().catch(() => undefined);
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(
          code === 'EADDRINUSE'
            ? `Port ${wanted} on 127.0.0.1 is already in use (wanted for ${what}; another Tunnelgate?). Stop that program or pick another port with ${flag} N (0 picks a free one).`
            : `The gateway could not listen on 127.0.0.1:${wanted} (${what}): ${(err as Error).message}`,
        );
      }
    };
    port = await bind('the local MCP endpoint', '--port', port, (p) => g.listen(p));
    // The public listener exists only when something guards it (OAuth, or --auth none's secret path).
    if (auth)
      publicPort = await bind('the public listener', '--public-port', publicPort, (p) => g.listenPublic(p));
    // The Host allow-list follows the public URL; never in local-only mode (nothing guards /mcp there).
    try {
      if (!localOnly) g.setPublicOrigin(publicOrigin());
    } catch (err) {
      await g.close().catch(() => undefined);
      throw err;
    }
    return g;
  };

  /**
   * The tunnel's default probe reads OAuth metadata, which `--auth none` does not serve (404): there
   * the MCP path itself is probed. TUNNELGATE_REACHABILITY_CHECK=0 still turns the probe off.
   */
  const reachabilityProbe = (): Pick<TunnelManagerDeps, 'checkReachable'> => {
    const env = options.tunnelDeps?.env ?? process.env;
    if (authMode !== 'none' || !auth || env.TUNNELGATE_REACHABILITY_CHECK === '0') return {};
    const fetchFn = options.tunnelDeps?.fetch;
    return {
      checkReachable: createMcpPathProbe({
        path: mcpPath,
        ...(fetchFn ? { fetch: fetchFn } : {}),
      }),
    };
  };

  const ports = buildPorts({
    editor,
    currentConfig,
    onConfigChange: (l) => {
      changeListeners.add(l);
      return () => changeListeners.delete(l);
    },
    upstreams,
    gateway: {
      current: () => gateway,
      port: () => (gateway ? port : null),
      publicPort: () => gateway?.publicPort() ?? null,
      error: () => gatewayError,
      authMode,
      auth,
      publicOrigin,
      start: async () => {
        if (gateway) return;
        try {
          gateway = await makeGateway();
          gatewayError = undefined;
        } catch (err) {
          gatewayError = (err as Error).message;
          throw err;
        } finally {
          for (const l of gatewayListeners) l();
        }
      },
      stop: async () => {
        const g = gateway;
        gateway = undefined;
        await g?.close();
        for (const l of gatewayListeners) l();
      },
      onChange: (l) => {
        gatewayListeners.add(l);
        return () => gatewayListeners.delete(l);
      },
    },
    auth,
    secrets,
    tunnel,
    makeTunnel: (mode) => ({
      mode,
      // The tunnel forwards to the public listener only, never to the local MCP endpoint.
      localPort: publicPort,
      cloudflaredPath: currentConfig().tunnel?.cloudflaredPath,
      hostname: currentConfig().tunnel?.hostname,
      token: async () => secrets.get(tunnelTokenSecretName(currentConfig())),
      dataDir,
      ...options.tunnelDeps,
      ...reachabilityProbe(),
    }),
    tunnelMode: () => {
      const m = currentConfig().tunnel?.mode;
      return m === 'named' || m === 'openai' ? m : 'quick';
    },
    // OpenAI's Secure MCP Tunnel: requests arrive by long-poll, served as the tunnel's own client.
    makeOpenAiTunnel: () =>
      openAiTunnelDeps({
        config: currentConfig(),
        secrets,
        gateway: () => gateway,
        ...(options.tunnelDeps?.fetch ? { fetch: options.tunnelDeps.fetch } : {}),
        ...(options.tunnelDeps?.env ? { env: options.tunnelDeps.env } : {}),
      }),
    onTunnelUrl: (url) => {
      if (!localOnly) gateway?.setPublicOrigin(publicUrlOption ?? url);
      auth?.refreshOrigin();
      if (!url) return;
      const connector = joinUrl(url, mcpPath());
      // A quick tunnel gets a new URL at each start: the connector made in ChatGPT stops working.
      if (lastConnector && lastConnector !== connector) {
        log.warn(
          `The public URL changed (was ${lastConnector}): re-create the connector in ChatGPT with the new one.`,
        );
        // Origins only: with --auth none the path holds the secret segment, which never goes in the log.
        systemEvent(
          'tunnel/url-changed',
          `${new URL(lastConnector).origin} -> ${new URL(connector).origin}`,
          'ok',
        );
      }
      lastConnector = connector;
      log.info(`Connector URL: ${connector}`);
    },
    // Headless, nobody watches the window: tunnel trouble after start-up goes to the log and the activity.
    onTunnelState: (s, before) => {
      if (s.phase === before?.phase && s.reachable === before.reachable) return;
      if (s.phase === 'failed' && before?.phase !== 'failed') {
        const why = s.error ?? 'cloudflared stopped';
        log.warn(`Tunnel failed: ${why}`);
        systemEvent('tunnel/failed', why);
      } else if (s.phase === 'reconnecting' && before?.phase === 'ready') {
        // Once per drop: the restart attempts that follow are summed up by 'failed' if they all fail.
        const why = s.error ?? 'cloudflared exited';
        log.warn(`Tunnel lost (${why}); reconnecting...`);
        systemEvent('tunnel/reconnecting', why);
      } else if (s.phase === 'ready' && s.mode === 'openai' && before?.phase !== 'ready') {
        log.info(
          `Connected to OpenAI's tunnel ${s.tunnelId ?? ''}: in ChatGPT, add a custom MCP server with Tunnel and this id.`,
        );
      } else if (s.phase === 'ready' && s.reachable === 'no' && before?.reachable !== 'no') {
        const why = s.reachableDetail ?? 'the public URL does not answer';
        log.warn(`The tunnel is up but the gateway is not reachable through it: ${why}`);
        systemEvent('tunnel/unreachable', why);
      }
    },
    activity,
    log: (m) => log.warn(m),
  });
  const doctor = createDoctorPort({
    authMode,
    auth,
    publicOrigin,
    mcpPath,
    localOnly,
    network: {
      ...(options.tunnelDeps?.fetch ? { fetch: options.tunnelDeps.fetch } : {}),
      ...options.doctorNetwork,
    },
  });
  const control = createControlService({
    ...ports,
    doctor,
    ...(options.controlPlatform ? { platform: options.controlPlatform } : {}),
  });

  let started = false;
  let stopping: Promise<void> | undefined;

  return {
    services: {
      configPath,
      config: currentConfig,
      editor,
      secrets,
      activity,
      upstreams,
      gateway: () => gateway,
      auth,
      tunnel,
      control,
    },

    async start() {
      if (started) throw new Error('Tunnelgate is already started.');
      started = true;
      const availability = await secrets
        .availability()
        .catch((err: unknown) => ({ available: false, reason: String(err) }));
      if (!availability.available) {
        log.warn(
          `The OS keychain is not available (${availability.reason ?? 'unknown reason'}). Servers that need no secret run; ` +
            'secrets cannot be stored until a keychain (Secret Service) is running.',
        );
      }
      gateway = await makeGateway();
      const demo = !loaded;
      if (demo) await announceDemo(configPath, platform, log);
      else if (Object.keys(serversOf(loaded)).length === 0) {
        log.info(
          `${configPath} lists no servers yet: add them under "mcpServers" (applied without restart).`,
        );
      }
      // Upstreams start after the port is ours (so a port conflict fails fast, before any child runs).
      await applyConfig(loaded);

      watcher = watchConfig(configPath, { initial: loaded });
      watcher.on('change', (next: LoadedConfig | undefined) => {
        log.info(
          next
            ? `Config reloaded from ${configPath}.`
            : `Config ${configPath} was removed: running the demo server.`,
        );
        systemEvent('config/reloaded', configPath, 'ok');
        applyConfig(next).catch((err: unknown) =>
          log.warn(`Config reload failed: ${(err as Error).message}`),
        );
        for (const l of changeListeners) l();
      });
      watcher.on('error', (err: ConfigError) => {
        log.warn(`Config not applied (the previous one stays in force):\n${err.message}`);
        systemEvent('config/invalid', err.message);
      });

      const endpoint = `http://127.0.0.1:${port}/mcp`;
      log.info(`MCP endpoint: ${endpoint}`);
      if (auth) log.info(`Public listener: http://127.0.0.1:${publicPort}`);
      if (auth && publicUrlOption) log.info(`Connector URL: ${joinUrl(publicUrlOption, mcpPath())}`);

      let dashboardUrl: string | undefined;
      if (options.dashboard) {
        const token = generateControlToken();
        dashboard = createControlHttpListener({
          service: control,
          token,
          staticDir: rendererDir(),
          log: (m) => log.warn(m),
        });
        ({ dashboardUrl } = await dashboard.listen(0));
        await writeControlConnection(dataDir, { port: dashboard.port()!, token, pid: process.pid });
        log.info(`Dashboard: ${dashboardUrl}`);
      }

      if (options.tunnel === undefined && quickBesidePublicUrl) {
        log.info(
          `No quick tunnel: clients reach the gateway at ${publicUrlOption} (--public-url or gateway.publicUrl).`,
        );
      }
      if (autoTunnel && !localOnly) {
        // Not awaited: the URL is printed when cloudflared is ready (onTunnelUrl), serving goes on meanwhile.
        // A tunnel that failed was already reported by onTunnelState; other errors are said here.
        ports.tunnel.start().catch((err: unknown) => {
          if (tunnel.manager?.state().phase !== 'failed') log.warn(`Tunnel: ${(err as Error).message}`);
        });
      }
      return {
        port,
        endpoint,
        demo,
        ...(auth ? { publicPort } : {}),
        ...(dashboardUrl ? { dashboardUrl } : {}),
      };
    },

    stop() {
      stopping ??= (async () => {
        const deadline = Date.now() + STOP_BUDGET_MS;
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
            log.warn(`Shutdown: ${(err as Error).message}`);
          } finally {
            clearTimeout(timer);
          }
        };
        watcher?.close();
        await step('closing the gateway', async () => {
          const g = gateway;
          gateway = undefined;
          await g?.close();
        });
        await step('closing the dashboard', () => dashboard?.close());
        // Nothing new reaches the upstreams once the gateway is closed, so cloudflared and the upstream
        // processes stop side by side: one slow to exit must not eat the other's time budget.
        await Promise.all([
          step('stopping the tunnel', async () => {
            await tunnel.manager?.stop();
            await tunnel.manager?.close();
          }),
          step('stopping the upstream servers', () => upstreams.close()),
        ]);
        await step('closing the control service', () => control.close());
        await step('closing the auth service', () => auth?.close());
        await step('writing the activity log', () => activity.close());
        editor.close();
        if (options.dashboard)
          await step('removing the control file', () => removeControlConnection(dataDir));
        if ('close' in secrets && typeof secrets.close === 'function') (secrets as { close(): void }).close();
      })();
      return stopping;
    },
  };
}

async function announceDemo(configPath: string, platform: PlatformEnv, log: BootstrapLog): Promise<void> {
  log.info(
    `No config found at ${configPath}: serving the built-in demo server (tools demo__echo, demo__current_time, demo__show_clock).`,
  );
  log.info(
    `To add your own MCP servers, create that file with {"mcpServers": {...}} (Claude Desktop's format); it is applied without restart.`,
  );
  const claude = await findClaudeDesktopConfig(platform);
  if (!claude) return;
  const count = await readClaudeServers(claude).then(
    (s) => Object.keys(s).length,
    () => 0,
  );
  log.info(
    `Found a Claude Desktop config at ${claude}${count ? ` with ${count} server${count > 1 ? 's' : ''}` : ''}: run "${platform.env.TUNNELGATE_CLI ?? 'tunnelgate'} config import-claude" to import it (or use the dashboard's Servers page).`,
  );
}
