// The flags of the records benchmark: the full run's defaults and what --quick replaces.
import { join } from 'node:path';
import { OUT_DIR } from '../lib/paths.js';

export const recordsDefaults = {
  writers: 8,
  writeS: 20,
  patients: 4,
  docBytes: 5120,
  replPollMs: 5,
  readers: 8,
  readProcs: 1,
  readNode: 0,
  readRecords: 200,
  readWarmS: 2,
  readS: 15,
  ceilingS: 5,
  rounds: 10,
  pollMs: 5,
  roundTimeoutS: 20,
  logLevel: 'warn',
  cpuProfNode: -1,
  cpuProfDir: join(OUT_DIR, 'prof-records'),
  targetReadP50Ms: 5,
  targetReadP99Ms: 20,
  targetReadsPerS: 2000,
  out: OUT_DIR,
  keep: false,
  // HPKE in the SDK: Node's native primitives (packages/node/src/crypto/native-hpke.ts), or with --web-hpke the WebCrypto one the browser uses
  webHpke: false,
};
export const recordsQuickDefaults = { writers: 4, writeS: 6, patients: 2, readWarmS: 1, readS: 4, ceilingS: 2, rounds: 3 };
export type RecordsFlags = { quick: boolean } & typeof recordsDefaults;
