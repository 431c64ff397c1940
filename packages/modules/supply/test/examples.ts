import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** GS1's official EPCIS 2.0 example documents (the shared fixtures), in file order. */
export const EXAMPLES = new URL('../../../../../shared/fixtures/epcis/examples/', import.meta.url).pathname;

export function exampleFiles(dir = EXAMPLES): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? exampleFiles(join(dir, e.name)) : e.name.endsWith('.jsonld') ? [join(dir, e.name)] : []))
    .sort();
}
