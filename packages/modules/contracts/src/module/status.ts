import { SalusError } from '@salus/core';
import type { InstanceRecord } from './state.js';

/** A private contract's calls run on its parties' nodes and reach the ledger endorsed (private_call). */
export function requirePublic(inst: InstanceRecord): void {
  if (inst.manifest.private) throw new SalusError('CONTRACT_FORBIDDEN', `contract ${inst.name} is private: its parties' nodes run its calls (salus contract private-call)`, { contract: inst.name });
}

export function requireActive(inst: InstanceRecord): void {
  if (inst.status === 'pending') throw new SalusError('CONTRACT_FORBIDDEN', `contract ${inst.name} awaits its organisations' approval`, { contract: inst.name });
  if (inst.status === 'frozen') throw new SalusError('CONTRACT_FORBIDDEN', `contract ${inst.name} is frozen`, { contract: inst.name });
}
