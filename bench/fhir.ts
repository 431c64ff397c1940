#!/usr/bin/env node
// The FHIR benchmark: the FHIR R4 facade (/fhir/R4, ADR 0006) of node 0 of a 4-validator localnet of
// real processes (`salus start --home` on homes made by initLocalnet; Tendermint BFT over mutual-TLS
// loopback links). Node 0 holds hospital-1's key (records.custodianKeyFile) and answers as
// hospital-1. Consensus runs with FAST timeouts (those of packages/node/test/net-harness.ts, as
// the records benchmark: propose 800 ms, prevote/precommit 300 ms, commitDelay 20 ms, emptyBlockWait
// 300 ms), so write latencies are those of a fast-configured localnet, not of the defaults. The
// nodes' per-client FHIR rate limit (fhir.requestsPerSecond, default 200) is set to --client-rps
// (default 1e6): the benchmark is one client, which the limit would answer with 429s.
//
//   npm run bench:fhir                                   full (about 2 min on 2 cores)
//   node bench/out/ts/fhir.js --quick                    scaled down (about 35 s)
//   node bench/out/ts/fhir.js --patients 100 --resources 20000 --writers 8 --read-s 20
//   node bench/out/ts/fhir.js --small-n 0                measure at the full size only
//   node bench/out/ts/fhir.js --cpu-prof-node 0 ...      writes a V8 CPU profile of node 0 to bench/out/prof-fhir/
//                                                         (summarise it with bench/out/ts/cpuprofile-summary.js)
//
// Parties: hospital-1's admin (<home>/keys/hospital-1-admin.json) adds a `service` member (the FHIR
// client, "EHR integration") and --practitioners practitioners. --patients patients register with their
// own wallets through nodes p mod 4 and grant hospital-1 read+write on all their records (as
// packages/node/src/demo/seed.ts does). The FHIR client's token comes the SMART Backend Services way
// (fhirToken of packages/node/dist/cli/fhir.js: private_key_jwt signed by the service key), scope
// system/*.cruds.
//
// Steps (every HTTP request goes to node 0): create (fhir/create.ts), bulk (fhir/bulk.ts), measure at
// --small-n (when > 0 and < --resources) and again at --resources (fhir/measure.ts: index catch-up,
// reads and searches by autocannon, the metadata HTTP ceiling, counts by type), then node 0's
// disclosure queue is waited out. Prints one JSON object on stdout (progress on stderr) and writes
// bench/out/fhir.json.
import { emit, runMain } from './lib/cli.js';
import { parseQuickFlags } from './lib/flags.js';
import { fhirDefaults, fhirQuickDefaults } from './fhir/flags.js';
import { runFhir } from './fhir/run.js';

runMain(async () => {
  emit(await runFhir(parseQuickFlags(fhirDefaults, fhirQuickDefaults)));
  process.exit(0);
});
