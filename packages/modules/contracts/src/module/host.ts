import { SalusError, type Canonical } from '@salus/core';
import { Overlay, type KV } from '@salus/module';
import { activeKey, getOrg } from '@salus/identity';
import { dataPrefix, requireInstance, type InstanceRecord } from './state.js';

/**
 * The host side of a contract call: what the sandbox's host functions do on the ledger. A call sees
 * its own namespace (`contracts/data/<name>/`), reads other modules' state only under the prefixes its
 * manifest declares (approved with the contract), and calls another contract atomically: the callee
 * runs on a child overlay merged only when it returns.
 */
export interface CallFrame {
  readonly contract: InstanceRecord;
  /** the transaction's signer (hex), the same through nested calls */
  readonly signer: string;
  /** the contract that called this one, or null at the top */
  readonly caller: string | null;
  readonly height: number;
  readonly time: number;
  /** null for a query */
  readonly txHash: string | null;
  readonly state: KV;
  readonly readOnly: boolean;
  readonly depth: number;
  /** a private call's caller roles, as its endorsers recorded them (else `hasRole` reads identity in `state`) */
  readonly roles?: readonly string[];
  /** where the contract's events go (the transaction's result; nowhere for a query) */
  readonly emit: (contract: string, event: string, data: Canonical) => void;
}

/** Contract keys are printable ASCII, so that their string order is their byte order in the state store. */
const CONTRACT_KEY = /^[\x20-\x7e]{1,176}$/;

export function checkContractKey(key: unknown): string {
  if (typeof key !== 'string' || !CONTRACT_KEY.test(key)) throw new SalusError('CONTRACT_VALUE', "a contract state key is 1 to 176 printable ASCII characters (the ledger key adds the contract's prefix)");
  return key;
}

export function frameStateGet(f: CallFrame, key: string): unknown {
  return f.state.get(dataPrefix(f.contract.name) + checkContractKey(key));
}

export function frameStateSet(f: CallFrame, key: string, value: Canonical): void {
  if (f.readOnly) throw new SalusError('CONTRACT_FORBIDDEN', 'a query does not write state');
  f.state.set(dataPrefix(f.contract.name) + checkContractKey(key), value);
}

export function frameStateDelete(f: CallFrame, key: string): void {
  if (f.readOnly) throw new SalusError('CONTRACT_FORBIDDEN', 'a query does not write state');
  f.state.delete(dataPrefix(f.contract.name) + checkContractKey(key));
}

export function frameStateList(f: CallFrame, prefix: string, after: string | undefined, limit: number): [string, unknown][] {
  const base = dataPrefix(f.contract.name);
  if (prefix !== '') checkContractKey(prefix);
  const o = after === undefined ? { limit } : { after: base + checkContractKey(after), limit };
  return f.state.list(base + prefix, o).map(([k, value]) => [k.slice(base.length), value]);
}

/** Another module's state, where the manifest declares the prefix (and the contract is active, so its organisations approved it). */
export function frameReadModule(f: CallFrame, key: string): unknown {
  if (typeof key !== 'string' || !f.contract.manifest.reads.some((p) => key.startsWith(p))) {
    throw new SalusError('CONTRACT_FORBIDDEN', `the manifest of ${f.contract.name} does not declare reading ${String(key).slice(0, 80)}`);
  }
  return f.state.get(key);
}

/**
 * Does the signer hold `role`? A role is the key's role in its organisation (admin, practitioner,
 * service, …) or its organisation's kind (insurer, hospital, manufacturer, …), as identity records them.
 */
export function signerHasRole(kv: KV, signer: string, role: string): boolean {
  const key = activeKey(kv, signer);
  if (!key) return false;
  if (key.role === role) return true;
  return key.org !== null && getOrg(kv, key.org)?.kind === role;
}

export function signerOrg(kv: KV, signer: string): string | null {
  return activeKey(kv, signer)?.org ?? null;
}

/** Runs `body` on a child overlay of the frame's state, merged only if it returns (an atomic nested call); a read-only frame has nothing to merge. */
export function atomically<T>(f: CallFrame, body: (child: KV) => T): T {
  if (f.readOnly || !(f.state instanceof Overlay)) return body(f.state);
  const child = new Overlay(f.state);
  const out = body(child);
  child.mergeInto(f.state);
  return out;
}

export function calleeFrame(f: CallFrame, name: string): CallFrame {
  if (f.contract.manifest.private) throw new SalusError('CONTRACT_FORBIDDEN', `contract ${f.contract.name} is private: it calls no other contract (its parties could see different states of it)`);
  const contract = requireInstance(f.state, name);
  if (contract.manifest.private) throw new SalusError('CONTRACT_FORBIDDEN', `contract ${name} is private: only its parties' nodes run it`);
  if (contract.status !== 'active') throw new SalusError('CONTRACT_FORBIDDEN', `contract ${name} is ${contract.status}`);
  return { ...f, contract, caller: f.contract.name, depth: f.depth + 1 };
}
