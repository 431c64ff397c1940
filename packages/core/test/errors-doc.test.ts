import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../src/errors.js';

// Fastify's habit: the catalogue and its documentation cannot drift apart.
describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const m of doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));

  it('documents every code of the catalogue with its HTTP status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      expect(rows.get(code), `docs/errors.md lacks ${code}`).toBe(status);
    }
  });

  it('documents no code that the catalogue lacks', () => {
    const extra = [...rows.keys()].filter((c) => !(c in ERROR_CATALOGUE) && c !== 'INTERNAL');
    expect(extra).toEqual([]);
  });
});
