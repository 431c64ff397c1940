// One instrumented round of the throughput benchmark: the node's parts wrapped on this instance
// only, to report µs per transaction per part and SQL statements per transaction.
import { performance } from 'node:perf_hooks';
import { submitAndCommit, type BenchNode } from '../lib/bench-node.js';
import { fail } from '../lib/cli.js';
import { blocksInternals, chainInternals, stateInternals, type Statements } from '../lib/node-internals.js';
import { round } from '../lib/stats.js';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Slots = Record<string, unknown>;

/** Replaces obj[name] (a method) by `make(original)` on this object only; returns the undo. */
function replaceMethod(obj: object, name: string, make: (orig: AnyFunction) => AnyFunction, undo: 'restore' | 'delete' = 'restore'): () => void {
  const slots = obj as Slots;
  const orig = slots[name];
  if (typeof orig !== 'function') fail(`cannot instrument ${name}: not a method`);
  slots[name] = make(orig as AnyFunction);
  return () => {
    if (undo === 'delete') delete slots[name];
    else slots[name] = orig;
  };
}

export type Breakdown = Record<string, number | Record<string, number> | { cached: number; cache_max: number }>;

/** Wraps the node's parts on this instance only, runs one round, and reports µs per transaction per part. */
export function instrumentedRound(b: BenchNode, batch: readonly Uint8Array[], blockTxs: number): Breakdown {
  const spent: Record<string, number> = {};
  const timed =
    (label: string) =>
    (orig: AnyFunction): AnyFunction =>
      function (this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        try {
          return orig.apply(this, args);
        } finally {
          spent[label] = (spent[label] ?? 0) + performance.now() - t0;
        }
      };
  const chain = b.node.chain;
  const app = chainInternals(b.node).deps.app;
  const undo = [
    replaceMethod(b.node.ed, 'verify', timed('submit.signature_verify')),
    replaceMethod(app, 'checkTx', timed('submit.app_checkTx')),
    replaceMethod(chain, 'proposeBlock', timed('commit.propose_reap_txroot')),
    replaceMethod(chain, 'validateBlock', timed('commit.validate_decode')),
    replaceMethod(app, 'executeBlock', timed('commit.execute')),
    replaceMethod(b.node.state, 'commit', timed('commit.db.state_tree_and_rows')),
    replaceMethod(b.node.blocks, 'save', timed('commit.db.block_txs_index')),
    replaceMethod(chain, 'recheck', timed('commit.recheck_mempool')),
  ];
  // SQL statements executed, by statement, per transaction.
  const sqlCalls: Record<string, number> = {};
  const stmtGroups: Record<string, Statements | undefined> = { state: stateInternals(b.node).stmts, blocks: blocksInternals(b.node).s, chain: chainInternals(b.node).s };
  for (const [group, stmts] of Object.entries(stmtGroups)) {
    for (const [name, st] of Object.entries(stmts ?? {})) {
      for (const method of ['run', 'get', 'all']) {
        const counted =
          (orig: AnyFunction): AnyFunction =>
          function (this: unknown, ...args: unknown[]) {
            sqlCalls[`${group}.${name}`] = (sqlCalls[`${group}.${name}`] ?? 0) + 1;
            return orig.apply(this, args);
          };
        undo.push(replaceMethod(st, method, counted, 'delete'));
      }
    }
  }
  // The database transaction around each commit: time inside it, in all.
  undo.push(
    replaceMethod(b.node.db, 'transaction', (origTx) =>
      function (this: unknown, ...args: unknown[]) {
        const t = origTx.apply(this, args) as AnyFunction;
        return (...targs: unknown[]) => {
          const t0 = performance.now();
          try {
            return t(...targs);
          } finally {
            spent['commit.db_transaction_total'] = (spent['commit.db_transaction_total'] ?? 0) + performance.now() - t0;
          }
        };
      },
    ),
  );
  const { submitMs, commitMs } = submitAndCommit(b, batch, blockTxs);
  for (const u of undo) u();
  const perTx = (ms: number): number => round((ms * 1000) / batch.length, 1);
  const out: Breakdown = { txs: batch.length, submit_total: perTx(submitMs), commit_total: perTx(commitMs) };
  for (const [k, v] of Object.entries(spent).sort()) out[k] = perTx(v);
  out['submit.other_decode_hash_index_mempool'] = perTx(submitMs - (spent['submit.signature_verify'] ?? 0) - (spent['submit.app_checkTx'] ?? 0));
  out['commit.db.sqlite_commit_valset_other'] = perTx((spent['commit.db_transaction_total'] ?? 0) - (spent['commit.db.state_tree_and_rows'] ?? 0) - (spent['commit.db.block_txs_index'] ?? 0));
  const sql: Record<string, number> = Object.fromEntries(
    Object.entries(sqlCalls)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => [k, round(v / batch.length, 2)]),
  );
  sql.total = round(Object.values(sqlCalls).reduce((a, c) => a + c, 0) / batch.length, 2);
  out.sql_statements_per_tx = sql;
  const st = stateInternals(b.node);
  out.state_tree_nodes = { cached: st.cache.size, cache_max: st.opts.nodeCacheMax };
  return out;
}
