#!/usr/bin/env node
/**
 * The `tunnelgate` command: serve | logs | secrets | config | approvals | approve | deny.
 * Exit codes: 0 ok, 1 the command failed, 2 a usage error (unknown command or option).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './cli/args.js';
import { packageVersion } from './common/package-version.js';
import { trimWhenIdle } from './common/idle-trim.js';
import { capYoungGeneration } from './common/young-generation.js';
import { deferOptimizingCompiler } from './common/startup-tiering.js';
import { line, type CliIo } from './cli/io.js';
import { USAGE, type CommandName } from './cli/usage.js';

// Each command's module is loaded when that command runs: `serve` pulls in the whole gateway, which
// `logs`, `secrets` or `--version` do not need (a CLI call then starts in a fraction of the time).

async function runSecrets(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
    line(io.stdout, USAGE.secrets);
    return 0;
  }
  const { openSecretsTarget } = await import('./cli/secrets-target.js');
  const { runSecretsCommand } = await import('./secrets/secrets-cli.js');
  const target = await openSecretsTarget(io.env);
  try {
    return await runSecretsCommand(argv, {
      store: target.store,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      isTTY: io.stdin.isTTY === true,
    });
  } finally {
    target.close();
  }
}

/** Runs one command line; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  let usage: CommandName = 'main';
  try {
    switch (command) {
      case undefined:
        line(io.stderr, USAGE.main);
        return 2;
      case '--help':
      case '-h':
      case 'help':
        line(io.stdout, USAGE.main);
        return 0;
      case '--version':
      case '-v':
      case 'version':
        line(io.stdout, `tunnelgate ${packageVersion()}`);
        return 0;
      case 'serve': {
        usage = 'serve';
        // A long-running gateway: before its modules load, so that loading them cannot grow it either.
        capYoungGeneration();
        // Startup's run-once code is not worth TurboFan (common/startup-tiering.ts): on once started.
        const optimize = deferOptimizingCompiler();
        // And memory goes back once it is quiet after its startup, and after a load (common/idle-trim.ts).
        let trimAfterStart!: () => void;
        trimWhenIdle({ startup: new Promise<void>((ok) => (trimAfterStart = ok)) });
        const onStarted = (): void => {
          optimize();
          trimAfterStart();
        };
        return await (await import('./cli/serve-command.js')).runServe(rest, io, { onStarted });
      }
      case 'logs':
        usage = 'logs';
        return await (await import('./cli/logs-command.js')).runLogs(rest, io);
      case 'secrets':
        usage = 'secrets';
        return await runSecrets(rest, io);
      case 'config':
        usage = 'config';
        return await (await import('./cli/config-command.js')).runConfig(rest, io);
      case 'doctor':
        usage = 'doctor';
        return await (await import('./cli/doctor-command.js')).runDoctorCommand(rest, io);
      case 'approvals':
      case 'approve':
      case 'deny':
        usage = command;
        return await (await import('./cli/approvals-command.js')).runApprovals(command, rest, io);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      line(io.stderr, `tunnelgate: ${err.message}`);
      line(io.stderr, USAGE[usage]);
      return 2;
    }
    line(io.stderr, `tunnelgate: ${(err as Error).message}`);
    return 1;
  }
}

/** Whether this module is the program being run (not imported by a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the process's own command line and exits with its code (bin/tunnelgate.mjs calls this). */
export function runCli(): void {
  const io: CliIo = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      // Exit naturally so piped output drains; force it if some handle (a keychain call, stdin) lingers.
      process.exitCode = code;
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (err: unknown) => {
      process.stderr.write(`tunnelgate: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

if (isEntryPoint()) runCli();
