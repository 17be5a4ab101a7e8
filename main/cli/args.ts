/** A command-line mistake: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagKind = 'boolean' | 'string';

export interface CommandSpec {
  /** Flag name (without `--`) to kind. `help` is always accepted. */
  flags: Record<string, FlagKind>;
  /** Short aliases, e.g. { f: 'follow' }. */
  aliases?: Record<string, string>;
  /** Allowed number of positional arguments. */
  positionals: { min: number; max: number; names?: string };
  /**
   * Arguments that begin with "-" but match this are positionals, not options: approval request IDs
   * are base64url, so about 1 in 64 begins with "-" (`tunnelgate approve -Xy...`).
   */
  dashPositional?: RegExp;
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/**
 * Strict parser for `--flag`, `--flag value`, `--flag=value`, `-f` and `--`. Anything unknown is a
 * UsageError naming it, so a typo never silently changes what runs.
 */
export function parseArgs(argv: readonly string[], spec: CommandSpec): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-' && !spec.dashPositional?.test(arg)) {
      const long = arg.startsWith('--');
      const eq = arg.indexOf('=');
      let name = long ? arg.slice(2, eq === -1 ? undefined : eq) : arg.slice(1);
      if (!long) name = spec.aliases?.[name] ?? `-${name}`;
      const kind = spec.flags[name];
      if (!kind) throw new UsageError(`unknown option ${long ? `--${name}` : arg}`);
      if (kind === 'boolean') {
        if (long && eq !== -1) throw new UsageError(`option --${name} takes no value`);
        flags[name] = true;
        continue;
      }
      let value: string | undefined;
      if (long && eq !== -1) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined || (value.startsWith('--') && value.length > 2))
        throw new UsageError(`option --${name} needs a value`);
      flags[name] = value;
      continue;
    }
    positionals.push(arg);
  }
  if (!help) {
    const { min, max, names } = spec.positionals;
    if (positionals.length < min) throw new UsageError(`missing argument${names ? ` ${names}` : ''}`);
    if (positionals.length > max) throw new UsageError(`unexpected argument '${positionals[max]}'`);
  }
  return { flags, positionals, help };
}

/** Parses an integer option within bounds, or throws a UsageError naming the option. */
export function intOption(
  name: string,
  value: string | boolean | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got '${String(value)}')`);
  return n;
}

/** A string option restricted to some values. */
export function choiceOption<T extends string>(
  name: string,
  value: string | boolean | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')} (got '${String(value)}')`);
  }
  return value as T;
}

/** The string value of an option (undefined when absent). */
export function stringOption(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
