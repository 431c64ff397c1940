import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCatalogue } from '@salus/core';
// The node with every installed module and the FHIR facade: loading them registers their codes.
import '../src/node.js';

// Fastify's habit: the catalogue and its documentation cannot drift apart. The catalogue is every
// code registered by core and by each module, so a module's new code must be documented too.
const root = new URL('../../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const rows = new Map<string, number>();
for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'test') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('docs/errors.md', () => {
  it('documents every registered code with its HTTP status', () => {
    for (const [code, { status }] of errorCatalogue()) {
      expect(rows.get(code), `docs/errors.md lacks ${code}`).toBe(status);
    }
  });

  it('documents no code that no one registers', () => {
    const extra = [...rows.keys()].filter((c) => !errorCatalogue().has(c) && c !== 'INTERNAL');
    expect(extra).toEqual([]);
  });

  it('every code thrown in the sources is registered once the node has loaded', () => {
    const thrown = new Set<string>();
    for (const file of sources(join(root, 'packages'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new SalusError\('([A-Z_]+)'/g)) thrown.add(m[1]!);
    }
    expect(thrown.size).toBeGreaterThan(20);
    expect([...thrown].filter((c) => !errorCatalogue().has(c))).toEqual([]);
  });
});
