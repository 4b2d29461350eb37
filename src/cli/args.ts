/**
 * A small, strict command-line parser: `--name value`, `--name=value`, boolean `--flag`,
 * and positional arguments where a command takes them. Unknown options, stray words and an
 * option given twice are errors (a typo should not silently run with defaults, nor the last
 * of two values win); `--help` anywhere an option may stand asks for the command's usage.
 */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Options that take a value. */
  readonly values: readonly string[];
  /** Options that are switches. */
  readonly flags: readonly string[];
  /** What the command's positional arguments are (`train`'s text files); absent: it takes none. */
  readonly positional?: string;
}

/** `--help` or `-h` where an option may stand: the caller prints the command's usage. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

export interface ParsedArgs {
  readonly positional: string[];
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: OptionSpec): ParsedArgs {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      const words = argv.slice(i + 1);
      if (words.length > 0 && spec.positional === undefined)
        throw new UsageError(`unexpected argument ${JSON.stringify(words[0])}: this command takes only options`);
      positional.push(...words);
      break;
    }
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    const known = (): string => [...spec.values, ...spec.flags].map((n) => `--${n}`).join(', ') || 'no options';
    if (!arg.startsWith('--') || arg === '-') {
      if (/^-[^-\d]/.test(arg)) throw new UsageError(`unknown option ${JSON.stringify(arg)}: options start with -- (this command takes ${known()})`);
      if (spec.positional === undefined)
        throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: this command takes only options (a text with spaces goes in quotes: --text "a b")`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (spec.flags.includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} is a switch and takes no value`);
      flags.add(name);
    } else if (spec.values.includes(name)) {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      const earlier = values.get(name);
      if (earlier !== undefined) throw new UsageError(`--${name} is given twice (${JSON.stringify(earlier)}, then ${JSON.stringify(value)}); give it once`);
      values.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name} (this command takes ${known()})`);
    }
  }
  return { positional, values, flags };
}

export function intOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = args.values.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function numberOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = args.values.get(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function requiredValue(args: ParsedArgs, name: string): string {
  const v = args.values.get(name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}
