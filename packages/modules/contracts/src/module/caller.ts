import { SalusError, type Canonical } from '@salus/core';
import type { KV } from '@salus/module';
import type { ContractRuntime, InvokeResult } from '../runtime/runtime.js';
import type { ContractHost } from '../runtime/host.js';
import type { ContractValue } from '../values.js';
import { atomically, calleeFrame, frameReadModule, frameStateDelete, frameStateGet, frameStateList, frameStateSet, signerHasRole, type CallFrame } from './host.js';
import { codeKey, getCode } from './state.js';

/** What the contracts module's handlers and routes need of the sandbox: run one method of a contract instance. */
export interface ContractCaller {
  invoke(frame: CallFrame, method: string, args: Canonical, gas: number): InvokeResult;
}

/**
 * Binds the sandbox to the ledger: a call's host functions read and write the contract's namespace
 * in the frame's state overlay, emit its events into the transaction's result, and call other
 * contracts atomically (a child overlay merged only when the callee returns; a failure anywhere
 * fails the whole transaction, whose writes the module manager then discards).
 */
export function createContractCaller(runtime: ContractRuntime): ContractCaller {
  const caller: ContractCaller = {
    invoke(frame, method, args, gas) {
      return invokeAt(frame, method, args as ContractValue, gas, 0);
    },
  };
  function invokeAt(frame: CallFrame, method: string, args: ContractValue, gas: number, depth: number): InvokeResult {
    const hash = frame.contract.codeHash;
    // the code must be in state; its text is read (and decoded) only if the runtime has not verified that hash yet
    if (!frame.state.has(codeKey(hash))) throw new SalusError('CORRUPT_DATA', `the code of contract ${frame.contract.name} is missing`, { codeHash: hash });
    const host: ContractHost = {
      context: { height: frame.height, time: frame.time, signer: frame.signer, txHash: frame.txHash, contract: frame.contract.name, caller: frame.caller },
      get: (key) => frameStateGet(frame, key) as ContractValue | undefined,
      read: (key) => frameReadModule(frame, key) as ContractValue | undefined,
      set: (key, value) => frameStateSet(frame, key, value as Canonical),
      delete: (key) => frameStateDelete(frame, key),
      list: (prefix, o) => frameStateList(frame, prefix, o.after, o.limit) as [string, ContractValue][],
      emit: (type, attributes) => frame.emit(frame.contract.name, type, attributes as Canonical),
      hasRole: (role) => (frame.roles ? frame.roles.includes(role) : signerHasRole(frame.state, frame.signer, role)),
      isSigner: (key) => key === frame.signer,
      call: (contract, m, a, budget) => atomically(frame, (child) => invokeAt({ ...calleeFrame(frame, contract), state: child }, m, a, budget.gas, budget.depth)),
    };
    return runtime.invoke({ code: () => getCode(frame.state, hash)!.code, codeHash: hash, method, args, host, limits: { gas }, depth });
  }
  return caller;
}

/**
 * A frame whose state records every key it reads (the contract's own, other modules', the code and
 * the instance), so that a query can return each with its proof.
 */
export function trackingFrame(frame: CallFrame, reads: Set<string>): CallFrame {
  const inner = frame.state;
  const refuse = (): never => {
    throw new SalusError('CONTRACT_FORBIDDEN', 'a query does not write state');
  };
  const state: KV = {
    get: (key) => (reads.add(key), inner.get(key)),
    has: (key) => (reads.add(key), inner.has(key)),
    list: (prefix, o) => {
      const out = inner.list(prefix, o);
      for (const [k] of out) reads.add(k);
      return out;
    },
    set: refuse,
    delete: refuse,
  };
  reads.add(codeKey(frame.contract.codeHash));
  return { ...frame, state };
}
