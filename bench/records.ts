#!/usr/bin/env node
// The records benchmark: encrypted health records through the SDK (RecordsClient) against 4 validators
// as 4 real processes on this machine (`salus start --home` on homes made by initLocalnet; Tendermint
// BFT over mutual-TLS loopback links). Consensus runs with FAST timeouts (those of
// packages/node/test/net-harness.ts: propose 800 ms, prevote/precommit 300 ms, commitDelay 20 ms,
// emptyBlockWait 300 ms), so latencies are those of a fast-configured localnet, not of the defaults.
// Signing is native (createNativeEd25519) in every wallet and in the nodes.
//
//   npm run bench:records                          full (about 75 s on 2 quiet cores)
//   node bench/out/ts/records.js --quick           scaled down (about 30 s)
//   node bench/out/ts/records.js --writers 12 --readers 16 --read-procs 2 --rounds 20
//   node bench/out/ts/records.js --cpu-prof-node 0 ...   writes a V8 CPU profile of validator 0 to bench/out/prof-records/
//                                                   (summarise it with bench/out/ts/cpuprofile-summary.js)
//
// Phases (records/write-phase.ts, read-phase.ts, consent-phase.ts say what each measures): write,
// read (and the node's HTTP ceiling beside it), consent (grant → first read, revoke → first refusal,
// on every node). Prints one JSON object on stdout (progress on stderr; the per-round consent details
// only in the file) and writes bench/out/records.json.
import { join } from 'node:path';
import { emit, runMain } from './lib/cli.js';
import { parseQuickFlags } from './lib/flags.js';
import { recordsDefaults, recordsQuickDefaults } from './records/flags.js';
import { runRecords } from './records/run.js';

runMain(async () => {
  const flags = parseQuickFlags(recordsDefaults, recordsQuickDefaults);
  const result = await runRecords(flags);
  const consent = result.phases.consent;
  // stdout leaves out the per-round consent details (they are in the file)
  emit({ ...result, phases: { ...result.phases, consent: { ...consent, rounds: `${consent.rounds.length} rounds: see ${join(flags.out, 'records.json')}` } } });
  process.exit(0);
});
