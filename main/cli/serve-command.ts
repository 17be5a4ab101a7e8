import { createTunnelgate, type Tunnelgate } from '../bootstrap.js';
import { ConfigError } from '../config/config-error.js';
import { resolveConfigPath, currentPlatform } from '../config/paths.js';
import { DEFAULT_PUBLIC_PORT } from '../config/ports.js';
import { ensureDashboardBuilt, packageRoot } from './dashboard-build.js';
import { choiceOption, intOption, parseArgs, stringOption, UsageError } from './args.js';
import { line, type CliIo } from './io.js';
import { USAGE } from './usage.js';

/** SIGINT/SIGTERM must end the process within 5 s (issue 2); stop() is bounded below that. */
const HARD_EXIT_MS = 4900;

function checkPublicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--public-url must be a URL such as https://mcp.example.com (got '${value}')`);
  }
  const loopback =
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
  if (url.protocol !== 'https:' && !loopback) {
    throw new UsageError(
      `--public-url must be https (or http on 127.0.0.1 for local clients) (got '${value}')`,
    );
  }
  return url.origin;
}

export interface ServeHooks {
  /** The gateway has started: listening, its upstreams ready or failed (cli.ts: the idle trim's cue). */
  onStarted?: () => void;
}

/**
 * Under `npm run serve` the gateway is npm's grandchild (npm, then `sh -c`, then node). A SIGTERM to
 * npm (`kill <pid>`, a service manager) ends npm and the shell, and Debian's sh does not pass it on:
 * the gateway went on serving with no parent (newcomer check). Run from an npm script, it stops when
 * its parent is gone. Not otherwise: `nohup tunnelgate serve &` must outlive its terminal.
 */
function stopWithParent(stop: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}

/** How often a gateway started by npm looks for its parent. */
const PARENT_CHECK_MS = 500;

/**
 * `tunnelgate serve`: runs until SIGINT/SIGTERM, then stops every upstream process and exits 0.
 * Resolves with the exit code (on a start failure) or never (the signal handler exits).
 */
export async function runServe(argv: readonly string[], io: CliIo, hooks: ServeHooks = {}): Promise<number> {
  const args = parseArgs(argv, {
    flags: {
      config: 'string',
      port: 'string',
      'public-port': 'string',
      'no-tunnel': 'boolean',
      auth: 'string',
      'public-url': 'string',
    },
    positionals: { min: 0, max: 0 },
  });
  if (args.help) {
    line(io.stdout, USAGE.serve);
    return 0;
  }
  const port = intOption('port', args.flags.port, 0, 65535);
  const publicPort = intOption('public-port', args.flags['public-port'], 0, 65535);
  const auth = choiceOption('auth', args.flags.auth, ['none', 'oauth'] as const);
  const publicUrl = checkPublicUrl(stringOption(args.flags['public-url']));
  const configPath = stringOption(args.flags.config);
  const platform = { ...currentPlatform(), env: io.env };

  let tg: Tunnelgate | undefined;
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    line(io.stderr, `${signal}: stopping Tunnelgate...`);
    const hard = setTimeout(() => {
      line(io.stderr, 'Tunnelgate did not stop in time; exiting anyway.');
      process.exit(0);
    }, HARD_EXIT_MS);
    hard.unref();
    // The last line says the stop is over (and whether it was clean), so a terminal or a service log
    // does not end on "stopping...".
    void (tg?.stop() ?? Promise.resolve(true))
      .then((clean) =>
        line(
          io.stderr,
          clean
            ? 'Tunnelgate stopped.'
            : 'Tunnelgate stopped, but not cleanly (see the Shutdown lines above).',
        ),
      )
      .finally(() => process.exit(0));
  };
  // Installed before anything starts, so a signal during start-up still stops the children.
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  if (io.env.npm_lifecycle_event !== undefined) stopWithParent(() => shutdown('npm run exited'));

  if (io.env.TUNNELGATE_DASHBOARD_BUILD !== '0') {
    try {
      await ensureDashboardBuilt(packageRoot(), (l) => line(io.stdout, l));
    } catch (err) {
      // The gateway is still useful without its dashboard; the dashboard page says it is not built.
      line(io.stderr, `Warning: ${(err as Error).message}`);
    }
  }
  try {
    tg = await createTunnelgate({
      configPath,
      port,
      publicPort,
      defaultPublicPort: DEFAULT_PUBLIC_PORT,
      auth,
      publicUrl,
      tunnel: args.flags['no-tunnel'] ? false : undefined,
      dashboard: true,
      platform,
      log: { info: (l) => line(io.stdout, l), warn: (l) => line(io.stderr, l) },
    });
    if (stopping) {
      await tg.stop();
      return 0;
    }
    await tg.start();
    hooks.onStarted?.();
  } catch (err) {
    await tg?.stop().catch(() => undefined);
    if (err instanceof ConfigError) {
      const { path } = resolveConfigPath(configPath, platform);
      line(io.stderr, `Cannot start: the config file ${path} has errors:`);
      for (const l of err.message.split('\n')) line(io.stderr, `  ${l}`);
      line(io.stderr, 'Fix the file and run again ("tunnelgate config validate" checks it).');
      return 1;
    }
    line(io.stderr, `Cannot start: ${(err as Error).message}`);
    return 1;
  }
  // Keep running: the signal handlers end the process.
  return new Promise<number>(() => undefined);
}
