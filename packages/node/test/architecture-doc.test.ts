import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md names code by symbol and file, never by line: this test keeps every
 * "`Symbol` (`path/file.ts`)" it names pointing at a file that exists and declares that symbol, and
 * every file path it names existing, so the page cannot drift from the code unnoticed.
 */
const root = new URL('../../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p.slice(root.length));
  }
  return out;
}
const files = tsFiles(join(root, 'packages'));
/** A path as the page writes it: from the repository root, or any unique tail of a source path. */
const resolve = (ref: string): string[] => files.filter((f) => f === ref || f.endsWith(`/${ref}`));

function declares(file: string, symbol: string): boolean {
  const src = readFileSync(join(root, file), 'utf8');
  const [owner, member] = symbol.includes('.') ? symbol.split('.') : [undefined, symbol];
  if (owner && !new RegExp(`\\b(class|interface)\\s+${owner}\\b`).test(src)) return false;
  const name = member!;
  return new RegExp(`(\\b(function|class|interface|type|const|let|enum)\\s+${name}\\b)|(^\\s+(async\\s+)?(get\\s+)?(readonly\\s+)?${name}\\??[(:<])`, 'm').test(src);
}

describe('docs/architecture.md', () => {
  it('names no line numbers', () => {
    expect(doc.match(/\.ts:\d+/g) ?? []).toEqual([]);
  });

  it('every file it names exists', () => {
    const refs = [...doc.matchAll(/`([\w@./-]+\.ts)`/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((r) => resolve(r).length === 0)).toEqual([]);
  });

  it('every symbol it names is declared in the file named beside it', () => {
    // "`Symbol` (`file.ts`)" and "`Symbol` in `file.ts`"
    const pairs = [...doc.matchAll(/`([A-Za-z_]\w*(?:\.\w+)?)`(?: \(| in )`([\w@./-]+\.ts)`/g)].map((m) => ({ symbol: m[1]!, file: m[2]! }));
    expect(pairs.length).toBeGreaterThan(15);
    const missing = pairs.filter((p) => !resolve(p.file).some((f) => declares(f, p.symbol)));
    expect(missing).toEqual([]);
  });
});
