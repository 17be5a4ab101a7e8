/**
 * Adapters from the real services to the control service's narrow ports (main/control/ports.ts).
 * Kept apart from bootstrap.ts so the wiring order there stays readable.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActivityLog } from './activity/index.js';
import type { AuthService } from './auth/auth-service.js';
import type { ConfigEditor, TunnelgateConfig } from './config/index.js';
import type { ControlDeps, ControlTunnelPort } from './control/ports.js';
import type { Gateway } from './gateway/gateway.js';
import type { UpstreamManager } from './gateway/upstream/index.js';
import type { SecretStore } from './secrets/secret-store.js';
import type { CloudflaredTunnelManager, TunnelManagerDeps } from './tunnel/index.js';
import type { TunnelState } from './tunnel/tunnel-state.js';
import type { OpenAiTunnelDeps, OpenAiTunnelProvider } from './tunnel/openai-tunnel-provider.js';

/** Either tunnel provider: cloudflared (a public URL) or OpenAI's Secure MCP Tunnel (long-poll). */
export type AnyTunnel = CloudflaredTunnelManager | OpenAiTunnelProvider;

/** The tunnel manager, created on first start (the app never starts a tunnel by itself). */
/**
 * Whether the public listener may take Cf-Connecting-Ip as the caller's address. Cloudflare's edge
 * overwrites it, so behind cloudflared it is the truth. With --public-url the user's own proxy forwards
 * here too, and there a client writes the header itself: it counts only while a Cloudflare tunnel is
 * actually up (a tunnel that failed to start, was stopped, or is OpenAI's forwards nothing).
 */
export function trustsCloudflareHeader(publicUrlGiven: boolean, tunnel: TunnelState | undefined): boolean {
  if (!publicUrlGiven) return true;
  return tunnel !== undefined && tunnel.mode !== 'openai' && tunnel.phase === 'ready';
}

export interface TunnelHolder {
  manager: AnyTunnel | undefined;
  /** `--auth none` on loopback only: going public is refused (nothing would guard /mcp). */
  localOnly: boolean;
}

export interface GatewayControl {
  current(): Gateway | undefined;
  port(): number | null;
  /** The public listener's port (null when nothing is public). */
  publicPort(): number | null;
  error(): string | undefined;
  authMode: 'oauth' | 'none';
  /** `--public-url` (or `gateway.publicUrl`), else the ready tunnel's origin; null when not public. */
  publicOrigin(): string | null;
  auth: AuthService | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  onChange(listener: () => void): () => void;
}

export interface PortsInputs {
  editor: ConfigEditor;
  currentConfig(): TunnelgateConfig;
  onConfigChange(listener: () => void): () => void;
  upstreams: UpstreamManager;
  gateway: GatewayControl;
  auth: AuthService | undefined;
  secrets: SecretStore;
  tunnel: TunnelHolder;
  makeTunnel(mode: 'quick' | 'named'): TunnelManagerDeps;
  /** tunnel.mode "openai": the provider's dependencies (bootstrap-openai-tunnel.ts). */
  makeOpenAiTunnel(): Promise<OpenAiTunnelDeps>;
  tunnelMode(): 'quick' | 'named' | 'openai';
  /** The tunnel's public origin became known or changed (null: gone). */
  onTunnelUrl(url: string | null): void;
  /** Every tunnel state, with the one before it (for telling the user about failures). */
  onTunnelState?(state: TunnelState, previous: TunnelState | undefined): void;
  activity: ActivityLog;
  log(message: string): void;
}

/**
 * The built renderer for the headless dashboard: dist/renderer from either main/ (tsx) or dist/main/.
 * Never renderer/ itself: its index.html loads TypeScript sources a browser cannot run (a blank page);
 * when nothing is built the listener answers with a page that says so.
 */
export function rendererDir(): string {
  const file = fileURLToPath(import.meta.url);
  // Compiled, this file is <out>/main/bootstrap-ports.js beside <out>/renderer; as source, main/*.ts.
  return file.endsWith('.js')
    ? resolve(dirname(file), '..', 'renderer')
    : resolve(dirname(file), '..', 'dist', 'renderer');
}

/**
 * Said where going public is refused. The user may have typed only --no-tunnel (auth then defaults
 * to none), so the sentence names what they did and what to run, not a flag they never typed.
 */
const LOCAL_ONLY =
  'This gateway serves this computer only: it was started without a tunnel (--no-tunnel, or tunnel.mode "off") ' +
  'and so without client authentication, and going public now would leave /mcp unguarded. To go public, restart ' +
  '"tunnelgate serve" without --no-tunnel: OAuth is then on, and you approve each client.';

const STOPPED: TunnelState = { mode: 'off', phase: 'stopped', url: null, reachable: 'unknown' };

function tunnelPort(i: PortsInputs): ControlTunnelPort {
  const stateListeners = new Set<(s: TunnelState) => void>();
  const urlListeners = new Set<(c: { previous: string | null; url: string | null }) => void>();
  /** What the current manager was made with: Settings may change the mode, hostname or binary. */
  let madeWith: string | undefined;
  let pending: Promise<AnyTunnel> | undefined;
  const create = async (make: () => Promise<AnyTunnel>): Promise<AnyTunnel> => {
    const m = await make();
    let lastUrl: string | null = null;
    let previous: TunnelState | undefined;
    m.on('state', (s: TunnelState) => {
      const before = previous;
      previous = s;
      i.onTunnelState?.(s, before);
      const url = s.phase === 'ready' ? s.url : null;
      if (url !== lastUrl && (url !== null || s.phase === 'stopped' || s.phase === 'failed')) {
        lastUrl = url;
        i.onTunnelUrl(url);
      }
      for (const l of stateListeners) l(s);
    });
    m.on('url-changed', (c: { previous: string; url: string }) => {
      for (const l of urlListeners) l(c);
    });
    return m;
  };
  /**
   * The manager for the current settings. A stopped or failed one made with other settings (quick
   * became named in Settings, a new hostname or cloudflared path) is replaced; a running one is kept
   * until the user stops it, so nothing drops the public URL behind their back.
   */
  const ensure = async (): Promise<AnyTunnel> => {
    const mode = i.tunnelMode();
    // OpenAI's tunnel is guarded by the owner's workspace, not by our auth: allowed on loopback too.
    if (i.tunnel.localOnly && mode !== 'openai') throw new Error(LOCAL_ONLY);
    while (pending) await pending.catch(() => undefined);
    let key: string;
    // The tunnel providers (some 25 modules) are loaded when a tunnel is first wanted (issue 16, idle
    // memory): a gateway without one, or before the user goes public in the app, never needs them.
    let make: () => Promise<AnyTunnel>;
    if (mode === 'openai') {
      const t = i.currentConfig().tunnel;
      key = JSON.stringify(['openai', t?.tunnelId ?? null, t?.readOnly ?? false, t?.apiKeySecret ?? null]);
      make = async () => {
        const { createOpenAiTunnelProvider } = await import('./tunnel/openai-tunnel-provider.js');
        return createOpenAiTunnelProvider(await i.makeOpenAiTunnel());
      };
    } else {
      const deps = i.makeTunnel(mode);
      key = JSON.stringify([deps.mode, deps.localPort, deps.cloudflaredPath ?? null, deps.hostname ?? null]);
      make = async () => (await import('./tunnel/index.js')).createTunnelManager(deps);
    }
    const current = i.tunnel.manager;
    if (current && (key === madeWith || !['stopped', 'failed'].includes(current.state().phase)))
      return current;
    pending = (async () => {
      if (current) {
        await current.stop();
        await current.close();
      }
      const m = await create(make);
      i.tunnel.manager = m;
      madeWith = key;
      return m;
    })();
    try {
      return await pending;
    } finally {
      pending = undefined;
    }
  };
  /**
   * The provider's state; while none runs for the configured kind (e.g. before the first start, or
   * Settings switched to OpenAI's tunnel), a stopped state of that kind, so the window shows its page.
   */
  const current = (): TunnelState => {
    const s = i.tunnel.manager?.state();
    const openai = i.tunnelMode() === 'openai';
    if (s && (s.phase !== 'stopped' || (s.mode === 'openai') === openai)) return s;
    const id = i.currentConfig().tunnel?.tunnelId;
    return openai ? { ...STOPPED, mode: 'openai', ...(id ? { tunnelId: id } : {}) } : STOPPED;
  };
  return {
    state: current,
    cannotStart: () => (i.tunnel.localOnly && i.tunnelMode() !== 'openai' ? LOCAL_ONLY : undefined),
    start: async () => {
      await (await ensure()).start();
      const s = i.tunnel.manager?.state();
      if (s?.phase === 'failed') throw new Error(s.error ?? 'The tunnel failed to start.');
    },
    stop: async () => {
      await i.tunnel.manager?.stop();
    },
    downloadBinary: async () => {
      const m = await ensure();
      if (!('downloadBinary' in m))
        throw new Error("OpenAI's tunnel needs no cloudflared: nothing to download in tunnel.mode 'openai'.");
      await m.downloadBinary();
    },
    onState: (l) => {
      stateListeners.add(l);
      return () => stateListeners.delete(l);
    },
    onUrlChanged: (l) => {
      urlListeners.add(l);
      return () => urlListeners.delete(l);
    },
  };
}

/** Builds the control service's dependencies from the running services. */
export function buildPorts(i: PortsInputs): ControlDeps & { tunnel: ControlTunnelPort } {
  const { upstreams, auth, gateway } = i;
  const upstreamEvents = ['state', 'list-changed', 'added', 'removed'] as const;
  return {
    config: {
      read: i.currentConfig,
      write: async (next) => {
        await i.editor.replace(next as Record<string, unknown>);
      },
      importClaude: (path) => i.editor.importClaude(path),
      onChange: i.onConfigChange,
    },
    upstreams: {
      states: () => upstreams.states(),
      tools: (name) => upstreams.get(name)?.tools() ?? [],
      prompts: (name) => upstreams.get(name)?.prompts() ?? [],
      resources: (name) => upstreams.get(name)?.resources() ?? [],
      resourceTemplates: (name) => upstreams.get(name)?.resourceTemplates() ?? [],
      logs: (name) => upstreams.logs.view(name),
      onLog: (l) => upstreams.logs.subscribe(l),
      restart: (name) => upstreams.restart(name),
      signIn: (name) => upstreams.signIn(name),
      onChange: (l) => {
        for (const e of upstreamEvents) upstreams.on(e, l);
        return () => {
          for (const e of upstreamEvents) upstreams.off(e, l);
        };
      },
    },
    gateway: {
      running: () => gateway.current() !== undefined,
      port: gateway.port,
      publicPort: gateway.publicPort,
      mcpPath: () => auth?.mcpPaths()[0] ?? '/mcp',
      authMode: () => gateway.authMode,
      // The connector URL follows `--public-url` too, which the config file does not hold.
      publicOrigin: gateway.publicOrigin,
      error: gateway.error,
      start: gateway.start,
      stop: gateway.stop,
      // The router's merged view decides shortened and collided names.
      exposedToolName: (server, tool) => gateway.current()?.router.exposedToolName(server, tool),
      exposedTools: () => gateway.current()?.router.toolList() ?? [],
      onChange: gateway.onChange,
    },
    auth: {
      listPending: () => auth?.listPending() ?? [],
      listGrants: () => auth?.listGrants() ?? [],
      approve: async (id, scopes) => {
        if (!auth)
          throw new Error('No approvals here: this gateway runs with --auth none on 127.0.0.1 only.');
        await auth.approve(id, scopes);
      },
      deny: async (id) => {
        if (!auth)
          throw new Error('No approvals here: this gateway runs with --auth none on 127.0.0.1 only.');
        await auth.deny(id);
      },
      revokeGrant: async (id) => {
        if (!auth) throw new Error('No grants here: this gateway runs with --auth none on 127.0.0.1 only.');
        await auth.revokeGrant(id);
      },
      // Auth remembers the origin across restarts: a new quick-tunnel URL after a restart shows too.
      lastUrlChange: () => auth?.lastUrlChange(),
      recentRevocations: () => auth?.recentRevocations() ?? [],
      onChange: (l) => {
        if (!auth) return () => undefined;
        const offs = [
          auth.on('pending', l),
          auth.on('grants', l),
          auth.on('url-changed', l),
          auth.on('grant-revoked', l),
        ];
        return () => offs.forEach((off) => off());
      },
    },
    secrets: {
      availability: () => i.secrets.availability(),
      list: () => i.secrets.list(),
      delete: (name) => i.secrets.delete(name),
      set: async (name, value) => {
        await i.secrets.set(name, value);
        i.activity.addSecretValues([value]);
        // Servers waiting for a secret start now rather than at the next config change.
        for (const s of upstreams.states()) {
          if (s.status === 'misconfigured') void upstreams.retry(s.name).catch(() => undefined);
        }
      },
    },
    tunnel: tunnelPort(i),
    activity: {
      recent: (q) => i.activity.recent(q),
      subscribe: (l) => i.activity.subscribe(l),
      clear: () => i.activity.clear(),
      exportJsonl: () => i.activity.exportJsonl(),
    },
    log: i.log,
  };
}
