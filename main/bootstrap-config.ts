/**
 * The config at run time: the one in force (or the demo when there is no file), applied to the
 * activity log, the gateway and the upstreams at start and again at each change on disk, with an
 * invalid edit reported and the previous config kept.
 */
import {
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_TOTAL_BYTES,
  DEFAULT_RETENTION_DAYS,
  type ActivityLog,
} from './activity/index.js';
import {
  findClaudeDesktopConfig,
  readClaudeServers,
  watchConfig,
  type ConfigError,
  type ConfigWatcher,
  type LoadedConfig,
  type PlatformEnv,
  type ServerConfig,
  type TunnelgateConfig,
} from './config/index.js';
import { configSchema } from './config/schema.js';
import { DEMO_SERVER_NAME } from './gateway/demo/demo-builtin.js';
import type { Gateway } from './gateway/gateway.js';
import type { UpstreamManager } from './gateway/upstream/index.js';
import type { BootstrapLog, SystemEvent } from './bootstrap-types.js';

export interface ConfigRuntimeDeps {
  configPath: string;
  platform: PlatformEnv;
  /** What loadConfig found at creation (undefined: no file, the demo runs). */
  initial: LoadedConfig | undefined;
  activity: ActivityLog;
  upstreams: UpstreamManager;
  gateway(): Gateway | undefined;
  log: BootstrapLog;
  systemEvent: SystemEvent;
}

export function createConfigRuntime(d: ConfigRuntimeDeps) {
  let loaded = d.initial;
  let watcher: ConfigWatcher | undefined;
  const listeners = new Set<() => void>();
  const emptyConfig = configSchema.parse({});
  const serversOf = (c: LoadedConfig | undefined): Record<string, ServerConfig> => c?.config.mcpServers ?? {};

  const apply = async (next: LoadedConfig | undefined): Promise<void> => {
    loaded = next;
    // Log retention and file size follow the settings; the ring size applies at the next start.
    d.activity.configure({
      maxFileBytes: next?.config.activity?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      retentionDays: next?.config.activity?.retentionDays ?? DEFAULT_RETENTION_DAYS,
      maxTotalBytes: next?.config.activity?.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    });
    const servers = serversOf(next);
    d.gateway()?.setServers(servers);
    await d.upstreams.apply(servers, { builtins: next ? [] : [DEMO_SERVER_NAME] });
  };

  return {
    /** The config in force; the schema's defaults when there is no file. */
    current: (): TunnelgateConfig => loaded?.config ?? emptyConfig,
    servers: (): Record<string, ServerConfig> => serversOf(loaded),
    /** Called after each change on disk was taken in (the control service refreshes its views). */
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /**
     * Says what runs (the demo, or an empty list), starts the upstreams and watches the file.
     * Returns whether the demo runs.
     */
    async start(): Promise<{ demo: boolean }> {
      const demo = !loaded;
      if (demo) await announceDemo(d.configPath, d.platform, d.log);
      else if (Object.keys(serversOf(loaded)).length === 0) {
        d.log.info(
          `${d.configPath} lists no servers yet: add them under "mcpServers" (applied without restart).`,
        );
      }
      await apply(loaded);

      watcher = watchConfig(d.configPath, { initial: loaded });
      watcher.on('change', (next: LoadedConfig | undefined) => {
        d.log.info(
          next
            ? `Config reloaded from ${d.configPath}.`
            : `Config ${d.configPath} was removed: running the demo server.`,
        );
        d.systemEvent('config/reloaded', d.configPath, 'ok');
        apply(next).catch((err: unknown) => d.log.warn(`Config reload failed: ${(err as Error).message}`));
        for (const l of listeners) l();
      });
      watcher.on('error', (err: ConfigError) => {
        d.log.warn(`Config not applied (the previous one stays in force):\n${err.message}`);
        d.systemEvent('config/invalid', err.message);
      });
      return { demo };
    },
    closeWatcher(): void {
      watcher?.close();
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
