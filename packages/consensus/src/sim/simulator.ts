import { type Ed25519, type Validator, bytesEqual, decodeBlock, pureEd25519, sha256, toHex, utf8ToBytes } from '@salus/core';
import { codecLimits } from '../tendermint/codec.js';
import { SimApp } from './blocks.js';
import { Checker, type Violation } from './checker.js';
import type { SimHostControl, SimHostOptions } from './ledger.js';
import { type NetworkStats, SimNetwork, defaultNetworkOptions } from './network.js';
import { SimNode } from './node.js';
import { type SimNodeOptions, defaultSimNodeOptions } from './options.js';
import { Prng } from './prng.js';
import type { FaultControl, Scenario } from './scenarios.js';
import { Scheduler } from './scheduler.js';
import { Trace } from './trace.js';
import type { RunView } from './metrics.js';
import { cachedEd25519 } from './verifycache.js';
import { WireCache } from './wire.js';
import type { SimWorld } from './world.js';

export interface SimRunOptions {
  /** signature primitive (default core's pure one; tests and the script pass a native one) */
  readonly ed25519: Ed25519;
  readonly node: SimNodeOptions;
  /** after GST, every honest node must reach the target height within this much virtual time */
  readonly livenessBoundMs: number;
  /** a bound on events per run (a guard against a run that never ends) */
  readonly eventsMax: number;
  readonly traceMax: number;
  /** every trace line as it happens (verbose replays) */
  readonly onTrace?: (line: string) => void;
  /**
   * Host mode: each node runs a real ledger (`SimLedger`) instead of SimApp's random headers. The
   * ledgers' genesis decides the validator sets; the scenario's `powers` only give the node count
   * and its `validatorsAt` is not used.
   */
  readonly host?: SimHostOptions;
}

export const defaultSimRunOptions: SimRunOptions = {
  ed25519: pureEd25519,
  node: defaultSimNodeOptions,
  livenessBoundMs: 30_000,
  eventsMax: 3_000_000,
  traceMax: 60,
};

export interface SimResult {
  readonly scenario: string;
  readonly seed: number;
  readonly ok: boolean;
  readonly violation: Violation | null;
  /** last committed height of each node */
  readonly committed: readonly number[];
  /** indices of the honest nodes */
  readonly honest: readonly number[];
  readonly virtualMs: number;
  readonly gstMs: number;
  readonly events: number;
  readonly network: NetworkStats;
  readonly totals: {
    evidence: number;
    signRefused: number;
    synced: number;
    restarts: number;
    rejected: number;
    crashes: number;
    crashesAfterWal: number;
    crashesSignedUnsent: number;
    proposalEvidence: number;
    badParts: number;
    partRequests: number;
    partsServed: number;
  };
  /** height → when the first honest node committed it (virtual ms); index 0 unused */
  readonly commitTimes: readonly (number | undefined)[];
  /** times the scenario marked (e.g. 'crash') */
  readonly marks: Readonly<Record<string, number>>;
  /** the scenario's own numbers about the run (`Scenario.metrics`) */
  readonly metrics: Readonly<Record<string, number>>;
  /** host mode: what the honest ledgers reached after each height 1, 2, … (hex; absent in the classic mode) */
  readonly ledger?: { readonly appHashes: readonly string[]; readonly resultsRoots: readonly string[] };
  /** the last trace lines (on failure) */
  readonly trace: readonly string[];
  /** how to run exactly this again */
  readonly replay: string;
}

export const CHAIN_ID = 'salus-sim';

export function replayCommand(scenario: string, seed: number): string {
  return `node packages/consensus/scripts/simulate.mjs --scenario ${scenario} --seed ${seed} --verbose`;
}

/** One seeded run of a scenario: a pure function of (scenario, seed, options). */
export function runSimulation(scenario: Scenario, seed: number, options: Partial<SimRunOptions> = {}): SimResult {
  const base0 = { ...defaultSimRunOptions, ...options };
  const opts = scenario.tendermint ? { ...base0, node: { ...base0.node, tendermint: { ...base0.node.tendermint, ...scenario.tendermint } } } : base0;
  const prng = new Prng(seed);
  const sched = new Scheduler();
  const ed = cachedEd25519(opts.ed25519);
  const trace = new Trace(opts.traceMax, opts.onTrace);
  const host = opts.host;
  const checker = new Checker(ed, () => sched.now, host ? (b) => decodeBlock(b).header : undefined);
  const keys = host?.secretKeys ?? scenario.powers.map((_, i) => sha256(utf8ToBytes(`${scenario.name}/${seed}/${i}`)));
  const base: Validator[] = keys.map((k, i) => ({ pubKey: ed.publicKey(k), power: scenario.powers[i]! }));
  const ledgers = host ? keys.map((_, i) => host.ledger(i)) : undefined;
  const validatorsAt = ledgers ? (h: number) => ledgers[0]!.validatorsFor(h) : (h: number): readonly Validator[] => scenario.validatorsAt?.(h, base) ?? base;
  const nodes: SimNode[] = [];
  const net = new SimNetwork(sched, prng.fork(), { ...defaultNetworkOptions, ...scenario.network }, (to, from, p) => nodes[to]!.onPacket(from, p));
  const chainId = host?.chainId ?? CHAIN_ID;
  const world: SimWorld = {
    chainId,
    ed,
    sched,
    net,
    prng: prng.fork(),
    checker,
    trace,
    app: new SimApp(chainId, validatorsAt),
    wire: new WireCache(codecLimits(chainId, opts.node.tendermint)),
    options: opts.node,
    nodeCount: keys.length,
    validatorsAt,
    ...(host && ledgers ? { host: { options: host, ledgers } } : {}),
  };
  keys.forEach((k, i) => nodes.push(new SimNode(world, i, k, scenario.byzantine?.[i] ?? null)));
  const honest = nodes.filter((n) => n.honest).map((n) => n.id);
  checker.chainId = chainId;
  checker.honestKeys = new Set(honest.map((i) => toHex(nodes[i]!.pubKey)));
  const marks: Record<string, number> = {};

  checkByzantineBound(scenario, nodes, validatorsAt, checker);
  const faultPrng = prng.fork();
  const gst = scenario.gstMs ? faultPrng.range(scenario.gstMs[0], scenario.gstMs[1]) : 0;
  const control: FaultControl = {
    prng: faultPrng,
    nodes: nodes.length,
    honest,
    at: (t, what) => sched.at(t, what),
    partition: (groups) => {
      trace.log(sched.now, 'net', `partition ${groups.map((g) => `{${g.join(',')}}`).join(' ')}`);
      net.partition(groups);
    },
    heal: () => {
      if (net.partitioned) trace.log(sched.now, 'net', 'heal');
      net.heal();
    },
    crash: (i, c = {}) => {
      const n = nodes[i]!;
      if (!n.up) return;
      if (c.point === undefined || c.point === 'now') n.crash(c.loseWalTail ?? 0);
      else n.armCrash(c.point, faultPrng.int(8), c.loseWalTail ?? 0);
    },
    restart: (i) => {
      const n = nodes[i]!;
      n.disarm();
      if (!n.up) n.start();
    },
    setNetwork: (o) => (net.options = { ...net.options, ...o }),
    mark: (name, t) => (marks[name] = t),
  };
  scenario.faults?.(control, gst);
  const hostControl: SimHostControl = { at: (t, fn) => sched.at(t, fn), now: () => sched.now, isUp: (i) => nodes[i]!.up, committed: (i) => nodes[i]!.committed };
  host?.setup?.(hostControl);
  for (const n of nodes) sched.at(prng.int(10), () => control.restart(n.id));
  let target = scenario.heights;
  sched.at(gst, () => {
    control.heal();
    if (gst > 0) for (const i of honest) control.restart(i);
    const reached = Math.max(0, ...honest.map((i) => nodes[i]!.committed));
    target = Math.max(scenario.heights, reached + 2);
    if (gst > 0) trace.log(sched.now, 'sim', `GST: healed, all honest nodes up; target height ${target}`);
  });

  let done = false;
  while (!done && checker.violation === null) {
    try {
      if (!sched.step()) checker.fail('budget', 'no events left');
    } catch (e) {
      checker.fail('crash', `exception: ${(e as Error).stack ?? String(e)}`);
      break;
    }
    if (sched.now >= gst && honest.every((i) => nodes[i]!.committed >= target) && (host?.until?.() ?? true)) done = true;
    else if (sched.now > gst + opts.livenessBoundMs) {
      checker.fail('liveness', `${opts.livenessBoundMs} ms after GST (${gst} ms), honest nodes are at heights ${honest.map((i) => nodes[i]!.committed).join(',')}, target ${target}`);
    } else if (sched.executed > opts.eventsMax) checker.fail('budget', `more than ${opts.eventsMax} events`);
  }

  const commitTimes: (number | undefined)[] = [];
  for (const [h, d] of checker.decided) commitTimes[h] = d.at;
  const view: RunView = { commitTimes, marks, gstMs: gst, node: opts.node, network: net.options, evidence: checker.evidence };
  const metrics = checker.violation === null && scenario.metrics ? scenario.metrics(view) : {};
  if (checker.violation === null && scenario.check) {
    const why = scenario.check(view);
    if (why !== null) checker.fail('scenario', why);
  }
  const sum = (f: (n: SimNode) => number): number => nodes.reduce((s, n) => s + f(n), 0);
  return {
    scenario: scenario.name,
    seed,
    ok: checker.violation === null,
    violation: checker.violation,
    committed: nodes.map((n) => n.committed),
    honest,
    virtualMs: sched.now,
    gstMs: gst,
    events: sched.executed,
    network: net.stats,
    totals: {
      evidence: sum((n) => n.stats.evidence),
      signRefused: sum((n) => n.stats.signRefused),
      synced: sum((n) => n.stats.synced),
      restarts: sum((n) => n.stats.restarts),
      rejected: sum((n) => n.stats.rejected),
      crashes: sum((n) => n.stats.crashes),
      crashesAfterWal: sum((n) => n.stats.crashesAfterWal),
      crashesSignedUnsent: sum((n) => n.stats.crashesSignedUnsent),
      proposalEvidence: sum((n) => n.stats.proposalEvidence),
      badParts: sum((n) => n.stats.badParts),
      partRequests: sum((n) => n.stats.partRequests),
      partsServed: sum((n) => n.stats.partsServed),
    },
    commitTimes,
    marks,
    metrics,
    ...(host ? { ledger: ledgerStates(checker) } : {}),
    trace: checker.violation === null ? [] : trace.tail(),
    replay: replayCommand(scenario.name, seed),
  };
}

/** Byzantine power stays strictly below a third of the total at every height the run can reach. */
function checkByzantineBound(scenario: Scenario, nodes: readonly SimNode[], validatorsAt: (h: number) => readonly Validator[], checker: Checker): void {
  for (let h = 1; h <= 64; h++) {
    const vals = validatorsAt(h);
    const total = vals.reduce((s, v) => s + v.power, 0);
    const byz = nodes.filter((n) => !n.honest).reduce((s, n) => s + (vals.find((x) => bytesEqual(x.pubKey, n.pubKey))?.power ?? 0), 0);
    if (byz * 3 >= total) checker.fail('byzantine-bound', `scenario ${scenario.name}: Byzantine power ${byz} of ${total} at height ${h} is not below a third`);
  }
}

/** The honest ledgers' app hash and results root after each height, in height order. */
function ledgerStates(checker: Checker): { appHashes: string[]; resultsRoots: string[] } {
  const states = [...checker.states.entries()].sort(([a], [b]) => a - b).map(([, st]) => st);
  return { appHashes: states.map((st) => st.appHash), resultsRoots: states.map((st) => st.resultsRoot) };
}
