// The Ed25519 ceiling: what one core verifies per second with the node's native implementation.
import { performance } from 'node:perf_hooks';
import { decodeTx, txSignBytes, type Ed25519 } from '@salus/core';
import { fail } from './cli.js';

export interface VerifySample {
  readonly pk: Uint8Array;
  readonly msg: Uint8Array;
  readonly sig: Uint8Array;
}

/**
 * Verifications per second of ONE core with `ed`, over real transaction sign bytes (the key objects
 * cached, as the node caches them), for about `ms` milliseconds.
 */
export function verifyRate(ed: Ed25519, samples: readonly VerifySample[], ms = 400): number {
  for (const s of samples) ed.verify(s.pk, s.msg, s.sig); // fills the key cache, warms the JIT
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (!ed.verify(s.pk, s.msg, s.sig)) fail('ceiling: a good signature did not verify');
    }
    n += samples.length;
    t = performance.now();
  }
  return (n / (t - t0)) * 1000;
}

/** The signer, sign bytes and signature of the first `count` of `txBytes`. */
export function verifySamples(txBytes: readonly Uint8Array[], count: number): VerifySample[] {
  const out: VerifySample[] = [];
  for (let i = 0; i < Math.min(count, txBytes.length); i++) {
    const tx = decodeTx(txBytes[i]!);
    out.push({ pk: tx.signer, msg: txSignBytes(tx), sig: tx.signature });
  }
  return out;
}
