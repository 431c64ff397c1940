// The chain under test in-process: a single-validator SalusNode (no HTTP API) and its solo block
// producer, driven by the benchmark.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { precommitSignBytes, type BlockHeader } from '@salus/core';
import { SoloEngine, systemClock } from '@salus/consensus';
import type { Genesis, TxResult } from '@salus/module';
import { SalusNode, type NodeOptionsInput } from '@salus/node';
import { codeOf, fail, messageOf } from './cli.js';
import { CHAIN_ID, benchGenesis } from './genesis.js';
import { adminKeys, keyFromSecret, type SecretKeyPair } from './keys.js';
import { chainInternals } from './node-internals.js';

/** Results of the committed transactions, counted as the node reports them. */
export interface TxCounts {
  ok: number;
  failed: number;
  codes: Record<string, number>;
}

export interface BenchNode {
  readonly node: SalusNode;
  readonly engine: SoloEngine;
  readonly admins: SecretKeyPair[];
  readonly genesis: Genesis;
  readonly dataDir: string;
  readonly counts: TxCounts;
  /** commits one block of what the mempool holds */
  produce(): void;
}

/**
 * A single-validator Salus node in this process (no HTTP API): SalusNode wires storage, state,
 * ledger, application and mempool as in production; the solo producer commits blocks on demand.
 */
export function openBenchNode({ dir, adminCount, nodeSecret, options = {} }: { dir: string; adminCount: number; nodeSecret?: Uint8Array; options?: NodeOptionsInput }): BenchNode {
  const nodeKey = keyFromSecret(nodeSecret ?? new Uint8Array(32).fill(42));
  const admins = adminKeys(adminCount);
  const genesis = benchGenesis(admins, nodeKey.publicKey, 1_700_000_000_000);
  const nodeKeys = {
    signing: { publicKey: nodeKey.publicKey, secretKey: nodeKey.secretKey },
    encryption: { publicKey: new Uint8Array(32).fill(9), secretKey: new Uint8Array(32).fill(9) },
  };
  const dataDir = join(dir, 'data');
  const node = new SalusNode({ genesis, nodeKeys, dataDir, dbFile: join(dataDir, 'salus.db'), options: { log: { level: 'silent' }, ...options } });
  const engine = new SoloEngine(node.opts.solo, {
    host: node.chain,
    clock: systemClock,
    signer: {
      publicKey: nodeKey.publicKey,
      signPrecommit: (h: number, r: number, hash: Uint8Array) => node.ed.sign(nodeKey.secretKey, precommitSignBytes(CHAIN_ID, h, r, hash)),
    },
    onError: (e: unknown) => fail(`block production failed: ${messageOf(e)}`),
  });
  // Count results as the node reports them (the node's own onBlock event, wrapped).
  const counts: TxCounts = { ok: 0, failed: 0, codes: {} };
  const events = chainInternals(node).deps.events;
  if (!events) fail('the node has no chain events to count results with');
  const orig = events.onBlock?.bind(events);
  events.onBlock = (header: BlockHeader, results: readonly TxResult[]) => {
    for (const r of results) {
      if (r.code === 'OK') counts.ok++;
      else {
        counts.failed++;
        counts.codes[r.code] = (counts.codes[r.code] ?? 0) + 1;
      }
    }
    orig?.(header, results);
  };
  return { node, engine, admins, genesis, dataDir, counts, produce: () => void engine.produce(Date.now()) };
}

/**
 * Admits `txs` through chain.submit (decode, chain id, signature, duplicate check, checkTx) in
 * bursts of `blockTxs`; after each burst the solo producer commits blocks until the mempool is
 * empty (blocks are cut by the node's own limits, blockTxsMax and blockBytesMax). Returns the time
 * spent admitting and committing.
 */
export function submitAndCommit(b: BenchNode, txs: readonly Uint8Array[], blockTxs: number, onBlock?: (end: number) => void): { submitMs: number; commitMs: number } {
  let submitMs = 0;
  let commitMs = 0;
  for (let i = 0; i < txs.length; i += blockTxs) {
    const end = Math.min(txs.length, i + blockTxs);
    const t0 = performance.now();
    for (let j = i; j < end; j++) {
      try {
        b.node.chain.submit(txs[j]!);
      } catch (e) {
        fail(`transaction ${j} refused at submit: ${codeOf(e) ?? ''} ${messageOf(e)}`);
      }
    }
    const t1 = performance.now();
    while (b.node.chain.mempool.size > 0) {
      const before = b.node.chain.mempool.size;
      b.produce();
      if (b.node.chain.mempool.size >= before) fail(`a block took none of the ${before} transactions in the mempool`);
    }
    const t2 = performance.now();
    submitMs += t1 - t0;
    commitMs += t2 - t1;
    onBlock?.(end);
  }
  return { submitMs, commitMs };
}
