/**
 * Wires Tunnelgate's services together; shared by the CLI (`tunnelgate serve`) and the Electron app.
 * Order at start: config -> secrets -> activity -> upstreams -> auth -> gateway (listen) -> config
 * watcher -> tunnel -> control service (+ headless dashboard). Stop runs the reverse, bounded in time.
 */
import { join } from 'node:path';
import { createActivityLog } from './activity/index.js';
import { createSystemBrowserOpener, createUpstreamAuthFactory } from './auth/upstream/index.js';
import {
  DEFAULT_PORT,
  createConfigEditor,
  currentPlatform,
  dataDir as defaultDataDir,
  loadConfig,
  resolveConfigPath,
} from './config/index.js';
import { configSchema } from './config/schema.js';
import { createControlService } from './control/control-service.js';
import { createControlHttpListener, type ControlHttpListener } from './control/http-listener.js';
import { removeControlConnection, writeControlConnection } from './control/connection-file.js';
import { tunnelTokenSecretName } from './control/settings.js';
import { joinUrl } from './control/status-view.js';
import { generateControlToken } from './control/http-guard.js';
import { DEMO_SERVER_NAME, demoBuiltin } from './gateway/demo/demo-builtin.js';
import { createUpstreamManager, type ResolveResult } from './gateway/upstream/index.js';
import { createKeychainSecretStore } from './secrets/keychain-secret-store.js';
import { resolveSecretRefs } from './secrets/secret-refs.js';
import { buildPorts, rendererDir, trustsCloudflareHeader, type TunnelHolder } from './bootstrap-ports.js';
import { createMcpPathProbe } from './bootstrap-reachability.js';
import { createLocalTokenSource } from './bootstrap-local-token.js';
import type { TunnelManagerDeps } from './tunnel/index.js';
import { createDoctorPort } from './bootstrap-doctor.js';
import { createConnectorsPort } from './bootstrap-connectors.js';
import { createToolSnapshotStore } from './auth/tool-snapshots.js';
import { systemClock } from './common/clock.js';
import { createGatewayHolder } from './bootstrap-gateway.js';
import { createConfigRuntime } from './bootstrap-config.js';
import { createTunnelReport } from './bootstrap-tunnel-report.js';
import { shutdownInOrder } from './bootstrap-shutdown.js';
import type { BootstrapLog, SystemEvent, Tunnelgate, TunnelgateOptions } from './bootstrap-types.js';

export type { Tunnelgate, TunnelgateOptions } from './bootstrap-types.js';

/** Creates the services (nothing runs until start()). Throws ConfigError for an invalid config. */
export async function createTunnelgate(options: TunnelgateOptions = {}): Promise<Tunnelgate> {
  const platform = options.platform ?? currentPlatform();
  const log: BootstrapLog = options.log ?? { info: (l) => console.log(l), warn: (l) => console.error(l) };
  const { path: configPath } = resolveConfigPath(options.configPath, platform);
  const dataDir = options.dataDir ?? defaultDataDir(platform);

  const loadedAtStart = await loadConfig(configPath);
  const initial = loadedAtStart?.config ?? configSchema.parse({});

  const secrets = options.secretStore ?? createKeychainSecretStore();
  const activity = createActivityLog({
    dir: join(dataDir, 'activity'),
    ringSize: initial.activity?.ringSize,
    maxMemoryBytes: initial.activity?.maxMemoryBytes,
    maxTotalBytes: initial.activity?.maxTotalBytes,
    maxFileBytes: initial.activity?.maxFileBytes,
    retentionDays: initial.activity?.retentionDays,
    onError: (err) => log.warn(`Activity log: ${err.message}`),
  });
  const systemEvent: SystemEvent = (method, message, outcome = 'error') =>
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
      if (!r.missingSecrets) return { config: r.config };
      // With no keychain, "run `tunnelgate secrets set`" would only be refused: say why instead.
      const store = await secrets.availability();
      return {
        missingSecrets: r.missingSecrets,
        ...(store.available ? {} : { keychainOff: store.reason ?? '' }),
      };
    },
    builtins: { [DEMO_SERVER_NAME]: demoBuiltin },
    // Keychain values wherever they appear in a server's stderr or log messages (args, URLs, "Bearer ...").
    maskSecrets: (text) => activity.redactText(text),
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
  const chosenPublicPort = options.publicPort ?? initial.gateway?.publicPort;
  // A loopback public URL names the public listener itself; a proxy's URL gets the stable default.
  const publicUrlPort = loopbackPort(publicUrlOption);
  /** A proxy forwards to a port the user did not choose: they must be told which (and which not). */
  const proxyNotice = !!publicUrlOption && chosenPublicPort === undefined && publicUrlPort === undefined;

  const tunnel: TunnelHolder = { manager: undefined, localOnly };
  const publicOrigin = (): string | null => {
    if (publicUrlOption) return publicUrlOption;
    const s = tunnel.manager?.state();
    return s?.phase === 'ready' && s.url ? s.url : null;
  };
  // The OAuth server (some 40 modules) is loaded only where something is public: a gateway for this
  // computer alone never needs it (issue 16, idle memory).
  const auth = localOnly
    ? undefined
    : await import('./auth/auth-service.js').then(({ createAuthService }) =>
        createAuthService({ mode: authMode, publicOrigin, secrets, dataDir, ...options.authDeps }),
      );
  for (const w of auth?.warnings ?? []) log.warn(w);
  // Tunnelgate revoking a grant by itself is news for the owner: serve's output and the activity log.
  auth?.on('grant-revoked', (r) => {
    const line = `Tunnelgate revoked the access of ${r.clientName} (${r.clientId}): ${r.message}`;
    log.warn(line);
    systemEvent('auth/grant-revoked', line);
  });
  /** The MCP path clients use (with `--auth none` in public: the secret segment). */
  const mcpPath = (): string => auth?.mcpPaths()[0] ?? '/mcp';
  // The tool list each grant last fetched, beside the grants (tool-list drift, issue 13).
  const snapshots =
    auth?.mode === 'oauth'
      ? await createToolSnapshotStore({
          dataDir,
          clock: options.authDeps?.clock ?? systemClock,
          warn: (m) => log.warn(m),
        })
      : undefined;
  const connectors = createConnectorsPort({
    auth,
    snapshots,
    gateway: () => gateway.current(),
    publicOrigin,
    upstreamStates: () => upstreams.states(),
  });

  const editor = createConfigEditor({ path: configPath, platform });
  let dashboard: ControlHttpListener | undefined;
  const config = createConfigRuntime({
    configPath,
    platform,
    initial: loadedAtStart,
    activity,
    upstreams,
    gateway: () => gateway.current(),
    log,
    systemEvent,
  });
  const currentConfig = config.current;

  const gateway = createGatewayHolder({
    upstreams,
    auth,
    authMode,
    activity,
    localToken: createLocalTokenSource({ secrets, config: currentConfig, warn: (m) => log.warn(m) }),
    currentConfig,
    servers: config.servers,
    localOnly,
    publicOrigin,
    trustCloudflare: () => trustsCloudflareHeader(publicUrlOption !== undefined, tunnel.manager?.state()),
    port: options.port ?? initial.gateway?.port ?? DEFAULT_PORT,
    publicPort:
      chosenPublicPort ?? publicUrlPort ?? (publicUrlOption ? options.defaultPublicPort : undefined) ?? 0,
    onToolsList: (principal, tools) => connectors.onToolsList(principal, tools),
  });

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

  // Headless, nobody watches the window: tunnel news goes to the log and the activity.
  const tunnelReport = createTunnelReport({
    log,
    systemEvent,
    gateway: gateway.current,
    auth,
    publicUrlOption,
    localOnly,
    mcpPath,
  });
  const ports = buildPorts({
    editor,
    currentConfig,
    onConfigChange: config.onChange,
    upstreams,
    gateway,
    auth,
    secrets,
    tunnel,
    makeTunnel: (mode) => ({
      mode,
      // The tunnel forwards to the public listener only, never to the local MCP endpoint.
      localPort: gateway.wantedPublicPort(),
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
    makeOpenAiTunnel: async () =>
      (await import('./bootstrap-openai-tunnel.js')).openAiTunnelDeps({
        config: currentConfig(),
        secrets,
        gateway: gateway.current,
        ...(options.tunnelDeps?.fetch ? { fetch: options.tunnelDeps.fetch } : {}),
        ...(options.tunnelDeps?.env ? { env: options.tunnelDeps.env } : {}),
      }),
    onTunnelUrl: tunnelReport.onTunnelUrl,
    onTunnelState: tunnelReport.onTunnelState,
    activity,
    log: (m) => log.warn(m),
  });
  const doctor = createDoctorPort({
    authMode,
    auth,
    publicOrigin,
    mcpPath,
    localOnly,
    clients: connectors,
    tunnelState: () => ports.tunnel.state(),
    network: {
      ...(options.tunnelDeps?.fetch ? { fetch: options.tunnelDeps.fetch } : {}),
      ...options.doctorNetwork,
    },
  });
  const control = createControlService({
    ...ports,
    doctor,
    connectors,
    ...(options.controlPlatform ? { platform: options.controlPlatform } : {}),
  });

  let started = false;
  let stopping: Promise<boolean> | undefined;

  return {
    services: {
      configPath,
      config: currentConfig,
      editor,
      secrets,
      activity,
      upstreams,
      gateway: gateway.current,
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
      await gateway.open();
      // Upstreams start after the port is ours (so a port conflict fails fast, before any child runs).
      const { demo } = await config.start();

      const port = gateway.localPort();
      const publicPort = gateway.wantedPublicPort();
      const endpoint = `http://127.0.0.1:${port}/mcp`;
      log.info(`MCP endpoint: ${endpoint}`);
      if (auth) log.info(`Public listener: http://127.0.0.1:${publicPort}`);
      if (auth && publicUrlOption) log.info(`Connector URL: ${joinUrl(publicUrlOption, mcpPath())}`);
      // Since the listener split (issue 10) the MCP endpoint is for this computer only: a proxy pointed
      // at it (the old single port) would reach tools without OAuth. It refuses proxied requests, but
      // the user must hear where to point the proxy before they find out that way.
      if (auth && proxyNotice)
        log.warn(
          `Point your reverse proxy for ${publicUrlOption} at the public listener http://127.0.0.1:${publicPort} ` +
            `(chosen because --public-port was not given; fix it with --public-port N or gateway.publicPort). ` +
            `Never at the MCP endpoint ${endpoint}: that one serves this computer's programs without OAuth.`,
        );

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
      stopping ??= shutdownInOrder({
        closeWatcher: config.closeWatcher,
        gateway,
        dashboard,
        tunnel,
        upstreams,
        control,
        auth,
        snapshots,
        activity,
        editor,
        ...(options.dashboard ? { removeControlFile: () => removeControlConnection(dataDir) } : {}),
        secrets,
        warn: (l) => log.warn(l),
      });
      return stopping;
    },
  };
}

/** The port of an http loopback public URL (`--public-url http://127.0.0.1:Q`), else undefined. */
function loopbackPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  return u.protocol === 'http:' && loopback && u.port !== '' ? Number(u.port) : undefined;
}
