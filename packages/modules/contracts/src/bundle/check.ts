import { parse, type AnyNode, type Program } from 'acorn';
import { contractError } from '../errors.js';
import { CONTRACT_LIMITS } from '../limits.js';
import { utf8Length } from '../values.js';
import { FORBIDDEN_GLOBALS, FORBIDDEN_MEMBERS } from './forbidden.js';
import { walkFree, type Finding } from './scope.js';

function fail(reason: string, message: string, meta: Record<string, unknown> = {}): never {
  throw contractError('CONTRACT_INVALID', message, { reason, ...meta });
}

/** Exported names bound to functions (the callable methods), sorted. */
function exportedFunctions(program: Program): string[] {
  const fns = new Set<string>();
  const isFn = (n: AnyNode | null | undefined): boolean => n?.type === 'FunctionExpression' || n?.type === 'ArrowFunctionExpression';
  for (const st of program.body) {
    const d = st.type === 'ExportNamedDeclaration' && st.declaration ? st.declaration : st;
    if (d.type === 'FunctionDeclaration' && d.id) fns.add(d.id.name);
    if (d.type === 'VariableDeclaration') for (const v of d.declarations) if (v.id.type === 'Identifier' && isFn(v.init)) fns.add(v.id.name);
  }
  const methods = new Set<string>();
  for (const st of program.body) {
    if (st.type !== 'ExportNamedDeclaration') continue;
    const d = st.declaration;
    if (d?.type === 'FunctionDeclaration' && d.id) methods.add(d.id.name);
    if (d?.type === 'VariableDeclaration') for (const v of d.declarations) if (v.id.type === 'Identifier' && isFn(v.init)) methods.add(v.id.name);
    for (const sp of st.specifiers) {
      const exported = sp.exported.type === 'Identifier' ? sp.exported.name : String(sp.exported.value);
      if (sp.local.type === 'Identifier' && fns.has(sp.local.name) && exported !== 'default') methods.add(exported);
    }
  }
  return [...methods].sort();
}

/**
 * The deterministic check of bundled contract code, with acorn only (a node receiving a deploy
 * transaction has the bundle, not the TypeScript, and must reach the same verdict as every other
 * node whatever esbuild it has): size, an ES module that parses, no imports of any kind, no
 * forbidden global, no bigint literal. Returns the callable methods. Throws CONTRACT_INVALID with `meta.reason`.
 */
export function checkContractCode(code: string): { methods: string[] } {
  if (typeof code !== 'string') fail('not-code', 'contract code must be a string');
  const bytes = utf8Length(code);
  if (bytes > CONTRACT_LIMITS.codeBytes) fail('too-large', `the code is ${bytes} bytes; at most ${CONTRACT_LIMITS.codeBytes} are allowed`, { bytes });
  let program: Program;
  try {
    program = parse(code, { ecmaVersion: 2022, sourceType: 'module' });
  } catch (e) {
    fail('syntax', `the code does not parse as an ES module: ${(e as Error).message}`);
  }
  const findings: Finding[] = [];
  const visit = (n: AnyNode): void => {
    if (n.type === 'ImportDeclaration' || n.type === 'ImportExpression') findings.push({ what: 'an import (bundle everything into one module)', at: n.start });
    if (n.type === 'ExportAllDeclaration' || (n.type === 'ExportNamedDeclaration' && n.source)) findings.push({ what: 'a re-export from another module', at: n.start });
    if (n.type === 'MetaProperty' && n.meta.name === 'import') findings.push({ what: 'import.meta', at: n.start });
    // one `*` on million-bit bigints is native work of seconds in a single interpreter step
    if (n.type === 'Literal' && typeof n.bigint === 'string') findings.push({ what: 'a bigint literal', at: n.start });
    if (n.type === 'AwaitExpression' || (n.type === 'ForOfStatement' && n.await)) findings.push({ what: 'await (contracts are synchronous)', at: n.start });
    for (const v of Object.values(n)) {
      if (Array.isArray(v)) for (const x of v) if (x && typeof x.type === 'string') visit(x);
      if (v && typeof v === 'object' && typeof (v as { type?: unknown }).type === 'string') visit(v as AnyNode);
    }
  };
  visit(program);
  walkFree(
    program,
    (name, at) => FORBIDDEN_GLOBALS.has(name) && findings.push({ what: `the global ${name}`, at }),
    (object, member, at) => FORBIDDEN_MEMBERS.get(object)?.has(member) && findings.push({ what: `${object}.${member}`, at }),
  );
  if (findings.length > 0) {
    findings.sort((a, b) => a.at - b.at);
    const first = findings[0]!;
    fail('forbidden', `the code uses ${first.what} at offset ${first.at}${findings.length > 1 ? ` (and ${findings.length - 1} more)` : ''}`, {
      findings: findings.slice(0, 20).map((f) => `${f.what} at ${f.at}`),
    });
  }
  return { methods: exportedFunctions(program) };
}
