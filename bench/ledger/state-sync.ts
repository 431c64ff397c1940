// State sync against block replay, in one run: a node in this process commits N register_patient
// transactions; then two empty nodes join it over loopback p2p, one by state sync (the state at the
// height of the N-th transaction, in chunks checked against the app hash of the next header) and
// one by block sync (every block fetched, its commit and transaction signatures checked, every
// transaction executed again). Each is timed until a node opened on its data directory stands at
// that height with the same app hash; the bytes are what its p2p link received.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { bytesEqual, generateIdentityKeys, headerHash, toHex, type IdentityKeys } from '@salus/core';
import { systemClock } from '@salus/consensus';
import { SalusNode } from '@salus/node';
import { openBenchNode, submitAndCommit, type BenchNode } from '../lib/bench-node.js';
import { fail, log } from '../lib/cli.js';
import { dirBytes, tempDir } from '../lib/files.js';
import { CHAIN_ID } from '../lib/genesis.js';
import { openDb } from '../lib/internals.js';
import { round } from '../lib/stats.js';
import { generateTxs } from '../lib/txgen.js';
import {
  BlockSync,
  P2P,
  SNAPSHOT_MESSAGE_BYTES_MAX,
  SnapshotServer,
  StateSyncRestore,
  defaultBftOptions,
  defaultSnapshotOptions,
  defaultStateSyncOptions,
  nodeChannels,
} from '../lib/statesync-internals.js';

export interface StateSyncFlags {
  readonly txs: number;
  /** transactions per committed block */
  readonly blockTxs: number;
}

export const stateSyncDefaults: StateSyncFlags = { txs: 100_000, blockTxs: 1000 };
export const stateSyncQuickDefaults: StateSyncFlags = { txs: 10_000, blockTxs: 1000 };

interface Join {
  seconds: number;
  bytes_received: number;
  data_dir_bytes: number;
}

export interface StateSyncResult {
  bench: 'state_sync';
  txs: number;
  height: number;
  state_entries: number;
  snapshot: Join & { chunks: number; entries: number };
  replay: Join & { blocks: number };
  snapshot_speedup: number;
  snapshot_bytes_vs_replay: number;
  how: string;
}

const silent = pino({ level: 'silent' });
const BLOCK_BYTES_MAX = defaultBftOptions.tendermint.blockBytesMax;

function peer(keys: IdentityKeys, allowed: readonly string[]): P2P {
  return new P2P({ host: '127.0.0.1', port: 0, networkId: CHAIN_ID }, { keys, logger: silent, channels: nodeChannels(BLOCK_BYTES_MAX), allowedKeys: [...allowed] });
}

async function linked(a: P2P, b: P2P, bId: string): Promise<void> {
  a.addPeer({ id: bId, host: '127.0.0.1', port: b.address()!.port });
  const end = performance.now() + 10_000;
  while (a.connectedPeers().length === 0) {
    if (performance.now() > end) fail('the joining node did not link to the source');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const idOf = (k: IdentityKeys) => toHex(k.signing.publicKey);

export async function runStateSync(f: StateSyncFlags): Promise<StateSyncResult> {
  const dir = tempDir('salus-bench-statesync-');
  log(`[state_sync] committing ${f.txs} register_patient transactions…`);
  const src: BenchNode = openBenchNode({ dir: join(dir, 'source'), adminCount: 1 });
  const txs = await generateTxs({ workload: 'register_patient', n: f.txs, adminCount: 1 });
  if (!txs) fail('no transactions generated');
  submitAndCommit(src, txs, f.blockTxs);
  const height = src.node.chain.lastHeight();
  src.produce(); // the header above the snapshot height carries its app hash
  const trust = { height: height + 1, hash: headerHash(src.node.blocks.requireBlock(height + 1).header) };
  const stateEntries = [...src.node.state.entries()].length;

  const [srcKeys, snapKeys, replayKeys] = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
  const srcP2P = peer(srcKeys, [idOf(snapKeys), idOf(replayKeys)]);
  await srcP2P.start();
  const server = new SnapshotServer(
    { ...defaultSnapshotOptions, intervalBlocks: 1, kept: 2, keepVersions: src.node.opts.state.keepVersions, bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX },
    { chain: src.node.chain, blocks: src.node.blocks, state: src.node.state, p2p: srcP2P, log: silent },
  );
  server.start();
  const srcSync = new BlockSync(defaultBftOptions, { chain: src.node.chain, blocks: src.node.blocks, p2p: srcP2P, clock: systemClock, log: silent, onAdvanced: () => undefined, bytesMax: BLOCK_BYTES_MAX });
  srcSync.start();
  const expected = src.node.state.rootAt(height)!;

  // By snapshot.
  log(`[state_sync] joining at height ${height} by state sync…`);
  const snapP2P = peer(snapKeys, [idOf(srcKeys)]);
  await snapP2P.start();
  await linked(snapP2P, srcP2P, idOf(srcKeys));
  const snapDir = join(dir, 'snapshot', 'data');
  mkdirSync(snapDir, { recursive: true });
  const snapBytes0 = snapP2P.stats().bytesReceived;
  const t0 = performance.now();
  const db = openDb(join(snapDir, 'salus.db'));
  const report = await new StateSyncRestore({ ...defaultStateSyncOptions, discoveryMs: 0 }, { db, genesis: src.genesis, ed: src.node.ed, p2p: snapP2P, clock: systemClock, log: silent, bytesMax: SNAPSHOT_MESSAGE_BYTES_MAX }).run(trust);
  db.close();
  const snapNode = new SalusNode({ genesis: src.genesis, nodeKeys: snapKeys, dataDir: snapDir, dbFile: join(snapDir, 'salus.db'), options: { log: { level: 'silent' } } });
  const snapSeconds = (performance.now() - t0) / 1000;
  if (snapNode.chain.lastHeight() !== height || !bytesEqual(snapNode.state.root, expected)) fail('the node restored from the snapshot is not at the source\'s state');
  const snapshot = { seconds: round(snapSeconds, 3), bytes_received: snapP2P.stats().bytesReceived - snapBytes0, data_dir_bytes: dirBytes(snapDir).total, chunks: report.chunks, entries: report.entries };
  await snapNode.stop();
  await snapP2P.close();

  // By block replay.
  log(`[state_sync] joining at height ${height} by block sync…`);
  const replayP2P = peer(replayKeys, [idOf(srcKeys)]);
  await replayP2P.start();
  await linked(replayP2P, srcP2P, idOf(srcKeys));
  const replayDir = join(dir, 'replay', 'data');
  const replayBytes0 = replayP2P.stats().bytesReceived;
  const t1 = performance.now();
  const replayNode = new SalusNode({ genesis: src.genesis, nodeKeys: replayKeys, dataDir: replayDir, dbFile: join(replayDir, 'salus.db'), options: { log: { level: 'silent' } } });
  const sync = new BlockSync(defaultBftOptions, { chain: replayNode.chain, blocks: replayNode.blocks, p2p: replayP2P, clock: systemClock, log: silent, onAdvanced: () => undefined, bytesMax: BLOCK_BYTES_MAX });
  sync.start();
  const deadline = performance.now() + 1_800_000;
  while (replayNode.chain.lastHeight() < height) {
    if (performance.now() > deadline) fail('block sync did not reach the height in 30 minutes');
    await new Promise((r) => setTimeout(r, 5));
  }
  const replaySeconds = (performance.now() - t1) / 1000;
  if (!bytesEqual(replayNode.state.rootAt(height)!, expected)) fail('the node joined by block sync is not at the source\'s state');
  const replay = { seconds: round(replaySeconds, 3), bytes_received: replayP2P.stats().bytesReceived - replayBytes0, data_dir_bytes: dirBytes(replayDir).total, blocks: height };
  sync.stop();
  await replayNode.stop();
  await replayP2P.close();

  srcSync.stop();
  server.stop();
  await srcP2P.close();
  await src.node.stop();
  const result: StateSyncResult = {
    bench: 'state_sync',
    txs: f.txs,
    height,
    state_entries: stateEntries,
    snapshot,
    replay,
    snapshot_speedup: round(replaySeconds / snapSeconds, 2),
    snapshot_bytes_vs_replay: round(snapshot.bytes_received / replay.bytes_received, 3),
    how: 'one source node in this process; each joining node on loopback p2p in this process; time until a node opened on the joined directory is at the height with the source\'s app hash; bytes as its p2p link counted them (frames received)',
  };
  log(`[state_sync] ${f.txs} txs, height ${height}, ${stateEntries} state entries: snapshot ${snapshot.seconds} s / ${snapshot.bytes_received} B; replay ${replay.seconds} s / ${replay.bytes_received} B`);
  return result;
}
