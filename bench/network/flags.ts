// The flags of the network benchmark and their defaults (the full run: 1,000,000 transactions).
import { join } from 'node:path';
import { OUT_DIR } from '../lib/paths.js';

export const PHASES = ['saturation', 'latency', 'killrestart', 'bulk'] as const;
export type Phase = (typeof PHASES)[number];

export const networkDefaults = {
  txs: 1_000_000,
  phases: PHASES.join(','),
  satS: 30,
  warmS: 5,
  latS: 30,
  latFraction: 0.5,
  latRate: 0,
  healthyS: 20,
  downS: 30,
  afterS: 15,
  catchupTimeoutS: 300,
  bulkMaxS: 0,
  catchupIdle: false,
  stateKeepVersions: 0,
  concurrency: 64,
  window: 5000,
  clients: 1,
  pollMs: 20,
  kill: 3,
  cpuProfNode: -1,
  cpuProfRestarted: false,
  cpuProfDir: join(OUT_DIR, 'prof-network'),
  logLevel: 'warn',
  ceilingMs: 500,
  signThreads: 0,
  targetSaturation: 0.5,
  targetP99Ms: 1500,
  targetKill: 0.7,
  targetCatchup: 5,
  // the time from the SIGKILL to the first block the other three commit without the killed validator
  targetFirstBlockS: 3,
  targetRssMb: 400,
  out: OUT_DIR,
  keep: false,
};
export type NetworkFlags = typeof networkDefaults;
