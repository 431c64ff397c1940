import { ZERO_HASH, toHex } from '@salus/core';
import type { KV } from '@salus/module';
import type { InstanceRecord } from '../module/state.js';

/** The ledger keys of private execution: each private contract's state root, and evidence against endorsers. */
export const privateRootKey = (name: string) => `contracts/private/${name}`;
export const misbehaviourPrefix = (key: string) => `contracts/misbehaviour/${key}/`;
export const EMPTY_ROOT = toHex(ZERO_HASH);

export interface PrivateRoot {
  readonly root: string;
  /** private calls committed so far */
  readonly calls: number;
  /** the height of the last one (0: none yet) */
  readonly height: number;
}

export function getPrivateRoot(kv: KV, name: string): PrivateRoot | undefined {
  return kv.get(privateRootKey(name)) as PrivateRoot | undefined;
}

/** A private instance starts with an empty private state (its parties' nodes hold nothing of it yet). */
export function initPrivateRoot(kv: KV, inst: InstanceRecord): void {
  kv.set(privateRootKey(inst.name), { root: EMPTY_ROOT, calls: 0, height: 0 });
}
