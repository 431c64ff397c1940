// The network benchmark's ceiling: one core's native Ed25519 verifications per second, measured in
// the bench process while the network is idle, in rounds between the phases; beside it, for context,
// a verification with a first-seen key (every register_patient signer is new).
import { verify as cryptoVerify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createNativeEd25519 } from '@salus/node';
import { verifyRate, verifySamples, type VerifySample } from '../lib/ceiling.js';
import { fail, log } from '../lib/cli.js';
import { spkiOf } from '../lib/keys.js';
import { median, round } from '../lib/stats.js';

export interface CeilingRound {
  when: string;
  verify_per_s: number;
  fresh_key_der_verify_per_s: number;
  fresh_key_jwk_verify_per_s: number;
}

export interface CeilingSummary {
  verify_per_s_one_core_rounds: CeilingRound[];
  verify_per_s_one_core_median: number;
  first_seen_key_verify_per_s_one_core_median: { der_inline_as_the_node_does: number; jwk_inline: number; note: string };
  formula: string;
  ceiling_tx_per_s: number;
}

type KeyInput = Parameters<typeof cryptoVerify>[2];

export class NetworkCeiling {
  readonly rounds: CeilingRound[] = [];
  private readonly ed = createNativeEd25519();
  private readonly samples: VerifySample[];

  constructor(
    samplesTxs: readonly Uint8Array[],
    private readonly ceilingMs: number,
  ) {
    this.samples = verifySamples(samplesTxs, 2000);
  }

  /** A verification of a signer seen for the first time also builds its public key object. */
  private freshRate(keyOf: (pk: Uint8Array) => KeyInput): number {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < this.ceilingMs / 2) {
      for (const x of this.samples.slice(0, 200)) if (!cryptoVerify(null, x.msg, keyOf(x.pk), x.sig)) fail('a good signature did not verify');
      n += 200;
    }
    return (n / (performance.now() - t0)) * 1000;
  }

  /** One round: the cached-key rate (the ceiling), and first-seen keys as DER inline (as the node does) and as JWK. */
  round(when: string): void {
    const r = verifyRate(this.ed, this.samples, this.ceilingMs);
    const f = this.freshRate((pk) => ({ key: spkiOf(pk), format: 'der', type: 'spki' }));
    const j = this.freshRate((pk) => ({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pk).toString('base64url') }, format: 'jwk' }));
    this.rounds.push({ when, verify_per_s: round(r, 0), fresh_key_der_verify_per_s: round(f, 0), fresh_key_jwk_verify_per_s: round(j, 0) });
    log(`[network] ceiling round (${when}): ${Math.round(r)} verify/s on one core (first-seen key: ${Math.round(f)}/s DER inline, ${Math.round(j)}/s JWK inline)`);
  }

  /** 2 cores × one core's verify/s ÷ 4 validators (each validator verifies every transaction once). */
  summary(): CeilingSummary {
    const ceilV = median(this.rounds.map((r) => r.verify_per_s));
    return {
      verify_per_s_one_core_rounds: this.rounds,
      verify_per_s_one_core_median: round(ceilV, 0),
      first_seen_key_verify_per_s_one_core_median: {
        der_inline_as_the_node_does: round(median(this.rounds.map((r) => r.fresh_key_der_verify_per_s)), 0),
        jwk_inline: round(median(this.rounds.map((r) => r.fresh_key_jwk_verify_per_s)), 0),
        note: 'every register_patient signer is new, so each validator verifies each of these transactions with a first-seen key',
      },
      formula: "2 cores × one core's native Ed25519 verify/s ÷ 4 validators (each validator verifies every transaction once)",
      ceiling_tx_per_s: round((2 * ceilV) / 4, 0),
    };
  }
}
