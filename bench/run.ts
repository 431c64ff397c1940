#!/usr/bin/env node
// Runs a suite of benchmarks.
//
//   npm run bench                               the foundation suite: every single-node benchmark in its own
//                                               process, full counts (1M keys, 1M transactions: about an hour on 2 cores)
//   npm run bench -- --quick                    scaled down, about a minute
//   node bench/out/ts/run.js --only throughput,proofs [--quick]
//   npm run bench -- --suite ledger [--quick]   the ledger figures of the performance issue (ledger/suite.ts):
//                                               one node, the PostgreSQL peer, 4 validators, records; under
//                                               ~30 min (--quick: 3–5 min); --only picks parts
//                                               (throughput, throughput_pg, pg_peer, network, records, state_sync)
// Exit status: 0 when every benchmark ran (targets may fail: see the JSON); 1 if one crashed;
// with --strict, also 1 when a target fails.
import { fail, runMain } from './lib/cli.js';
import { parseFlags } from './lib/flags.js';
import { runLedgerSuite } from './ledger/suite.js';
import { runFoundation } from './run/foundation.js';

runMain(async () => {
  const flags = parseFlags({ quick: false, only: '', strict: false, suite: 'foundation' });
  if (flags.suite !== 'foundation' && flags.suite !== 'ledger') fail(`unknown suite ${flags.suite}; known: foundation, ledger`);
  const status = flags.suite === 'ledger' ? await runLedgerSuite(flags) : await runFoundation(flags);
  process.exit(status);
});
