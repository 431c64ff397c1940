import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Wallet } from '@salus/client';
import { type Canonical, generateIdentityKeys, sha256, toHex, utf8ToBytes } from '@salus/core';
import { runSimulation, scenarioByName, type Scenario } from '@salus/consensus';
import { parseGenesis } from '@salus/module';
import { bundleContract, contractCodeHash } from '@salus/contracts';
import { MODULES } from '../src/app/modules.js';
import { GENESIS_TIME, ed } from './ledger-harness.js';
import { PerfectGossip, SimNodeLedger } from './sim-ledger.js';

/**
 * Contracts under seeded consensus: random contract programs (integer arithmetic, bounded loops,
 * state reads, writes, deletes and ordered lists, events, deliberate failures and a rare infinite
 * loop) called with random arguments by several signers, on four simulated validators that each
 * run a real ledger with the contracts module, under message loss and a crash. Every honest
 * validator must reach the same app hash and the same result (value, gas, events) for every call.
 */
const seedOf = (label: string) => sha256(utf8ToBytes(`contracts-sim/${label}`));
const admins = Array.from({ length: 4 }, (_, i) => Wallet.fromSeed(seedOf(`admin/${i}`), seedOf(`admin-enc/${i}`), ed));
const validatorKeys = Array.from({ length: 4 }, (_, i) => generateIdentityKeys({ signing: seedOf(`validator/${i}`), encryption: seedOf(`validator-enc/${i}`) }));
const genesis = parseGenesis({
  chainId: 'salus-sim-contracts',
  genesisTime: GENESIS_TIME,
  organisations: admins.map((a, i) => ({ id: `org-${i}`, name: `Organisation ${i}`, kind: 'hospital', adminKey: a.publicKeyHex, encryptionKey: toHex(a.encryptionPublicKey) })),
  validators: validatorKeys.map((k, i) => ({ pubKey: toHex(k.signing.publicKey), power: 10, org: `org-${i}` })),
});

/** One statement of a generated program; `a` is the call's arguments ({ x, y } integers), `acc` an accumulator. */
const statement = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 4 }).map((k) => `state.set('k${k}', ((state.get<number>('k${k}') ?? 0) + a.y * ${k + 1}) % 1000003);`) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 300 }).map((n) => `for (let i = 0; i < ${n}; i++) acc = (acc * 31 + i * a.x) % 1000003;`) },
  { weight: 2, arbitrary: fc.constant(`acc += state.list<number>('k', { limit: 3 }).reduce((s, [, v]) => s + v, 0);`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((k) => `state.delete('k${k}');`) },
  { weight: 2, arbitrary: fc.constant(`emit('step', { acc, x: a.x });`) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 7 }).map((m) => `if (a.x % ${m} === 0) fail('DIVISIBLE', 'x is divisible by ${m}');`) },
  { weight: 1, arbitrary: fc.constant(`acc = [acc, a.x, a.y].sort((p, q) => q - p)[0]! + Object.keys({ p: 1, q: 2 }).length;`) },
  { weight: 1, arbitrary: fc.constant(`acc += JSON.stringify({ acc, s: String(a.y) }).length;`) },
  { weight: 1, arbitrary: fc.constant(`if (a.x % 7 === 3) { for (;;) {} }`) },
);
const program = fc.array(statement, { minLength: 1, maxLength: 8 }).map(
  (body) => `import { state, emit, fail } from '@salus/contracts/sdk';
export function run(a: { x: number; y: number }) {
  let acc = 1;
  ${body.join('\n  ')}
  return acc;
}`,
);
const calls = fc.array(fc.record({ signer: fc.integer({ min: 0, max: 2 }), x: fc.integer({ min: 0, max: 20 }), y: fc.integer({ min: -50, max: 50 }) }), { minLength: 3, maxLength: 10 });

const lossyCrash: Scenario = {
  ...scenarioByName('lossy-4')!,
  name: 'contracts-lossy-crash-4',
  heights: 6,
  faults: (c) => {
    c.at(300, () => c.crash(2, { point: 'midEffects' }));
    c.at(900, () => c.restart(2));
  },
};

let open: SimNodeLedger[] = [];
afterEach(() => {
  for (const l of open) l.close();
  open = [];
});

describe('contracts under seeded consensus, one real ledger per validator', () => {
  it('random contract programs and calls reach the same app hash and results on every validator (property)', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(program, calls, fc.integer({ min: 1, max: 1_000_000 }), async (source, planned, seed) => {
        const { code } = await bundleContract({ source, fileName: 'generated.ts' });
        const nonces = [0, 0, 0];
        const tx = (signer: number, type: string, payload: Canonical) => admins[signer]!.buildTx({ chainId: genesis.chainId, nonce: nonces[signer]!++, module: 'contracts', type, payload });
        const txs = [
          tx(0, 'deploy', { code }),
          tx(0, 'instantiate', { name: 'generated', codeHash: contractCodeHash(code), manifest: { name: 'generated', version: '1', methods: { run: { kind: 'call' } }, upgrade: { policy: 'owner' } } }),
          ...planned.map((c) => tx(c.signer, 'call', { contract: 'generated', method: 'run', args: { x: c.x, y: c.y }, gas: 3_000_000 })),
        ];
        const ledgers: SimNodeLedger[] = [];
        const gossip = new PerfectGossip(() => ledgers);
        const result = runSimulation(lossyCrash, seed, {
          ed25519: ed,
          host: {
            chainId: genesis.chainId,
            secretKeys: validatorKeys.map((k) => k.signing.secretKey),
            epochMs: GENESIS_TIME,
            ledger: (i) => {
              const l = new SimNodeLedger(genesis, MODULES, { onRestart: (me) => gossip.replayTo(me), beforePropose: (me) => gossip.offerForced(me) });
              ledgers[i] = l;
              open.push(l);
              return l;
            },
            setup: (sim) => txs.forEach((t, i) => sim.at(40 + i * 60, () => gossip.submit(t, sim.isUp))),
            until: () => gossip.submitted.length === txs.length && gossip.allCommitted(ledgers),
          },
        });
        if (!result.ok) expect.fail(`seed ${seed}: [${result.violation!.invariant}] ${result.violation!.message}`);
        // the checker compared app hashes and results roots height by height; here, each call's full result
        const reference = txs.map((t) => ledgers[0]!.chain.receipt(t.hash)?.result);
        expect(reference.every((r) => r !== undefined)).toBe(true);
        expect(reference[0]!.code).toBe('OK');
        for (const l of ledgers.slice(1)) expect(txs.map((t) => l.chain.receipt(t.hash)?.result)).toEqual(reference);
        for (const r of reference.slice(2)) {
          seen.add(r!.code);
          expect(['OK', 'CONTRACT_FAILED', 'OUT_OF_GAS']).toContain(r!.code);
          expect(r!.gasUsed).toBeGreaterThan(0);
        }
        for (const l of ledgers) l.close();
        open = [];
      }),
      { numRuns: 25, seed: 20261204 },
    );
    // the runs exercised success and both kinds of failure, not only the happy path
    expect([...seen].sort()).toEqual(['CONTRACT_FAILED', 'OK', 'OUT_OF_GAS']);
  });
});
