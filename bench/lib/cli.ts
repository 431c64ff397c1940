// Output and failure of a benchmark. A benchmark prints exactly one JSON object on stdout;
// everything else goes to stderr. A failure of the benchmark itself is a BenchFailure: the CLI
// entries print it as `bench: <message>` and exit with status 2; a suite that runs a benchmark as a
// function records it and goes on.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class BenchFailure extends Error {
  override readonly name = 'BenchFailure';
}

/** Fails the running benchmark (thrown: cleanup in `finally` blocks still runs). */
export function fail(message: string): never {
  throw new BenchFailure(message);
}

/** Ends the process at once with status 2: for failures outside any benchmark's call chain (event handlers). */
export function die(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

export const log = (...parts: unknown[]): void => {
  process.stderr.write(parts.join(' ') + '\n');
};

/** The one JSON object of stdout a benchmark writes. */
export function emit(result: unknown): void {
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

/** The `code` of a thrown value (SalusError, a Node system error), if it has a string one. */
export const codeOf = (e: unknown): string | undefined => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined);

/** A thrown value named by its code, else its error name, else its text. */
export const errCode = (e: unknown): string => codeOf(e) ?? (e instanceof Error ? e.name : String(e));

/** The message of a thrown value, without its stack. */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * Runs a CLI entry's main: a BenchFailure prints `bench: <message>` and exits 2; any other error
 * prints its stack and exits 2 as well (the exit handlers of the benchmark clean up).
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => die(e instanceof BenchFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)));
}

/** Whether the module at `moduleUrl` (import.meta.url) is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
