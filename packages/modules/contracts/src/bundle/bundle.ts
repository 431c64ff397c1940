import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, type Plugin } from 'esbuild';
import { contractError } from '../errors.js';
import { contractCodeHash } from '../runtime/code.js';
import { checkContractCode } from './check.js';

export const SDK_SPECIFIER = '@salus/contracts/sdk';

export interface BundleInput {
  /** a contract's entry file; relative imports may reach only files in its folder */
  readonly entry?: string;
  /** or the entry's source text (TypeScript), with a name for messages; no relative imports unless `resolveDir` */
  readonly source?: string;
  readonly fileName?: string;
  readonly resolveDir?: string;
  /** minify (deterministic, but the code hash then differs from the unminified bundle) */
  readonly minify?: boolean;
}

export interface BundledContract {
  readonly code: string;
  /** hex SHA-256 of the code's UTF-8 bytes */
  readonly codeHash: string;
  /** exported function names, sorted */
  readonly methods: string[];
}

/**
 * The SDK's TypeScript source, whether this file runs from src/ or dist/: bundling the same text
 * either way keeps a contract's code hash the same for the CLI (built) and the tests (sources).
 */
function sdkPath(): string {
  for (const rel of ['../sdk/index.ts', '../../src/sdk/index.ts']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw contractError('CONTRACT_INVALID', 'the contract SDK sources are missing from this installation', { reason: 'sdk' });
}

function confine(root: string | undefined): Plugin {
  return {
    name: 'salus-contract-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        if (args.path === SDK_SPECIFIER) return { path: 'sdk', namespace: 'salus-sdk' };
        const inside = root !== undefined && (args.path.startsWith('./') || args.path.startsWith('../'));
        const target = inside ? resolve(args.resolveDir, args.path) : '';
        const rel = inside ? relative(root, target) : '..';
        if (rel.startsWith('..') || isAbsolute(rel)) {
          return { errors: [{ text: `import "${args.path}" is not allowed: only ${SDK_SPECIFIER} and files in the contract's own folder` }] };
        }
        return undefined;
      });
      // A fixed virtual path keeps the bundle (and its hash) independent of where the repository lives.
      b.onLoad({ filter: /.*/, namespace: 'salus-sdk' }, async () => ({ contents: await readFile(sdkPath(), 'utf8'), loader: 'ts' }));
    },
  };
}

const describe = (m: Message): string => `${m.location ? `${m.location.file}:${m.location.line}: ` : ''}${m.text}`;

/**
 * Bundles a contract with esbuild into one ES2020 module (no imports left), then runs the same
 * acorn check a node runs on deploy. Output paths are relative to the contract's folder and the
 * SDK is a virtual module, so the same sources give the same code hash on any machine.
 * Throws CONTRACT_INVALID with `meta.reason` (`build`, `too-large`, `forbidden`, …).
 */
export async function bundleContract(input: BundleInput): Promise<BundledContract> {
  if ((input.entry === undefined) === (input.source === undefined)) throw contractError('CONTRACT_INVALID', 'give either entry or source', { reason: 'input' });
  const root = input.entry !== undefined ? dirname(resolve(input.entry)) : input.resolveDir && resolve(input.resolveDir);
  let code: string;
  try {
    const r = await build({
      ...(input.entry !== undefined
        ? { entryPoints: [resolve(input.entry)] }
        : { stdin: { contents: input.source!, sourcefile: input.fileName ?? 'contract.ts', loader: 'ts', ...(root ? { resolveDir: root } : {}) } }),
      absWorkingDir: root ?? process.cwd(),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2020',
      write: false,
      minify: input.minify === true,
      legalComments: 'none',
      charset: 'ascii',
      logLevel: 'silent',
      plugins: [confine(root)],
    });
    code = r.outputFiles[0]?.text ?? '';
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? [];
    throw contractError('CONTRACT_INVALID', `the contract does not bundle: ${errors.length ? errors.slice(0, 3).map(describe).join('; ') : (e as Error).message}`, {
      reason: 'build',
      errors: errors.slice(0, 10).map(describe),
    });
  }
  const { methods } = checkContractCode(code);
  return { code, codeHash: contractCodeHash(code), methods };
}
