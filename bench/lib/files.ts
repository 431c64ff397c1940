// Files the benchmarks measure or leave: sizes of data directories, temporary folders, log tails.
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Total bytes of the regular files under a directory, and the sizes of the files directly in it. */
export function dirBytes(dir: string): { total: number; files: Record<string, number> } {
  let total = 0;
  const files: Record<string, number> = {};
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) total += dirBytes(p).total;
    else {
      total += st.size;
      files[name] = st.size;
    }
  }
  return { total, files };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The last `n` characters of a text file, or '' when it cannot be read. */
export function fileTail(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').slice(-n);
  } catch {
    return '';
  }
}
