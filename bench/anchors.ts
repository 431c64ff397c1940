#!/usr/bin/env node
// The anchors benchmark (layer 2): items/s anchored on the 4-validator FAST localnet (4 real processes,
// Tendermint over mutual-TLS loopback links; FAST consensus timeouts, not the defaults), against the
// target (>= 10,000 items/s) and against this machine's Ed25519 verification ceiling measured in the
// same run, since every item's signature is verified once, by the node that takes it.
//
//   npm run bench:anchors                          full: 200,000 items (about a minute on 2 cores)
//   node bench/out/ts/anchors.js --quick           60,000 items
//   node bench/out/ts/anchors.js --nodes 1 --concurrency 4 --items 100000    one anchoring node
//
// Set-up: --submitters device keys, added by the anchoring nodes' organisations' admins; --items items
// (kind "reading", a distinct payload hash each) signed beforehand with native Ed25519 and encoded into
// CBOR requests of --request-items. The ceiling: one core's synchronous native verifications per
// second, and the thread pool's (node:crypto with callbacks, as the node verifies), over the items'
// own sign bytes, on the idle network. Load: request i goes to node i mod --nodes, --concurrency in
// flight per node, each answered at once with a signed receipt; then the ledger (node 0) is polled until
// every batch the receipts named is anchored. items/s = items ÷ (block time of the last anchoring
// block − the first request's send time). A sample of --proofs items is proven through the SDK to a
// client trusting the genesis validators. Prints one JSON object on stdout (progress on stderr) and
// writes bench/out/anchors.json.
import { emit, runMain } from './lib/cli.js';
import { parseQuickFlags } from './lib/flags.js';
import { anchorsDefaults, anchorsQuickDefaults } from './anchors/flags.js';
import { runAnchors } from './anchors/run.js';

runMain(async () => {
  emit(await runAnchors(parseQuickFlags(anchorsDefaults, anchorsQuickDefaults)));
  process.exit(0);
});
