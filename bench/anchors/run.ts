// The anchors benchmark's run: a FAST 4-validator localnet, registered device keys, items signed
// beforehand, the verification ceiling measured on the idle machine, the load, the wait for every
// batch to be on the ledger, a sample of proofs verified by the SDK, and the figures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AnchorsClient, SalusClient, Wallet } from '@salus/client';
import { fromHex, toHex } from '@salus/core';
import { fail, log } from '../lib/cli.js';
import { startFastLocalnet, startLocalnetBench, stopFastLocalnet } from '../lib/localnet.js';
import { createNativeEd25519 } from '../lib/native-crypto.js';
import { figureSummary, localnetResult, setFiguresAndLoad, writeResultFile, type Figures, type LocalnetResult } from '../lib/results.js';
import { latencyStats, round } from '../lib/stats.js';
import type { AnchorsFlags } from './flags.js';
import { requestBodies, signItems, verifyOnPool, verifyPerCore, verifySamplesOf } from './items.js';
import { postAll, waitAnchored } from './load.js';

const TAG = 'anchors';

export async function runAnchors(flags: AnchorsFlags): Promise<LocalnetResult> {
  const bench = startLocalnetBench({ prefix: 'salus-bench-anchors-', keep: flags.keep, tag: TAG });
  try {
    const net = await startFastLocalnet({ dir: bench.dir, track: bench.track, tag: TAG, logLevel: flags.logLevel });
    const ed = createNativeEd25519();
    const nodes = [...Array(Math.min(4, Math.max(1, flags.nodes))).keys()];
    const genesis = JSON.parse(readFileSync(join(net.nodesInit[0]!.home, 'genesis.json'), 'utf8')) as { chainId: string; validators: { pubKey: string; power: number }[] };
    // the genesis set in the chain's order (by public key), which headers hash
    const trustedValidators = [...genesis.validators].sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1)).map((v) => ({ pubKey: fromHex(v.pubKey, 32), power: v.power }));
    const client = (i: number) => new SalusClient({ url: net.url(i), ed, trustedValidators });

    // device keys of the anchoring nodes' organisations (each admin signs its own members in)
    const submitters = await Promise.all(
      nodes.map(async (n) => {
        const admin = Wallet.import(JSON.parse(readFileSync(join(net.nodesInit[n]!.home, 'keys', `${net.orgs[n]}-admin.json`), 'utf8')), ed);
        const mine: { wallet: Wallet; secretKey: Uint8Array }[] = [];
        for (let k = n; k < flags.submitters; k += nodes.length) {
          const w = Wallet.create(ed);
          await client(n).send(admin, 'identity', 'add_member', { org: net.orgs[n]!, signingKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey), role: 'device', name: `Device ${k}` });
          mine.push({ wallet: w, secretKey: fromHex(w.export().signing.secretKey, 32) });
        }
        return mine;
      }),
    );
    const keys = submitters.flat();
    // every node must know every submitter before the clock starts
    const tip = Math.max(...(await Promise.all(nodes.map(async (n) => (await client(n).status()).height))));
    for (const n of nodes) while ((await client(n).status()).height < tip) await new Promise((r) => setTimeout(r, 100));

    log(`[${TAG}] signing ${flags.items} items with ${keys.length} device keys`);
    const signed = signItems(ed, genesis.chainId, keys, flags.items);
    const bodies = requestBodies(signed.items, flags.requestItems);
    const samples = verifySamplesOf(genesis.chainId, signed.items, 2000);
    // the ceiling on the idle network, before the load and again after it (the machine is shared: the mean of both)
    const before = { perCore: verifyPerCore(ed, samples), pool: await verifyOnPool(samples) };
    const cores = bench.mach.nproc;
    log(`[${TAG}] verification ceiling: ${Math.round(before.perCore.perS)}/s on one core (${round(before.perCore.cpuUs, 1)} µs of CPU each), ${Math.round(before.pool)}/s on the thread pool (${cores} cores)`);

    const cpu0 = net.nodeCpu();
    log(`[${TAG}] posting ${bodies.length} requests of ${flags.requestItems} items to ${nodes.length} node(s), ${flags.concurrency} in flight each`);
    const load = await postAll(nodes.map((n) => net.url(n)), bodies, (i) => Math.min(flags.requestItems, flags.items - i * flags.requestItems), flags.concurrency);
    const acceptedMs = Math.max(...load.posts.map((p) => p.t1)) - load.startPerf;
    const batches = [...new Map(load.posts.map((p) => [`${p.anchorer}/${p.batch}`, { anchorer: p.anchorer, batch: p.batch }])).values()];
    const anchored = await waitAnchored(net.getJson, net.url(0), batches, flags.anchorTimeoutS * 1000);
    const cpu1 = net.nodeCpu();
    const lastAnchorMs = Math.max(...anchored.map((b) => b.time)) - load.startEpochMs;
    const itemsAnchored = anchored.reduce((a, b) => a + b.count, 0);
    if (itemsAnchored !== flags.items) fail(`the anchored batches hold ${itemsAnchored} items, not the ${flags.items} sent`);
    const late = anchored.filter((b) => b.height > b.deadline).length;
    const after = { perCore: verifyPerCore(ed, samples), pool: await verifyOnPool(samples) };
    const perCore = (before.perCore.perS + after.perCore.perS) / 2;
    const verifyCpuUs = (before.perCore.cpuUs + after.perCore.cpuUs) / 2;
    const pool = (before.pool + after.pool) / 2;
    log(`[${TAG}] verification ceiling after the load: ${Math.round(after.perCore.perS)}/s on one core (${round(after.perCore.cpuUs, 1)} µs of CPU each), ${Math.round(after.pool)}/s on the thread pool`);

    // a sample of items proven to a light client that trusts the genesis validators
    const t0 = performance.now();
    let proven = 0;
    for (let k = 0; k < flags.proofs; k++) {
      const i = Math.floor((k * signed.items.length) / flags.proofs);
      const node = nodes[Math.floor(i / flags.requestItems) % nodes.length]!;
      const p = await new AnchorsClient(client(node)).proof(signed.hashes[i]!);
      if (p.verified.hash === signed.hashes[i]) proven++;
    }
    const proofMs = (performance.now() - t0) / Math.max(1, flags.proofs);

    const anchoredPerS = flags.items / (lastAnchorMs / 1000);
    const nodeCpuUs = (cpu1.reduce((a, c, i) => a + c - cpu0[i]!, 0) * 1e6) / flags.items;
    const fig: Figures = {
      items_anchored_per_s: { figure: 'items anchored per second (first request sent → last batch on the ledger, block time)', target: `>= ${flags.targetItemsPerS}`, measured: Math.round(anchoredPerS), met: anchoredPerS >= flags.targetItemsPerS },
      ratio_to_verify_ceiling: { figure: "items anchored/s ÷ this machine's Ed25519 verifications/s on the thread pool (every item is verified once, by the node that takes it)", target: null, measured: round(anchoredPerS / pool, 3), met: null, reference: { pool_verify_per_s: Math.round(pool), one_core_verify_per_s: Math.round(perCore), cores, before: { pool: Math.round(before.pool), one_core: Math.round(before.perCore.perS) }, after: { pool: Math.round(after.pool), one_core: Math.round(after.perCore.perS) } } },
      node_cpu_per_item: {
        figure: "the four validators' CPU per anchored item (µs; receiving, verifying, storing, batching, consensus) ÷ the CPU of one Ed25519 verification",
        target: null,
        measured: round(nodeCpuUs / verifyCpuUs, 2),
        met: null,
        reference: { node_cpu_us_per_item: round(nodeCpuUs, 1), verify_cpu_us: round(verifyCpuUs, 1), projected_items_per_s_if_the_nodes_had_all_cores: Math.round((cores * 1e6) / nodeCpuUs) },
      },
      items_received_per_s: { figure: 'items receipted per second (first request sent → last receipt)', target: null, measured: Math.round(flags.items / (acceptedMs / 1000)), met: null },
      proofs_verified: { figure: 'sampled items proven to a light client trusting genesis (commit → app hash → batch root → item)', target: `${flags.proofs} of ${flags.proofs}`, measured: proven, met: proven === flags.proofs },
      batches_on_time: { figure: 'batches on the ledger by the deadline their receipts named', target: `${anchored.length} of ${anchored.length}`, measured: anchored.length - late, met: late === 0 },
    };
    const result = localnetResult({
      bench: 'anchors',
      description: 'Layer 2 anchoring: pre-signed items posted in large CBOR requests to the nodes, batched by each node into sorted Merkle trees whose roots go on the ledger (one transaction per batch)',
      mach: bench.mach,
      flags,
      orgs: net.orgs,
      setup: { anchoring_nodes: nodes.length, submitters: keys.length, sign_items_s: round(signed.signMs / 1000, 1), request_bytes_mean: Math.round(bodies.reduce((a, b) => a + b.length, 0) / bodies.length), params: await net.getJson(`${net.url(0)}/v1/anchors/params`) },
    });
    result.phases.load = {
      requests: load.posts.length,
      retried: load.retried,
      receipt_latency_ms: latencyStats(load.posts.map((p) => p.t1 - p.t0)),
      received_s: round(acceptedMs / 1000, 2),
      anchored_s: round(lastAnchorMs / 1000, 2),
      batches: anchored.length,
      batch_items: latencyStats(anchored.map((b) => b.count)),
      proof_fetch_and_verify_ms: round(proofMs, 1),
      validator_cpu_s_during_load: cpu1.map((c, i) => round(c - cpu0[i]!, 1)),
    };
    const validatorCpuS = await stopFastLocalnet(net, TAG, result);
    setFiguresAndLoad({ result, fig, crashes: net.crashes, meter: bench.meter, validatorCpuS, note: 'validators and this process (which signs beforehand, measures the ceiling, posts and polls) share the machine' });
    result.summary = figureSummary(fig);
    writeResultFile(result, flags.out, TAG);
    return result;
  } finally {
    bench.cleanup();
  }
}
