import {
  createConfigEditor,
  loadConfig,
  resolveConfigPath,
  currentPlatform,
  ConfigError,
} from '../config/index.js';
import { SecretRefSyntaxError, secretRefsOf } from '../secrets/secret-refs.js';
import { parseArgs, stringOption, UsageError } from './args.js';
import { line, type CliIo } from './io.js';
import { USAGE } from './usage.js';

/** `tunnelgate config path | validate | import-claude`. */
export async function runConfig(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    line(sub ? io.stdout : io.stderr, USAGE.config);
    return sub ? 0 : 2;
  }
  const platform = { ...currentPlatform(), env: io.env };
  if (sub === 'path' || sub === 'validate') {
    const args = parseArgs(rest, { flags: { config: 'string' }, positionals: { min: 0, max: 0 } });
    if (args.help) {
      line(io.stdout, USAGE.config);
      return 0;
    }
    const { path, source } = resolveConfigPath(stringOption(args.flags.config), platform);
    if (sub === 'path') {
      line(io.stdout, path);
      if (source === 'env') line(io.stderr, '(from TUNNELGATE_CONFIG)');
      return 0;
    }
    try {
      const loaded = await loadConfig(path);
      if (!loaded) {
        line(io.stderr, `No config at ${path}: "tunnelgate serve" would start the built-in demo server.`);
        return 1;
      }
      const names = Object.keys(loaded.config.mcpServers);
      // Secret references are checked for syntax here (values stay in the keychain, unread).
      const refs = new Set<string>();
      const bad: string[] = [];
      for (const [name, server] of Object.entries(loaded.config.mcpServers)) {
        try {
          for (const ref of secretRefsOf(server, name)) refs.add(ref);
        } catch (err) {
          if (!(err instanceof SecretRefSyntaxError)) throw err;
          bad.push(err.message);
        }
      }
      if (bad.length > 0) {
        line(io.stderr, `${path} has errors:`);
        for (const b of bad) line(io.stderr, `  ${b}`);
        return 1;
      }
      line(
        io.stdout,
        `${path} is valid: ${names.length} server${names.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}.`,
      );
      if (refs.size > 0)
        line(
          io.stdout,
          `Secrets it refers to (set them with "tunnelgate secrets set NAME"): ${[...refs].join(', ')}`,
        );
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      line(io.stderr, `${path} has errors:`);
      for (const l of err.message.split('\n')) line(io.stderr, `  ${l}`);
      return 1;
    }
  }
  if (sub === 'import-claude') {
    const args = parseArgs(rest, {
      flags: { config: 'string', from: 'string' },
      positionals: { min: 0, max: 0 },
    });
    if (args.help) {
      line(io.stdout, USAGE.config);
      return 0;
    }
    const { path } = resolveConfigPath(stringOption(args.flags.config), platform);
    const editor = createConfigEditor({ path, platform });
    try {
      const result = await editor.importClaude(stringOption(args.flags.from));
      line(io.stdout, `Imported from ${result.source} into ${path}:`);
      line(io.stdout, result.added.length ? `  added: ${result.added.join(', ')}` : '  nothing added');
      for (const s of result.skipped) line(io.stdout, `  skipped ${s.name}: ${s.reason}`);
      if (result.added.length) line(io.stdout, 'A running gateway applies the change by itself.');
      return 0;
    } catch (err) {
      line(io.stderr, `Import failed: ${(err as Error).message}`);
      return 1;
    } finally {
      editor.close();
    }
  }
  throw new UsageError(`unknown config command '${sub}' (expected path, validate or import-claude)`);
}
