#!/usr/bin/env node
// Light-client proof verification: core's verifyTxInclusion (commit signatures of the validator set
// + RFC 9162 inclusion proof) per proof, median over many, with the node's native Ed25519 and with
// core's pure-JS Ed25519 (what the client SDK and the browser use). The peer measured in the same
// run is one native Ed25519 verification: a proof costs at least `validators` of them.
// Also reported: BlockStore.txProof (the node building an inclusion proof), for information.
//
//   node bench/out/ts/proofs.js [--proofs 5000] [--validators 4] [--block-txs 10000]
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  EMPTY_ROOT,
  headerHash,
  inclusionProof,
  leafHash,
  merkleRoot,
  precommitSignBytes,
  pureEd25519,
  txHash,
  validatorsHash,
  verifyCommit,
  verifyInclusion,
  verifyTxInclusion,
  type BlockHeader,
  type Commit,
  type Ed25519,
  type InclusionProof,
} from '@salus/core';
import { encodeResult, resultsRoot } from '@salus/module';
import { createNativeEd25519 } from '@salus/node';
import { verifyRate, verifySamples } from './lib/ceiling.js';
import { codeOf, emit, log, runMain } from './lib/cli.js';
import { tempDir } from './lib/files.js';
import { parseFlags } from './lib/flags.js';
import { BlockStore, openDb } from './lib/internals.js';
import { keyFromSecret } from './lib/keys.js';
import { loadMeter, machine } from './lib/machine.js';
import { median, prng, round, summary } from './lib/stats.js';
import { generateTxs } from './lib/txgen.js';

runMain(async () => {
  const flags = parseFlags({ proofs: 5000, pureProofs: 300, validators: 4, blockTxs: 10_000, storeProofs: 200, targetUs: 1000 });
  const meter = loadMeter();
  const native = createNativeEd25519();
  const pure = pureEd25519;

  log(`[proofs] signing a block of ${flags.blockTxs} transactions…`);
  const txs = await generateTxs({ workload: 'register_patient', n: flags.blockTxs, adminCount: 1 });
  const vals = Array.from({ length: flags.validators }, (_, i) => keyFromSecret(new Uint8Array(32).fill(100 + i)));
  const validators = vals.map((k) => ({ pubKey: k.publicKey, power: 10 }));
  const chainId = 'salus-bench';
  const header: BlockHeader = {
    chainId,
    height: 1234,
    time: 1_700_000_000_000,
    prevHash: new Uint8Array(32).fill(1),
    txRoot: merkleRoot(txs),
    txCount: txs.length,
    appHash: new Uint8Array(32).fill(2),
    lastResultsHash: EMPTY_ROOT,
    validatorsHash: validatorsHash(validators),
    proposer: vals[0]!.publicKey,
  };
  const blockHash = headerHash(header);
  const commit: Commit = {
    height: header.height,
    round: 0,
    blockHash,
    signatures: vals.map((k) => ({ validator: k.publicKey, signature: native.sign(k.secretKey, precommitSignBytes(chainId, header.height, 0, blockHash)) })),
  };
  const leaves = txs.map((t) => leafHash(t));
  const rnd = prng(12345);
  // Building an inclusion proof costs O(block size) hashes (see node_txProof_generation), so a few
  // hundred distinct proofs are built and verified in turn; verification cost does not depend on which.
  const distinct = Array.from({ length: Math.min(256, flags.proofs) }, () => {
    const i = rnd(txs.length);
    return { tx: txs[i]!, proof: inclusionProof(leaves, i) };
  });
  const cases = Array.from({ length: flags.proofs }, (_, k) => distinct[k % distinct.length]!);

  function timeProofs(ed: Ed25519, list: readonly { tx: Uint8Array; proof: InclusionProof }[]): number[] {
    const us: number[] = [];
    for (const c of list) {
      const t0 = performance.now();
      verifyTxInclusion(ed, c.tx, c.proof, header, commit, validators);
      us.push((performance.now() - t0) * 1000);
    }
    return us;
  }

  // A tampered proof must fail, or the timing means nothing.
  try {
    const c0 = cases[0]!;
    verifyTxInclusion(native, c0.tx, { ...c0.proof, leafIndex: (c0.proof.leafIndex + 1) % txs.length }, header, commit, validators);
    log('[proofs] a tampered proof verified');
    process.exit(1);
  } catch (e) {
    if (codeOf(e) !== 'BAD_PROOF') throw e;
  }

  log(`[proofs] verifying ${flags.proofs} proofs (native)…`);
  // Chunks of proofs alternate with measurements of the peer, so both see the same machine load.
  timeProofs(native, cases.slice(0, 200)); // warm-up
  const samples = verifySamples(txs, 1000);
  const rates = [verifyRate(native, samples, 200)];
  const nativeUs: number[] = [];
  const chunks = 5;
  for (let c = 0; c < chunks; c++) {
    nativeUs.push(...timeProofs(native, cases.slice(Math.floor((c * cases.length) / chunks), Math.floor(((c + 1) * cases.length) / chunks))));
    rates.push(verifyRate(native, samples, 200));
  }
  const verifyUs = 1e6 / median(rates);

  // The parts: commit alone, inclusion alone (native).
  const commitUs: number[] = [];
  const inclUs: number[] = [];
  for (const c of cases.slice(0, Math.min(2000, cases.length))) {
    let t0 = performance.now();
    verifyCommit(native, header, commit, validators);
    commitUs.push((performance.now() - t0) * 1000);
    t0 = performance.now();
    verifyInclusion(leafHash(c.tx), c.proof, header.txRoot);
    inclUs.push((performance.now() - t0) * 1000);
  }

  log(`[proofs] verifying ${flags.pureProofs} proofs (pure JS Ed25519)…`);
  timeProofs(pure, cases.slice(0, 20));
  const pureUs = timeProofs(pure, cases.slice(0, flags.pureProofs));

  // The node's side: BlockStore.txProof reads the whole block back and hashes every leaf per proof.
  const dir = tempDir('salus-bench-proofs-');
  const db = openDb(join(dir, 'salus.db'));
  const blocks = new BlockStore(db);
  const results = txs.map(() => encodeResult({ code: 'OK', log: '', events: [] }));
  db.transaction(() => blocks.save(header, commit, txs, txs.map((t) => txHash(t)), results, resultsRoot(results)))();
  const storeUs: number[] = [];
  for (let i = 0; i < flags.storeProofs; i++) {
    const idx = rnd(txs.length);
    const t0 = performance.now();
    const p = blocks.txProof(header.height, idx);
    storeUs.push((performance.now() - t0) * 1000);
    if (!verifyInclusion(leafHash(txs[idx]!), p, header.txRoot)) {
      log('[proofs] BlockStore.txProof produced a proof that does not verify');
      process.exit(1);
    }
  }
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const nMed = median(nativeUs);
  const pMed = median(pureUs);
  emit({
    bench: 'proofs',
    description: `verifyTxInclusion (commit of ${flags.validators} validators + RFC 9162 inclusion in a block of ${flags.blockTxs}) per proof`,
    machine: machine(),
    load: meter.stop(),
    flags,
    target: `median <= ${flags.targetUs} us per proof`,
    peer_native_verify_us: round(verifyUs, 1),
    native: {
      ...summary(nativeUs),
      ratio_to_target: round(nMed / flags.targetUs, 3),
      ratio_to_signature_floor: round(nMed / (flags.validators * verifyUs), 3),
      pass: nMed <= flags.targetUs,
      parts_median_us: { verifyCommit: round(median(commitUs), 1), verifyInclusion: round(median(inclUs), 1) },
    },
    pure_js: {
      ...summary(pureUs),
      ratio_to_target: round(pMed / flags.targetUs, 3),
      pass: pMed <= flags.targetUs,
      note: 'core.pureEd25519 (@noble/curves), the default of the client Wallet and of any browser light client',
    },
    node_txProof_generation: { ...summary(storeUs), note: `BlockStore.txProof on a block of ${flags.blockTxs}: reads all the block's txs and hashes every leaf per proof` },
    pass: nMed <= flags.targetUs,
  });
});
