import { parse, type AnyNode, type Program, type Token } from 'acorn';
import { contractError } from '../errors.js';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Names a binding pattern declares (`export const { a, b: [c] } = …` exports a and c). */
function declared(p: AnyNode | null | undefined, into: string[]): void {
  if (!p) return;
  if (p.type === 'Identifier') into.push(p.name);
  else if (p.type === 'ObjectPattern') for (const q of p.properties) declared(q.type === 'RestElement' ? q.argument : q.value, into);
  else if (p.type === 'ArrayPattern') for (const q of p.elements) declared(q, into);
  else if (p.type === 'AssignmentPattern') declared(p.left, into);
  else if (p.type === 'RestElement') declared(p.argument, into);
}

/**
 * Rewrites checked contract code (an ES module with no imports, no `await` and no `import.meta`)
 * into a module whose default export is a factory: an arrow function whose body is the module's
 * body with the `export` keywords removed, returning the exports in an object without a
 * prototype. Calling the factory runs the module's top level again, so a sandbox that compiled the
 * code once still gives every call fresh module-level bindings (a `let counter` starts over), as a
 * fresh module evaluation did. The arrow sits at the module's top level, so `this` stays undefined
 * and `arguments` stays unbound, as at a module's top level. The code's first line keeps its line
 * number (the wrapper's opening is on the same line). `export default` is evaluated but not
 * returned: `default` is never a method.
 *
 * Deterministic: acorn's parse of the code, which every node already runs on deploy.
 */
export function contractFactorySource(code: string): string {
  let program: Program;
  const tokens: Token[] = [];
  try {
    program = parse(code, { ecmaVersion: 2022, sourceType: 'module', onToken: tokens });
  } catch (e) {
    throw contractError('CONTRACT_INVALID', `the code does not parse as an ES module: ${(e as Error).message}`, { reason: 'syntax' });
  }
  const edits: Edit[] = [];
  const exports: [exported: string, local: string][] = [];
  for (const st of program.body) {
    if (st.type === 'ExportNamedDeclaration') {
      if (st.source) throw contractError('CONTRACT_INVALID', 'a re-export from another module', { reason: 'forbidden' });
      const d = st.declaration;
      if (d) {
        edits.push({ start: st.start, end: d.start, text: '' });
        const names: string[] = [];
        if (d.type === 'VariableDeclaration') for (const v of d.declarations) declared(v.id, names);
        else if (d.id) names.push(d.id.name);
        for (const n of names) exports.push([n, n]);
      } else {
        for (const sp of st.specifiers) {
          const exported = sp.exported.type === 'Identifier' ? sp.exported.name : String(sp.exported.value);
          const local = sp.local.type === 'Identifier' ? sp.local.name : String(sp.local.value);
          if (exported !== 'default') exports.push([exported, local]);
        }
        edits.push({ start: st.start, end: st.end, text: ';' });
      }
    } else if (st.type === 'ExportDefaultDeclaration') {
      const d = st.declaration;
      if ((d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') && d.id) {
        // a named declaration keeps its binding in the module's scope
        edits.push({ start: st.start, end: d.start, text: '' });
      } else if (d.type === 'FunctionDeclaration' || d.type === 'ClassDeclaration') {
        // anonymous: evaluated as an expression in parentheses, so that what follows cannot continue it
        edits.push({ start: st.start, end: d.start, text: ';(' }, { start: d.end, end: d.end, text: ');' });
      } else {
        // an expression (perhaps in parentheses, which its node's range leaves out): from the keyword to the statement's end
        const kw = tokens.find((t) => t.start > st.start && t.type.keyword === 'default')!;
        const end = code[st.end - 1] === ';' ? st.end - 1 : st.end;
        edits.push({ start: st.start, end: kw.end, text: ';(' }, { start: end, end, text: ')' });
      }
    } else if (st.type === 'ExportAllDeclaration' || st.type === 'ImportDeclaration') {
      throw contractError('CONTRACT_INVALID', 'an import or re-export (bundle everything into one module)', { reason: 'forbidden' });
    }
  }
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += code.slice(at, e.start) + e.text;
    at = e.end;
  }
  out += code.slice(at);
  const ret = exports.map(([exported, local]) => `${JSON.stringify(exported)}: ${local}`).join(', ');
  return `export default () => {${out}\n;return { __proto__: null${ret ? `, ${ret}` : ''} };\n};\n`;
}
