import { type Validator, SalusError, compareBytes, isBytes, toHex } from '@salus/core';

/**
 * A validator set as consensus holds it: sorted by public key (bytewise), so that indices, the
 * proposer sequence and commit order are the same on every node whatever order the host gave.
 * Plain data (no Map, no class) so that the state it sits in is serialisable.
 */
export interface ValidatorSet {
  readonly validators: readonly Validator[];
  readonly totalPower: number;
  /** hex public key → index in `validators` */
  readonly index: Readonly<Record<string, number>>;
}

/** Total power is kept well inside the safe integers so that `power × 3` never loses precision. */
export const TOTAL_POWER_MAX = Math.floor(Number.MAX_SAFE_INTEGER / 4);

export function createValidatorSet(vals: readonly Validator[], validatorsMax: number): ValidatorSet {
  if (!Array.isArray(vals) || vals.length === 0 || vals.length > validatorsMax) {
    throw new SalusError('CONFIG', `a validator set holds 1 to ${validatorsMax} validators`);
  }
  const sorted = [...vals].sort((a, b) => compareBytes(a.pubKey, b.pubKey));
  const index: Record<string, number> = {};
  let total = 0;
  sorted.forEach((v, i) => {
    if (!isBytes(v.pubKey, 32)) throw new SalusError('CONFIG', 'validator public keys are 32 bytes');
    if (!Number.isSafeInteger(v.power) || v.power <= 0) throw new SalusError('CONFIG', 'validator power is a positive integer');
    const id = toHex(v.pubKey);
    if (index[id] !== undefined) throw new SalusError('CONFIG', `validator ${id.slice(0, 16)}… appears twice`);
    index[id] = i;
    total += v.power;
  });
  if (total > TOTAL_POWER_MAX) throw new SalusError('CONFIG', `total voting power exceeds ${TOTAL_POWER_MAX}`);
  return { validators: sorted.map((v) => ({ pubKey: v.pubKey, power: v.power })), totalPower: total, index };
}

export function indexOf(set: ValidatorSet, pubKey: Uint8Array): number {
  return set.index[toHex(pubKey)] ?? -1;
}

/** More than two thirds of the power: the paper's "2f+1". */
export function isQuorum(power: number, total: number): boolean {
  return power * 3 > total * 2;
}

/** More than one third of the power: the paper's "f+1" (at least one honest validator). */
export function isOneThird(power: number, total: number): boolean {
  return power * 3 > total;
}
