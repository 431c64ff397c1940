import { SalusError, type Canonical } from '@salus/core';
import type { KV } from '@salus/module';
import type { Manifest } from './manifest.js';

/** The keys the contracts module owns, and typed access to them. */
export const codeKey = (hash: string) => `contracts/code/${hash}`;
export const instanceKey = (name: string) => `contracts/instance/${name}`;
export const proposalKey = (id: string) => `contracts/proposal/${id}`;
/** a contract's own namespace: its keys are appended to this prefix */
export const dataPrefix = (name: string) => `contracts/data/${name}/`;

export interface CodeRecord {
  readonly code: string;
  readonly size: number;
  /** the exported functions the code was checked to have */
  readonly exports: readonly string[];
  readonly deployer: string;
  readonly height: number;
}

export interface InstanceRecord {
  readonly name: string;
  readonly codeHash: string;
  readonly manifest: Manifest;
  /** the key that instantiated it, and its organisation */
  readonly owner: string;
  readonly ownerOrg: string | null;
  /** pending: waits for its organisations' approval (a contract that reads other modules' state) */
  readonly status: 'pending' | 'active' | 'frozen';
  readonly since: number;
  /** every version's code stays on the ledger, so an old result can be re-checked against the code that made it */
  readonly history: readonly { readonly codeHash: string; readonly version: string; readonly height: number }[];
}

export type ProposalAction = { readonly kind: 'activate' } | { readonly kind: 'upgrade'; readonly codeHash: string; readonly manifest: Manifest } | { readonly kind: 'freeze' };

export interface ProposalRecord {
  readonly id: string;
  readonly contract: string;
  readonly action: ProposalAction;
  readonly approvals: readonly string[];
  readonly status: 'open' | 'enacted';
  readonly height: number;
}

export function getCode(kv: KV, hash: string): CodeRecord | undefined {
  return kv.get(codeKey(hash)) as CodeRecord | undefined;
}

export function getInstance(kv: KV, name: string): InstanceRecord | undefined {
  return kv.get(instanceKey(name)) as InstanceRecord | undefined;
}

export function requireInstance(kv: KV, name: string): InstanceRecord {
  const inst = getInstance(kv, name);
  if (!inst) throw new SalusError('CONTRACT_NOT_FOUND', `no contract named ${name}`, { contract: name });
  return inst;
}

export function putInstance(kv: KV, inst: InstanceRecord): void {
  kv.set(instanceKey(inst.name), inst as unknown as Canonical);
}
