import { SalusError, encode, type Canonical } from '@salus/core';
import { Overlay, type KV, type ListOptions, type RawReader } from '@salus/module';
import { activeKey, getOrg } from '@salus/identity';
import type { PrivateInput } from '@salus/client';
import type { ContractCaller } from '../module/caller.js';
import { dataPrefix, type InstanceRecord } from '../module/state.js';
import type { PrivateStore, PrivatePreview, PrivateWrites } from './store.js';
import type { PrivateOutputs, PrivateResult } from './result.js';

/** What a private call runs in: recorded by its endorsers in the result, so every replay runs it the same. */
export interface PrivateContext {
  readonly caller: string;
  readonly roles: readonly string[];
  readonly height: number;
  readonly time: number;
}

export interface PrivateRun {
  readonly result: PrivateResult;
  readonly writes: PrivateWrites;
  readonly preview: PrivatePreview;
}

/** The caller's roles as `hasRole` answers them: its key's role and its organisation's kind. */
export function callerRoles(kv: KV, key: string): string[] {
  const k = activeKey(kv, key);
  if (!k) return [];
  const kind = k.org === null ? undefined : getOrg(kv, k.org)?.kind;
  return kind ? [k.role, kind].sort() : [k.role];
}

/**
 * The contract's view on a party's node: its own namespace from the private store, everything else
 * (its code, its instance) from committed public state, read-only.
 */
class PrivateView implements RawReader {
  private readonly prefix: string;

  constructor(
    private readonly store: PrivateStore,
    private readonly contract: string,
    private readonly pub: KV,
  ) {
    this.prefix = dataPrefix(contract);
  }

  getRaw(key: string): Uint8Array | undefined {
    if (key.startsWith(this.prefix)) return this.store.getRaw(this.contract, key.slice(this.prefix.length));
    const v = this.pub.get(key);
    return v === undefined ? undefined : encode(v as Canonical);
  }

  listRaw(prefix: string, o: ListOptions): [string, Uint8Array][] {
    if (!prefix.startsWith(this.prefix)) return this.pub.list(prefix, o).map(([k, v]) => [k, encode(v as Canonical)]);
    const after = o.after === undefined ? undefined : o.after.slice(this.prefix.length);
    return this.store.listRaw(this.contract, prefix.slice(this.prefix.length), after, o.limit).map(([k, v]) => [this.prefix + k, v]);
  }
}

/**
 * Runs one method of a private contract on this node's private state (at its current root) and
 * returns the result to sign with the writes and tree nodes that commit it. `readOnly` for a
 * private query: its writes are refused.
 */
export function runPrivate(o: {
  caller: ContractCaller;
  store: PrivateStore;
  pub: KV;
  inst: InstanceRecord;
  input: PrivateInput;
  inputHash: string;
  context: PrivateContext;
  readOnly?: boolean;
}): PrivateRun {
  const { inst, context } = o;
  const before = o.store.head(inst.name).root;
  const state = new Overlay(new PrivateView(o.store, inst.name, o.pub));
  const events: { event: string; data: Canonical }[] = [];
  const out = o.caller.invoke(
    {
      contract: inst,
      signer: context.caller,
      caller: null,
      height: context.height,
      time: context.time,
      // a private call's id is its input's hash (unique: the input carries a random salt)
      txHash: o.inputHash,
      state,
      readOnly: o.readOnly === true,
      depth: 0,
      roles: context.roles,
      emit: (_name, event, data) => void events.push({ event, data }),
    },
    o.input.method,
    o.input.args,
    o.input.gas,
  );
  const prefix = dataPrefix(inst.name);
  const writes = new Map<string, Uint8Array | null>();
  for (const [k, v] of state.writes) {
    if (!k.startsWith(prefix)) throw new SalusError('CONTRACT_FORBIDDEN', `a private contract writes only its own private state, not ${k.slice(0, 60)}`);
    writes.set(k.slice(prefix.length), v);
  }
  const preview = o.store.preview(inst.name, writes, before);
  const outputs: PrivateOutputs = { value: out.value as Canonical, events };
  const result: PrivateResult = { contract: inst.name, caller: context.caller, roles: [...context.roles], input: o.inputHash, height: context.height, time: context.time, before, after: preview.root, outputs };
  return { result, writes, preview };
}
