#!/usr/bin/env node
// Committed transactions per second of one Salus node against one core's Ed25519 verification rate
// measured in the same run (see throughput/run.ts). Prints one JSON object.
//
//   node bench/out/ts/throughput.js [--txs 50000] [--rounds 5] [--block 10000] [--workload register_patient,add_member]
// --block is how many transactions are submitted between block productions (a burst); the node cuts
// blocks by its own limits (blockTxsMax, blockBytesMax) and the producer commits until the mempool is empty.
import { emit, runMain } from './lib/cli.js';
import { parseFlags } from './lib/flags.js';
import { runThroughput, throughputDefaults } from './throughput/run.js';

runMain(async () => {
  emit(await runThroughput(parseFlags(throughputDefaults)));
});
