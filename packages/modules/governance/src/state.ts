import { fromHex, type Validator } from '@salus/core';
import type { KV, GenesisValidator } from '@salus/module';

export const VALIDATORS_KEY = 'governance/validators';
export const NEXT_VALIDATORS_KEY = 'governance/next_validators';
export const proposalKey = (id: string) => `governance/proposal/${id}`;

/** A change of validator set approved at height H takes effect at H + VALSET_DELAY (as in Tendermint). */
export const VALSET_DELAY = 2;

export type ValidatorRecord = GenesisValidator;

export interface PendingValset {
  readonly height: number;
  readonly validators: readonly ValidatorRecord[];
}

export function currentValidators(kv: KV): ValidatorRecord[] {
  return (kv.get(VALIDATORS_KEY) as ValidatorRecord[] | undefined) ?? [];
}

/** The set that signs block `height`, given the state after block height − 1. */
export function validatorsForHeight(kv: KV, height: number): ValidatorRecord[] {
  const next = kv.get(NEXT_VALIDATORS_KEY) as PendingValset | undefined;
  if (next && next.height <= height) return [...next.validators];
  return currentValidators(kv);
}

/** Moves a due pending set into place at the start of block `height`. */
export function activateDueValset(kv: KV, height: number): void {
  const next = kv.get(NEXT_VALIDATORS_KEY) as PendingValset | undefined;
  if (next && next.height <= height) {
    kv.set(VALIDATORS_KEY, next.validators);
    kv.delete(NEXT_VALIDATORS_KEY);
  }
}

/** Organisations that run a validator: the ones that vote on governance. */
export function votingOrgs(kv: KV): string[] {
  return [...new Set(currentValidators(kv).map((v) => v.org))].sort();
}

export function toConsensusValidators(vals: readonly ValidatorRecord[]): Validator[] {
  return vals.map((v) => ({ pubKey: fromHex(v.pubKey, 32), power: v.power }));
}
