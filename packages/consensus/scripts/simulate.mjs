#!/usr/bin/env node
// Runs the deterministic consensus simulator over many seeds (built dist, native Ed25519).
//   node packages/consensus/scripts/simulate.mjs --seeds 5000 --scenario all [--start 1] [--verbose]
//   node packages/consensus/scripts/simulate.mjs --scenario crash-4 --seed 1234 --verbose   (replay one run exactly)
// Exits 1 on the first failing seed, after printing it and the command that replays it.
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pureEd25519 } from '@salus/core';
import { SCENARIOS, runSimulation, scenarioByName } from '@salus/consensus';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    scenario: { type: 'string', default: 'all' },
    verbose: { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

if (args.list) {
  for (const s of SCENARIOS) console.log(`${s.name.padEnd(20)} ${s.description}`);
  process.exit(0);
}

const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const pubs = new Map();
const privs = new Map();
const id = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const ed25519 = {
  sign: (sk, msg) => {
    let k = privs.get(id(sk));
    if (!k) privs.set(id(sk), (k = createPrivateKey({ key: Buffer.concat([PKCS8, sk]), format: 'der', type: 'pkcs8' })));
    return new Uint8Array(sign(null, msg, k));
  },
  verify: (pk, msg, sig) => {
    if (!(pk instanceof Uint8Array) || pk.length !== 32 || !(sig instanceof Uint8Array) || sig.length !== 64) return false;
    try {
      let k = pubs.get(id(pk));
      if (!k) pubs.set(id(pk), (k = createPublicKey({ key: Buffer.concat([SPKI, pk]), format: 'der', type: 'spki' })));
      return verify(null, msg, k, sig);
    } catch {
      return false;
    }
  },
  publicKey: (sk) => pureEd25519.publicKey(sk),
};

const scenarios = args.scenario === 'all' ? SCENARIOS : args.scenario.split(',').map((n) => scenarioByName(n) ?? fail(`unknown scenario ${n}; --list shows them`));
const seeds = args.seed !== undefined ? [Number(args.seed)] : Array.from({ length: Number(args.seeds) }, (_, i) => Number(args.start) + i);

function fail(msg) {
  console.error(msg);
  process.exit(2);
}

const started = performance.now();
let runs = 0;
let failures = 0;
for (const scenario of scenarios) {
  const t0 = performance.now();
  const agg = { failed: 0, heights: 0, virtualMs: 0, evidence: 0, proposalEvidence: 0, signRefused: 0, synced: 0, restarts: 0, crashesSignedUnsent: 0, badParts: 0, partRequests: 0 };
  const metrics = {};
  for (const seed of seeds) {
    const r = runSimulation(scenario, seed, { ed25519, onTrace: args.verbose ? (l) => console.log(l) : undefined });
    runs++;
    agg.heights += Math.min(...r.honest.map((i) => r.committed[i]));
    agg.virtualMs += r.virtualMs;
    for (const k of ['evidence', 'proposalEvidence', 'signRefused', 'synced', 'restarts', 'crashesSignedUnsent', 'badParts', 'partRequests']) agg[k] += r.totals[k];
    for (const [k, x] of Object.entries(r.metrics)) (metrics[k] ??= []).push(x);
    if (args.verbose || !r.ok) {
      console.log(JSON.stringify({ scenario: r.scenario, seed, ok: r.ok, committed: r.committed, virtualMs: r.virtualMs, gstMs: r.gstMs, events: r.events, network: r.network, totals: r.totals }));
    }
    if (!r.ok) {
      failures++;
      agg.failed++;
      console.log(`\nFAIL ${scenario.name} seed ${seed}: [${r.violation.invariant}] ${r.violation.message} (at ${r.violation.atMs} ms virtual)`);
      console.log(r.trace.map((l) => `  ${l}`).join('\n'));
      console.log(`\nreplay exactly with:\n  ${r.replay}\n`);
      if (!args['keep-going']) process.exit(1);
    }
  }
  const n = seeds.length;
  console.log(
    `${scenario.name.padEnd(20)} ${n} seeds, ${n - agg.failed} ok, in ${((performance.now() - t0) / 1000).toFixed(1)} s:` +
      ` honest min height ${(agg.heights / n).toFixed(1)}, virtual ${(agg.virtualMs / n / 1000).toFixed(1)} s (averages);` +
      ` evidence ${agg.evidence} (of proposals ${agg.proposalEvidence}), signer refusals ${agg.signRefused}, synced blocks ${agg.synced}, restarts ${agg.restarts}, crashes between sign and send ${agg.crashesSignedUnsent},` +
      ` part requests ${agg.partRequests}, bad parts ${agg.badParts}`,
  );
  for (const [k, xs] of Object.entries(metrics)) {
    const sorted = [...xs].sort((a, b) => a - b);
    const f = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2));
    console.log(`  ${k.padEnd(18)} min ${f(sorted[0])}  p50 ${f(sorted[Math.floor(sorted.length / 2)])}  mean ${f(xs.reduce((a, b) => a + b, 0) / xs.length)}  p99 ${f(sorted[Math.floor(sorted.length * 0.99)])}  max ${f(sorted.at(-1))}`);
  }
}
console.log(`${runs} runs, ${failures} failures, ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(failures > 0 ? 1 : 0);
