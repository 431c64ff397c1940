// Where things are. The benchmarks run compiled: this file is bench/out/ts/lib/paths.js, so the
// compiled benchmarks are one folder up, bench/ three and the project's root four.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/out/ts: the compiled benchmarks (fork and worker targets live here). */
export const COMPILED_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_DIR = join(COMPILED_DIR, '..', '..');
export const ROOT_DIR = join(BENCH_DIR, '..');
/** bench/out: the result files. */
export const OUT_DIR = join(BENCH_DIR, 'out');

/** The compiled file of a benchmark module, e.g. compiled('network/load-client.js'). */
export const compiled = (rel: string): string => join(COMPILED_DIR, rel);
