#!/usr/bin/env node
// The multi-chain simulation (ADR 0014): N independent chains with their own validators, block times
// from the seeded consensus simulator, a per-validator cost model, a share of custody transfers
// relayed between chains (with relayer faults), the channels module's real handlers on every chain.
// Prints one JSON document: total committed throughput for 1, 2, 4, ..., 64 chains and whether every
// run kept the protocol's promises. Exits 1 if any run broke one.
//   node packages/modules/channels/scripts/simulate.mjs [--max 64] [--seed 1] [--duration-ms 4000] [--cross 0.1]
import { parseArgs } from 'node:util';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { DEFAULT_MULTICHAIN, runMultiChain } from '@salus/channels';

const { values: args } = parseArgs({
  options: {
    max: { type: 'string', default: '64' },
    seed: { type: 'string', default: '1' },
    'duration-ms': { type: 'string', default: String(DEFAULT_MULTICHAIN.durationMs) },
    cross: { type: 'string', default: String(DEFAULT_MULTICHAIN.crossFraction) },
    validators: { type: 'string', default: String(DEFAULT_MULTICHAIN.validatorsPerChain) },
  },
});

// native Ed25519 (OpenSSL) with keys cached: the consensus runs sign and verify every vote
const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const privs = new Map();
const pubs = new Map();
const id = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const priv = (sk) => privs.get(id(sk)) ?? privs.set(id(sk), createPrivateKey({ key: Buffer.concat([PKCS8, sk]), format: 'der', type: 'pkcs8' })).get(id(sk));
const pub = (pk) => pubs.get(id(pk)) ?? pubs.set(id(pk), createPublicKey({ key: Buffer.concat([SPKI, pk]), format: 'der', type: 'spki' })).get(id(pk));
const ed25519 = {
  sign: (sk, msg) => new Uint8Array(sign(null, msg, priv(sk))),
  verify: (pk, msg, sig) => pk instanceof Uint8Array && pk.length === 32 && sig instanceof Uint8Array && sig.length === 64 && verify(null, msg, pub(pk), sig),
  publicKey: (sk) => new Uint8Array(createPublicKey(priv(sk)).export({ format: 'der', type: 'spki' }).subarray(12)),
};

const max = Number(args.max);
const runs = [];
for (let n = 1; n <= max; n *= 2) {
  const started = Date.now();
  const r = runMultiChain({ ...DEFAULT_MULTICHAIN, chains: n, seed: Number(args.seed), durationMs: Number(args['duration-ms']), crossFraction: Number(args.cross), validatorsPerChain: Number(args.validators), ed25519 });
  runs.push({ ...r, wallMs: Date.now() - started });
  process.stderr.write(`${n} chains: ${r.txsPerSecond} tx/s, ${r.transfers.sent} transfers, ${r.violations.length} violations (${Date.now() - started} ms)\n`);
}
const base = runs[0].txsPerSecond;
const out = {
  simulation: 'channels',
  costs: DEFAULT_MULTICHAIN.costs,
  crossFraction: Number(args.cross),
  validatorsPerChain: Number(args.validators),
  durationMs: Number(args['duration-ms']),
  seed: Number(args.seed),
  scaling: runs.map((r) => ({ chains: r.chains, txsPerSecond: r.txsPerSecond, perChain: r.perChainTxsPerSecond, speedup: Math.round((r.txsPerSecond / base) * 100) / 100, efficiency: Math.round((r.txsPerSecond / base / r.chains) * 100) / 100, meanBlockMs: r.meanBlockMs, transfers: r.transfers, relayTxs: r.relayTxs, refused: r.refused, violations: r.violations, wallMs: r.wallMs })),
  ok: runs.every((r) => r.violations.length === 0),
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
process.exit(out.ok ? 0 : 1);
