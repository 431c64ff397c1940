import type { AnyNode, Pattern, Program } from 'acorn';

/** A problem found in code: what, and where (character offset). */
export interface Finding {
  readonly what: string;
  readonly at: number;
}

interface Scope {
  readonly names: Set<string>;
  readonly parent: Scope | null;
}

function isNode(v: unknown): v is AnyNode {
  return typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';
}

function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const v of Object.values(node)) {
    if (Array.isArray(v)) for (const x of v) if (isNode(x)) out.push(x);
    if (isNode(v)) out.push(v);
  }
  return out;
}

/** Names a binding pattern declares. */
function patternNames(p: Pattern | AnyNode | null | undefined, into: Set<string>): void {
  if (!p) return;
  if (p.type === 'Identifier') into.add(p.name);
  else if (p.type === 'ObjectPattern') for (const q of p.properties) patternNames(q.type === 'RestElement' ? q.argument : q.value, into);
  else if (p.type === 'ArrayPattern') for (const q of p.elements) patternNames(q, into);
  else if (p.type === 'AssignmentPattern') patternNames(p.left, into);
  else if (p.type === 'RestElement') patternNames(p.argument, into);
}

/** `var`s anywhere in a function body (not inside nested functions): they belong to the function. */
function varNames(node: AnyNode, into: Set<string>): void {
  if (node.type === 'VariableDeclaration' && node.kind === 'var') for (const d of node.declarations) patternNames(d.id, into);
  if (node.type.includes('Function') || node.type.startsWith('Class')) return;
  for (const c of children(node)) varNames(c, into);
}

/** Declarations scoped to a block: let, const, class, and (modules are strict) functions. */
function lexicalNames(statements: readonly AnyNode[], into: Set<string>): void {
  for (let s of statements) {
    if ((s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration') && s.declaration) s = s.declaration;
    if (s.type === 'VariableDeclaration' && s.kind !== 'var') for (const d of s.declarations) patternNames(d.id, into);
    if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) into.add(s.id.name);
  }
}

/**
 * Walks a module with lexical scopes and reports every reference to a name no enclosing scope
 * declares (a free global) through `onFree`, and member accesses `Global.member` of free globals
 * through `onMember`. Binding positions, property keys and labels are not references.
 */
export function walkFree(program: Program, onFree: (name: string, at: number) => void, onMember: (object: string, member: string, at: number) => void): void {
  const resolved = (name: string, s: Scope | null): boolean => {
    for (; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  };
  const scope = (parent: Scope, fill: (names: Set<string>) => void): Scope => {
    const names = new Set<string>();
    fill(names);
    return { names, parent };
  };
  const pattern = (p: AnyNode, s: Scope, binding: boolean): void => {
    if (p.type === 'Identifier') {
      if (!binding && !resolved(p.name, s)) onFree(p.name, p.start);
    } else if (p.type === 'ObjectPattern') {
      for (const q of p.properties) {
        if (q.type === 'RestElement') pattern(q.argument, s, binding);
        else {
          if (q.computed) walk(q.key, s);
          pattern(q.value, s, binding);
        }
      }
    } else if (p.type === 'ArrayPattern') {
      for (const q of p.elements) if (q) pattern(q, s, binding);
    } else if (p.type === 'AssignmentPattern') {
      pattern(p.left, s, binding);
      walk(p.right, s);
    } else if (p.type === 'RestElement') pattern(p.argument, s, binding);
    else walk(p, s);
  };
  const fn = (node: AnyNode & { params: Pattern[]; body: AnyNode; id?: { name: string } | null }, s: Scope, ownName: boolean): void => {
    const inner = scope(s, (n) => {
      if (ownName && node.id) n.add(node.id.name);
      for (const p of node.params) patternNames(p, n);
      varNames(node.body, n);
      if (node.body.type === 'BlockStatement') lexicalNames(node.body.body, n);
    });
    for (const p of node.params) pattern(p, inner, true);
    if (node.body.type === 'BlockStatement') for (const st of node.body.body) walk(st, inner);
    else walk(node.body, inner);
  };
  const walk = (node: AnyNode, s: Scope): void => {
    switch (node.type) {
      case 'Identifier':
        if (!resolved(node.name, s)) onFree(node.name, node.start);
        return;
      case 'MemberExpression': {
        const o = node.object;
        if (o.type === 'Identifier' && !resolved(o.name, s)) {
          const member = node.computed ? (node.property.type === 'Literal' ? String(node.property.value) : null) : node.property.type === 'Identifier' ? node.property.name : null;
          if (member !== null) onMember(o.name, member, node.start);
        }
        walk(o, s);
        if (node.computed) walk(node.property, s);
        return;
      }
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) walk(node.key, s);
        if (node.value) walk(node.value, s);
        return;
      case 'LabeledStatement':
        walk(node.body, s);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'PrivateIdentifier':
        return;
      case 'FunctionDeclaration':
        fn(node, s, false);
        return;
      case 'FunctionExpression':
        fn(node, s, true);
        return;
      case 'ArrowFunctionExpression':
        fn(node, s, false);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        if (node.superClass) walk(node.superClass, s);
        const inner = scope(s, (n) => node.id && n.add(node.id.name));
        walk(node.body, inner);
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const inner = scope(s, (n) => lexicalNames(node.body, n));
        for (const st of node.body) walk(st, inner);
        return;
      }
      case 'SwitchStatement': {
        walk(node.discriminant, s);
        const inner = scope(s, (n) => lexicalNames(node.cases.flatMap((c) => c.consequent), n));
        for (const c of node.cases) {
          if (c.test) walk(c.test, inner);
          for (const st of c.consequent) walk(st, inner);
        }
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const head = node.type === 'ForStatement' ? node.init : node.left;
        const inner = scope(s, (n) => head && lexicalNames([head], n));
        for (const c of children(node)) walk(c, inner);
        return;
      }
      case 'CatchClause': {
        const inner = scope(s, (n) => patternNames(node.param, n));
        if (node.param) pattern(node.param, inner, true);
        walk(node.body, inner);
        return;
      }
      case 'VariableDeclarator':
        pattern(node.id, s, true);
        if (node.init) walk(node.init, s);
        return;
      case 'AssignmentExpression':
        pattern(node.left, s, false);
        walk(node.right, s);
        return;
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        // refused by the checker on their own; their names are not references
        return;
      case 'ExportSpecifier':
        if (node.local.type === 'Identifier' && !resolved(node.local.name, s)) onFree(node.local.name, node.local.start);
        return;
      default:
        for (const c of children(node)) walk(c, s);
    }
  };
  const top = scope({ names: new Set(), parent: null }, (n) => {
    varNames(program, n);
    lexicalNames(program.body, n);
    for (const st of program.body) if (st.type === 'ImportDeclaration') for (const sp of st.specifiers) n.add(sp.local.name);
  });
  for (const st of program.body) walk(st, top);
}
