// The members of a SalusNode's parts that TypeScript marks private and that the benchmarks read or
// wrap: the instrumented round of the throughput benchmark, the counts of the in-process node, the
// caches the million run reports. `private` is a compile-time word only; this is the one place that
// says which private members the benchmarks rely on (they break here, not silently, if renamed).
import type { BlockHeader } from '@salus/core';
import type { Application, TxResult } from '@salus/module';
import type { SalusNode } from '@salus/node';

/** A prepared statement, as better-sqlite3 has it: the methods the instrumented round counts. */
export interface CountedStatement {
  run(...args: unknown[]): unknown;
  get(...args: unknown[]): unknown;
  all(...args: unknown[]): unknown;
}
export type Statements = Record<string, CountedStatement>;

export interface ChainInternals {
  readonly deps: { readonly app: Application; readonly events?: { onBlock?(header: BlockHeader, results: readonly TxResult[]): void } };
  readonly s?: Statements;
  readonly verified: Set<string>;
}
export interface StateInternals {
  readonly stmts?: Statements;
  readonly cache: Map<string, unknown>;
  readonly opts: { readonly nodeCacheMax: number };
}
export interface BlocksInternals {
  readonly s?: Statements;
}

export const chainInternals = (node: SalusNode): ChainInternals => node.chain as unknown as ChainInternals;
export const stateInternals = (node: SalusNode): StateInternals => storeInternals(node.state);
/** The same of a StateStore opened by a benchmark itself. */
export const storeInternals = (store: object): StateInternals => store as StateInternals;
export const blocksInternals = (node: SalusNode): BlocksInternals => node.blocks as unknown as BlocksInternals;
