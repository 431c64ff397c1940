import { afterEach, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { type Canonical, type CodesOf, SalusError, generateIdentityKeys, headerHash, registerErrors, sha256, toHex, utf8ToBytes, v } from '@salus/core';
import { type Scenario, type SimResult, runSimulation, scenarioByName } from '@salus/consensus';
import { type AppModule, type KV, type TxResult, nonceKey, parseGenesis, type RouteServices } from '@salus/module';
import type { FastifyInstance } from 'fastify';
import { MODULES } from '../src/app/modules.js';
import { GENESIS_TIME, ed } from './ledger-harness.js';
import { PerfectGossip, SimNodeLedger } from './sim-ledger.js';

/*
 * The module contract under consensus: a module defined only here ("tally") runs inside real
 * Chains, one per simulated validator, next to the registry's modules, while the seeded simulator
 * drops, duplicates and delays messages and crashes validators. Every honest ledger must reach the
 * same app hash and results at every height, and the module's state must be what its committed
 * transactions say.
 */

// ---- the test module -------------------------------------------------------------------------

const TALLY_ERRORS = registerErrors('tally', {
  TALLY_LIMIT: { status: 422, title: 'The counter would pass its limit.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof TALLY_ERRORS> {}
}

const TALLY_MAX = 1000;
const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const counterKey = (name: string) => `tally/counter/${name}`;
const START_KEY = 'tally/start';

function parseTally(type: string, payload: Canonical): { name: string; amount: number } {
  const r = v.record(payload, 'payload');
  v.onlyKeys(r, type === 'add' ? ['name', 'amount'] : ['name'], 'payload');
  return { name: v.str(r.name, 'name', 32, NAME), amount: type === 'add' ? v.uint(r.amount, 'amount', 1_000_000) : 0 };
}

const tallyModule: AppModule = {
  name: 'tally',
  statePrefix: 'tally/',
  txs: {
    types: { add: { summary: 'Adds an amount to a named counter' }, fail: { summary: 'Writes, then always fails' } },
    check: (type, payload) => void parseTally(type, payload),
    deliver(ctx, type, payload) {
      const { name, amount } = parseTally(type, payload);
      const value = ((ctx.state.get(counterKey(name)) as number | undefined) ?? (ctx.state.get(START_KEY) as number)) + amount;
      if (type === 'fail') {
        // a write before the failure, to show that a failed transaction's writes are discarded
        ctx.state.set(counterKey(name), 424242);
        throw new SalusError('FORBIDDEN', 'tally/fail always fails');
      }
      if (value > TALLY_MAX) throw new SalusError('TALLY_LIMIT', `counter ${name} would reach ${value}, above ${TALLY_MAX}`, { name, value });
      ctx.state.set(counterKey(name), value);
      ctx.emit('tally.added', { name, amount, value });
    },
  },
  genesis: {
    validate(section) {
      try {
        const r = v.record(section, 'genesis.modules.tally');
        v.onlyKeys(r, ['start'], 'genesis.modules.tally');
        v.uint(r.start, 'genesis.modules.tally.start', TALLY_MAX);
      } catch (e) {
        throw new SalusError('CONFIG', `genesis section of tally: ${(e as Error).message}`);
      }
    },
    init(state: KV, section) {
      state.set(START_KEY, (section as { start: number }).start);
    },
  },
  errors: TALLY_ERRORS,
  events: [{ type: 'tally.added', attributes: ['name', 'amount', 'value'] }],
  routes(app: FastifyInstance, services: RouteServices) {
    app.get<{ Params: { name: string } }>(
      '/v1/tally/:name',
      { schema: { tags: ['tally'], summary: 'A counter', params: { type: 'object', properties: { name: { type: 'string', pattern: NAME.source } }, required: ['name'] } } },
      async (req) => {
        const value = services.committed().get(counterKey(req.params.name));
        if (value === undefined) throw new SalusError('NOT_FOUND', `no counter ${req.params.name}`);
        return { name: req.params.name, value };
      },
    );
  },
};

// ---- the network ------------------------------------------------------------------------------

const VALIDATORS = 4;
const START = 7;
const seedOf = (label: string) => sha256(utf8ToBytes(`module-contract-sim/${label}`));
/** fixed keys, so a seed reproduces the very same app hashes from one test run to the next */
const admins = Array.from({ length: VALIDATORS }, (_, i) => Wallet.fromSeed(seedOf(`admin/${i}`), seedOf(`admin-enc/${i}`), ed));
const validatorKeys = Array.from({ length: VALIDATORS }, (_, i) => generateIdentityKeys({ signing: seedOf(`validator/${i}`), encryption: seedOf(`validator-enc/${i}`) }));
const genesis = parseGenesis({
  chainId: 'salus-sim-tally',
  genesisTime: GENESIS_TIME,
  organisations: admins.map((a, i) => ({ id: `org-${i}`, name: `Organisation ${i}`, kind: 'hospital', adminKey: a.publicKeyHex, encryptionKey: toHex(a.encryptionPublicKey) })),
  validators: validatorKeys.map((k, i) => ({ pubKey: toHex(k.signing.publicKey), power: 10, org: `org-${i}` })),
  modules: { tally: { start: START } },
});

interface Planned {
  readonly signer: number;
  /** refused at admission (its handler fails), so carried into blocks past the mempool's check */
  readonly forced: boolean;
  readonly type: 'add' | 'fail';
  readonly name: string;
  readonly amount: number;
  readonly at: number;
  readonly bytes: Uint8Array;
  readonly hash: string;
}

/**
 * Admins 0-2 sign adds (nonces in order), spread over the first second of virtual time. Admin 3
 * signs only transactions that fail: admission runs the handler, so those never enter a mempool by
 * `submit`; they reach blocks as a proposer's extra transactions (`PerfectGossip.force`).
 */
function plan(): Planned[] {
  const out: Planned[] = [];
  const specs: [number, 'add' | 'fail', string, number][] = [
    [0, 'add', 'apples', 5],
    [1, 'add', 'pears', 11],
    [2, 'add', 'apples', 3],
    [3, 'fail', 'ghost', 0],
    [0, 'add', 'pears', 2],
    [1, 'add', 'apples', 40],
    [3, 'add', 'plums', 5000], // over the limit: TALLY_LIMIT
    [2, 'add', 'plums', 9],
    [3, 'fail', 'apples', 0], // fails after writing apples: the write must vanish
    [1, 'add', 'pears', 1],
    [2, 'add', 'apples', 100],
    [0, 'add', 'pears', 20],
  ];
  const nonces = new Map<number, number>();
  specs.forEach(([signer, type, name, amount], i) => {
    const nonce = nonces.get(signer) ?? 0;
    nonces.set(signer, nonce + 1);
    const payload: Canonical = type === 'add' ? { name, amount } : { name };
    const { bytes, hash } = admins[signer]!.buildTx({ chainId: genesis.chainId, nonce, module: 'tally', type, payload });
    out.push({ signer, forced: signer === 3, type, name, amount, at: 40 + i * 90, bytes, hash });
  });
  return out;
}

/**
 * 4 validators, 10 % of packets lost, 5 % duplicated; validator 2 crashes between signing and
 * sending, validator 1 right after a WAL append losing its last 2 entries, and both come back over
 * the ledgers they had; then a partition splits the set in two until shortly before GST.
 */
const lossyCrash: Scenario = {
  name: 'tally-lossy-crash-4',
  description: 'a real ledger per validator under loss, a crash with restart, and a partition',
  powers: [1, 1, 1, 1],
  network: { delayMinMs: 1, delayMaxMs: 60, dropRate: 0.1, duplicateRate: 0.05 },
  heights: 8,
  gstMs: [1800, 2400],
  faults: (c) => {
    c.at(250, () => c.crash(2, { point: 'midEffects' }));
    c.at(800, () => c.restart(2));
    c.at(900, () => c.crash(1, { point: 'afterWal', loseWalTail: 2 }));
    c.at(1300, () => c.restart(1));
    c.at(1400, () => c.partition([[0, 1], [2, 3]]));
    c.at(1700, () => c.heal());
  },
};

interface Run {
  readonly result: SimResult;
  readonly ledgers: readonly SimNodeLedger[];
  readonly gossip: PerfectGossip;
  readonly txs: readonly Planned[];
  /** the trace's restart lines (a restart replays its WAL, or drops one of a height its ledger already committed) */
  readonly restartLines: readonly string[];
}

let open: SimNodeLedger[] = [];
afterEach(() => {
  for (const l of open) l.close();
  open = [];
});

function run(scenario: Scenario, seed: number): Run {
  const ledgers: SimNodeLedger[] = [];
  const gossip = new PerfectGossip(() => ledgers);
  const txs = plan();
  const restartLines: string[] = [];
  const result = runSimulation(scenario, seed, {
    ed25519: ed,
    onTrace: (line) => void (line.includes('restart:') && restartLines.push(line)),
    host: {
      chainId: genesis.chainId,
      secretKeys: validatorKeys.map((k) => k.signing.secretKey),
      epochMs: GENESIS_TIME,
      ledger: (i) => {
        const l = new SimNodeLedger(genesis, [...MODULES, tallyModule], { onRestart: (me) => gossip.replayTo(me), beforePropose: (me) => gossip.offerForced(me) });
        ledgers[i] = l;
        open.push(l);
        return l;
      },
      setup: (sim) => {
        for (const tx of txs) sim.at(tx.at, () => (tx.forced ? gossip.force(tx, sim.isUp) : gossip.submit(tx, sim.isUp)));
      },
      until: () => gossip.submitted.length + gossip.forced.length === txs.length && gossip.allCommitted(ledgers),
    },
  });
  if (!result.ok) expect.fail(`${scenario.name} seed ${seed}: [${result.violation!.invariant}] ${result.violation!.message}\n${result.trace.join('\n')}`);
  return { result, ledgers, gossip, txs, restartLines };
}

/** Every transaction's committed result, as node 0 recorded it. */
function results(r: Run): Map<string, TxResult> {
  return new Map(r.txs.map((tx) => [tx.hash, r.ledgers[0]!.chain.receipt(tx.hash)!.result]));
}

function checkRun(r: Run, heights: number): void {
  const { ledgers, result, txs } = r;
  const top = Math.min(...ledgers.map((l) => l.lastHeight()));
  expect(top).toBeGreaterThanOrEqual(heights);
  // every node holds the same blocks, app hashes and results, height by height
  for (let h = 1; h <= top; h++) {
    const ref = ledgers[0]!.blockAt(h)!;
    for (const l of ledgers) {
      expect(toHex(headerHash(l.blockAt(h)!.block.header)), `block ${h}`).toBe(toHex(headerHash(ref.block.header)));
      expect(toHex(l.resultsRoot(h)), `results of ${h}`).toBe(result.ledger!.resultsRoots[h - 1]);
    }
    // block time is the virtual clock's, after genesis and never past the run's end
    expect(ref.block.header.time).toBeGreaterThan(GENESIS_TIME);
    expect(ref.block.header.time).toBeLessThanOrEqual(GENESIS_TIME + result.virtualMs);
    if (h > 1) expect(toHex(ref.block.header.appHash)).toBe(result.ledger!.appHashes[h - 2]);
  }
  const tip = Math.max(...ledgers.map((l) => l.lastHeight()));
  for (const l of ledgers) if (l.lastHeight() === tip) expect(toHex(l.appHash())).toBe(result.ledger!.appHashes[tip - 1]);

  // the outcome of each transaction, the same on every node
  const res = results(r);
  for (const l of ledgers) for (const tx of txs) expect(l.chain.receipt(tx.hash)!.result).toEqual(res.get(tx.hash));
  const code = (i: number) => res.get(txs[i]!.hash)!.code;
  expect(code(3)).toBe('FORBIDDEN');
  expect(code(6)).toBe('TALLY_LIMIT');
  expect(code(8)).toBe('FORBIDDEN');
  expect(txs.filter((_, i) => code(i) === 'OK')).toHaveLength(9);
  // admission refused each failing transaction (its handler ran on the check state); the first with the handler's own code
  expect(r.gossip.forced.every((f) => f.refused.length > 0 && !f.refused.includes('OK'))).toBe(true);
  expect(new Set(r.gossip.forced[0]!.refused)).toEqual(new Set(['FORBIDDEN']));

  // counters are the start plus the successful adds; failed transactions left nothing but their spent nonce
  const expected = new Map<string, number>();
  for (const tx of txs) if (res.get(tx.hash)!.code === 'OK') expected.set(tx.name, (expected.get(tx.name) ?? START) + tx.amount);
  expect(Object.fromEntries(expected)).toEqual({ apples: START + 5 + 3 + 40 + 100, pears: START + 11 + 2 + 1 + 20, plums: START + 9 });
  for (const l of ledgers) {
    const view = l.app.committedView();
    for (const [name, value] of expected) expect(view.get(counterKey(name))).toBe(value);
    expect(view.has(counterKey('ghost'))).toBe(false);
    expect(view.get(START_KEY)).toBe(START);
    admins.forEach((a, i) => expect(view.get(nonceKey(a.publicKeyHex))).toBe(txs.filter((tx) => tx.signer === i).length));
  }
  expect(res.get(txs[3]!.hash)).toMatchObject({ code: 'FORBIDDEN', log: 'tally/fail always fails', events: [] });
  const added = res.get(txs[10]!.hash)!;
  expect(added.events).toEqual([{ type: 'tally.added', attributes: { name: 'apples', amount: 100, value: START + 5 + 3 + 40 + 100 } }]);
}

describe('a module under seeded consensus, one real ledger per validator', () => {
  it('commits the same results everywhere under loss, a crash with restart and a partition', () => {
    const restarts: number[] = [];
    for (const seed of [1, 2, 3]) {
      const r = run(lossyCrash, seed);
      checkRun(r, lossyCrash.heights);
      expect(r.result.network.dropped).toBeGreaterThan(0);
      restarts.push(r.ledgers[1]!.restarts + r.ledgers[2]!.restarts);
    }
    // both crashed validators came back, each over the ledger it had
    expect(restarts).toEqual([2, 2, 2]);
  });

  it('holds under the stock crash-and-lossy-WAL scenario (random crashes of any validator, lost WAL tails)', () => {
    const scenario = scenarioByName('crash-lossy-wal-4')!;
    const walsDropped: number[] = [];
    for (const seed of [4, 2]) {
      const r = run(scenario, seed);
      checkRun(r, scenario.heights);
      expect(r.result.totals.restarts).toBeGreaterThan(1);
      walsDropped.push(r.restartLines.filter((l) => l.includes('not replayed')).length);
    }
    // in seed 2 a validator crashed after its ledger committed a height and before the next height's
    // first WAL entry: as the node's driver does, it drops that WAL and starts the next height
    expect(walsDropped).toEqual([0, 1]);
  });

  it('a seed reproduces the same app hashes and results', () => {
    const a = run(lossyCrash, 7).result;
    const b = run(lossyCrash, 7).result;
    expect(b.ledger).toEqual(a.ledger);
    expect(b.events).toBe(a.events);
    expect(b.ledger!.appHashes.length).toBeGreaterThanOrEqual(8);
  });

  it('the module route answers from a node committed state, and NOT_FOUND in the one error shape', async () => {
    const r = run(lossyCrash, 1);
    const api = await r.ledgers[3]!.routes();
    try {
      const ok = await api.inject({ method: 'GET', url: '/v1/tally/apples' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ name: 'apples', value: START + 5 + 3 + 40 + 100 });
      const missing = await api.inject({ method: 'GET', url: '/v1/tally/ghost' });
      expect(missing.statusCode).toBe(404);
      expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no counter ghost', meta: {} } });
      expect(new SalusError('TALLY_LIMIT', 'x').status).toBe(422);
      // the limit's refusal carries its code and details in the committed result
      const limited = r.ledgers[3]!.chain.receipt(r.txs[6]!.hash)!.result;
      expect(limited).toMatchObject({ code: 'TALLY_LIMIT', events: [] });
    } finally {
      await api.close();
    }
  });

  it('refuses a genesis whose tally section is malformed', () => {
    for (const tally of [{ start: -1 }, { start: 1, extra: 2 }, 'seven'] as Canonical[]) {
      expect(() => new SimNodeLedger({ ...genesis, modules: { tally } }, [...MODULES, tallyModule])).toThrowError(expect.objectContaining({ code: 'CONFIG' }));
    }
    expect(() => new SimNodeLedger({ ...genesis, modules: {} }, [...MODULES, tallyModule])).toThrowError(expect.objectContaining({ code: 'CONFIG' }));
  });
});
