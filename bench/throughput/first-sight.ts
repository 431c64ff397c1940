// Verification of a signer seen for the first time: what the node's KeyObject cache saves.
import { verify as nodeVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { toHex } from '@salus/core';
import { createNativeEd25519 } from '@salus/node';
import { verifySamples } from '../lib/ceiling.js';
import { spkiOf } from '../lib/keys.js';
import { round } from '../lib/stats.js';

export interface FirstSightRates {
  distinct_signers: number;
  samples: number;
  node_path_first_sight: number;
  der_key_inline: number;
}

/** First-time verifications: the node's path (createPublicKey + verify) and verify with the DER key inline. */
export function uncachedRates(txs: readonly Uint8Array[]): FirstSightRates {
  const samples = verifySamples(txs, txs.length);
  const distinct = new Set(samples.map((s) => toHex(s.pk))).size;
  const ed = createNativeEd25519();
  let t0 = performance.now();
  for (const s of samples) ed.verify(s.pk, s.msg, s.sig);
  const viaCache = (samples.length / (performance.now() - t0)) * 1000;
  t0 = performance.now();
  for (const s of samples) nodeVerify(null, s.msg, { key: spkiOf(s.pk), format: 'der', type: 'spki' }, s.sig);
  const inline = (samples.length / (performance.now() - t0)) * 1000;
  return { distinct_signers: distinct, samples: samples.length, node_path_first_sight: round(viaCache, 0), der_key_inline: round(inline, 0) };
}
