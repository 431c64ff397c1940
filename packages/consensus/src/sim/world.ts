import type { Ed25519, Validator } from '@salus/core';
import type { SimApp } from './blocks.js';
import type { Checker } from './checker.js';
import type { SimHostOptions, SimLedger } from './ledger.js';
import type { SimNetwork } from './network.js';
import type { SimNodeOptions } from './options.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';
import type { WireCache } from './wire.js';

/** What all simulated nodes share: one clock, one network, one seed, one checker. */
export interface SimWorld {
  readonly chainId: string;
  readonly ed: Ed25519;
  readonly sched: Scheduler;
  readonly net: SimNetwork;
  readonly prng: Prng;
  readonly checker: Checker;
  readonly trace: Trace;
  readonly app: SimApp;
  readonly wire: WireCache;
  readonly options: SimNodeOptions;
  readonly nodeCount: number;
  /** the scenario's validator sets (host mode: the first ledger's, for the Byzantine bound only) */
  validatorsAt(height: number): readonly Validator[];
  /** host mode: its options, and node i's ledger at index i (both absent in the classic mode) */
  readonly host?: { readonly options: SimHostOptions; readonly ledgers: readonly SimLedger[] };
}
