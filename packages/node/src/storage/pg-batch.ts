import { toPgPlaceholders, tablesOf } from './pg-dialect.js';

/** One statement as the worker sends it: PostgreSQL text with `$n` placeholders, and its values. */
export interface PgStep {
  readonly text: string;
  readonly values: readonly unknown[];
}

/** A write a transaction deferred: the storage code's SQL (`?` placeholders) and its parameters. */
export interface PendingWrite {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** PostgreSQL binds at most 65,535 parameters to one statement. */
export const PG_PARAMS_MAX = 65_535;

interface Shape {
  /** text before the row list, and after it */
  readonly head: string;
  readonly tail: string;
  readonly width: number;
  /** positions of the conflict key among a row's parameters, for `DO UPDATE` (two rows of one key may not share a statement) */
  readonly keyAt: readonly number[] | undefined;
  readonly kind: 'insert' | 'delete';
  readonly table: string;
  readonly columns: readonly string[];
}

/** A column's PostgreSQL type (`bytea`, `bigint`, `text`), when known: what lets a long run of one INSERT go as arrays. */
export type ColumnType = (table: string, column: string) => string | undefined;

/**
 * From this many rows on, an INSERT sends one array per column (`SELECT * FROM unnest(…)`): a
 * statement of as many parameters as columns, whose text does not change with the row count, and
 * about a third cheaper per row than a long VALUES list (measured); shorter runs keep VALUES.
 */
const UNNEST_ROWS_MIN = 16;

const INSERT = /^INSERT INTO (\w+) \(([^)]*)\) VALUES \(([?,\s]+)\)(.*)$/s;
const DELETE = /^DELETE FROM (\w+) WHERE (\w+) = \?$/s;
const shapes = new Map<string, Shape | null>();

function shapeOf(sql: string): Shape | null {
  let s = shapes.get(sql);
  if (s !== undefined) return s;
  s = null;
  const ins = INSERT.exec(sql);
  const del = DELETE.exec(sql);
  if (ins) {
    const columns = ins[2]!.split(',').map((c) => c.trim());
    const upd = /ON CONFLICT \(([^)]*)\) DO UPDATE/.exec(ins[4]!);
    const keyAt = upd ? upd[1]!.split(',').map((c) => columns.indexOf(c.trim())) : undefined;
    if (columns.length === ins[3]!.split(',').length && !keyAt?.includes(-1)) {
      s = { head: `INSERT INTO ${ins[1]} (${columns.join(', ')}) VALUES `, tail: ins[4]!, width: columns.length, keyAt, kind: 'insert', table: ins[1]!, columns };
    }
  } else if (del) {
    s = { head: `DELETE FROM ${del[1]} WHERE ${del[2]} IN (`, tail: ')', width: 1, keyAt: undefined, kind: 'delete', table: del[1]!, columns: [del[2]!] };
  }
  shapes.set(sql, s);
  return s;
}

interface Group {
  readonly sql: string;
  readonly shape: Shape | null;
  readonly tables: readonly string[];
  readonly rows: (readonly unknown[])[];
  readonly keys: Set<string> | undefined;
}

function keyOf(shape: Shape, params: readonly unknown[]): string {
  return shape.keyAt!.map((i) => {
    const v = params[i];
    return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') : String(v);
  }).join('\u0000');
}

/**
 * Turns a transaction's deferred writes into as few statements as keep their effect: runs of one
 * INSERT (or one single-key DELETE) become a multi-row statement, and a write may join an earlier
 * run of its statement when no write in between touches its table (writes to different tables
 * commute). Two rows of one conflict key never share a `DO UPDATE` statement (PostgreSQL refuses
 * that), and no statement binds more than PG_PARAMS_MAX parameters.
 */
export function groupWrites(writes: readonly PendingWrite[], columnType?: ColumnType): PgStep[] {
  const groups: Group[] = [];
  for (const w of writes) {
    const shape = shapeOf(w.sql);
    const tables = tablesOf(w.sql);
    let target: Group | undefined;
    if (shape) {
      for (let i = groups.length - 1; i >= 0; i--) {
        const g = groups[i]!;
        if (g.sql === w.sql) {
          if (!g.keys?.has(keyOf(shape, w.params))) target = g;
          break;
        }
        if (g.tables.some((t) => tables.includes(t))) break;
      }
    }
    if (!target) {
      target = { sql: w.sql, shape, tables, rows: [], keys: shape?.keyAt ? new Set() : undefined };
      groups.push(target);
    }
    target.rows.push(w.params);
    if (shape && target.keys) target.keys.add(keyOf(shape, w.params));
  }
  const steps: PgStep[] = [];
  for (const g of groups) {
    if (!g.shape) {
      const text = toPgPlaceholders(g.sql);
      for (const r of g.rows) steps.push({ text, values: r });
      continue;
    }
    const types = g.shape.kind === 'insert' && g.rows.length >= UNNEST_ROWS_MIN && columnType ? g.shape.columns.map((c) => columnType(g.shape!.table, c)) : [];
    if (types.length > 0 && types.every((t) => t !== undefined)) {
      steps.push(unnestRows(g.shape, types as string[], g.rows));
      continue;
    }
    const per = Math.max(1, Math.floor(PG_PARAMS_MAX / g.shape.width));
    for (let from = 0; from < g.rows.length; from += per) {
      steps.push(multiRow(g.shape, g.rows.slice(from, from + per)));
    }
  }
  return steps;
}

function unnestRows(shape: Shape, types: readonly string[], rows: readonly (readonly unknown[])[]): PgStep {
  const values = types.map((_, i) => rows.map((r) => r[i]));
  const arrays = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  return { text: `INSERT INTO ${shape.table} (${shape.columns.join(', ')}) SELECT * FROM unnest(${arrays})${shape.tail}`, values };
}

function multiRow(shape: Shape, rows: readonly (readonly unknown[])[]): PgStep {
  const values: unknown[] = [];
  const parts: string[] = [];
  for (const r of rows) {
    const marks: string[] = [];
    for (const v of r) {
      values.push(v);
      marks.push(`$${values.length}`);
    }
    parts.push(shape.kind === 'insert' ? `(${marks.join(', ')})` : marks[0]!);
  }
  return { text: `${shape.head}${parts.join(', ')}${shape.tail}`, values };
}
