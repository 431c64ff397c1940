// Command-line flags: `--name value`, `--name=value` and bare `--flag` (true), named in kebab case
// for camel-case keys of the defaults; numbers like 1e6 or 1_000_000 are accepted.
import { fail } from './cli.js';

export type FlagValue = string | number | boolean;
export type FlagDefaults = Record<string, FlagValue>;

const kebab = (key: string): string => key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** The flags of `argv` over `defaults`: each flag takes the type of its default. */
export function parseFlags<T extends FlagDefaults>(defaults: T, argv: readonly string[] = process.argv.slice(2)): T {
  const out: FlagDefaults = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) fail(`unexpected argument ${a}`);
    const [name = '', given] = a.slice(2).split('=', 2);
    let value = given;
    const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(key in defaults)) fail(`unknown flag --${name}; known: ${Object.keys(defaults).map((k) => '--' + kebab(k)).join(' ')}`);
    const d = defaults[key];
    if (value === undefined) {
      if (typeof d === 'boolean') value = argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i] : 'true';
      else value = argv[++i];
    }
    if (value === undefined) fail(`--${name} needs a value`);
    if (typeof d === 'number') {
      const n = Number(String(value).replace(/_/g, ''));
      if (!Number.isFinite(n)) fail(`--${name} expects a number, got ${value}`);
      out[key] = n;
    } else if (typeof d === 'boolean') out[key] = value !== 'false' && value !== '0';
    else out[key] = String(value);
  }
  return out as T;
}

/**
 * parseFlags for a benchmark with a --quick mode: `defaults` are the full run's values, `quickDefaults`
 * the ones --quick (or --quick=true) replaces, before the flags are read (so an explicit flag still
 * wins). The flags come out as { quick, ...defaults }, in that order.
 */
export function parseQuickFlags<T extends FlagDefaults>(defaults: T, quickDefaults: Partial<T>, argv: readonly string[] = process.argv.slice(2)): { quick: boolean } & T {
  const quick = argv.some((a) => a === '--quick' || a === '--quick=true');
  return parseFlags<{ quick: boolean } & T>({ quick: false, ...defaults, ...(quick ? quickDefaults : {}) }, argv);
}

/** The argv of flags (`--kebab-name value`) that parseFlags reads back as `flags`. */
export function toArgv(flags: Readonly<Record<string, FlagValue | undefined>>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) out.push(`--${kebab(k)}`, String(v));
  return out;
}
