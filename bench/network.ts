#!/usr/bin/env node
// The network benchmark: 4 validators as 4 real processes on this machine (Tendermint BFT over
// mutual-TLS loopback links, default consensus timeouts), load clients in separate processes
// submitting pre-signed ~276-byte register_patient transactions over the HTTP API
// (POST /v1/txs?wait=none, application/cbor, keep-alive, bounded concurrency) spread over the APIs.
//
//   npm run bench:network                                   full: 1,000,000 transactions (tens of minutes)
//   node bench/out/ts/network.js --txs 40000 --sat-s 15 --lat-s 15 --healthy-s 10 --down-s 12 --after-s 8   about a minute of load
//   node bench/out/ts/network.js --cpu-prof-node 1 ...      writes a V8 CPU profile of validator 1 to bench/out/prof-network/
//   node bench/out/ts/network.js --cpu-prof-restarted ...   … of the restarted validator (its catch-up)
//   node bench/out/ts/network.js --bulk-max-s 3600          stops the bulk phase after an hour (RSS after what committed)
//   node bench/out/ts/network.js --catchup-idle             pauses submission while the restarted validator catches up
//   node bench/out/ts/network.js --state-keep-versions 1e9  state-tree pruning off (config state.keepVersions)
//
// Phases (in this order; --phases picks some):
//  saturation   closed loop (≤ --concurrency requests in flight and ≤ --window acknowledged but not yet
//               committed transactions); committed tx/s over the steady window, from the blocks a poller
//               reads off node 0 (sum of their txs / time between the first and last block seen).
//  latency      open loop at --lat-fraction × the saturation rate; latency = time the poller (status every
//               --poll-ms, then GET /v1/blocks/:h) sees the transaction committed − submit time.
//  killrestart  closed loop; after --healthy-s, SIGKILL validator --kill and submit to the other three for
//               --down-s (the time from the SIGKILL to the first block committed without it is measured);
//               restart it and measure how fast it commits the blocks it missed (its /v1/status height every
//               50 ms) against the network's commit rate; back to all four once at the tip. The per-second
//               throughput and latency of this phase are plotted (plot/network-timeline.ts).
//  bulk         closed loop through the rest of the --txs pre-signed transactions; then VmRSS of every
//               validator process (/proc/<pid>/status) after the N transactions actually committed, and
//               each validator's data directory in bytes per committed transaction after its stop.
// The ceiling is 2 cores × one core's native Ed25519 verifications per second (createNativeEd25519,
// measured in this process while the network is idle, several rounds) ÷ 4 validators, since every
// validator verifies every transaction once.
// Prints one JSON object on stdout (progress on stderr); writes bench/out/network.json and
// bench/out/network-timeline.svg.
import { emit, runMain } from './lib/cli.js';
import { parseFlags } from './lib/flags.js';
import { networkDefaults } from './network/flags.js';
import { runNetwork } from './network/run.js';

runMain(async () => {
  const result = await runNetwork(parseFlags(networkDefaults));
  const { samples_per_second: _s, ...printed } = result;
  emit(printed);
  process.exit(0);
});
