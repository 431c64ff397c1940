import { sha256, toHex, utf8ToBytes } from '@salus/core';
import { bundleContract, type BundleInput } from '../bundle/bundle.js';
import { checkContractCode } from '../bundle/check.js';
import { contractError } from '../errors.js';
import { contractCodeHash } from '../runtime/code.js';
import type { CallContext, ContractHost } from '../runtime/host.js';
import { createContractRuntime, type ContractRuntime } from '../runtime/runtime.js';
import type { ContractValue } from '../values.js';
import { Overlay, type Committed, type HarnessEvent } from './overlay.js';

export interface HarnessContract {
  /** bundled code, or a contract to bundle */
  readonly code?: string;
  readonly entry?: string;
  readonly source?: string;
  readonly fileName?: string;
}

export interface HarnessOptions extends HarnessContract {
  /** the instance name of the contract under test */
  readonly name?: string;
  /** other contract instances it may call, by name */
  readonly others?: Readonly<Record<string, HarnessContract>>;
  readonly signer?: string;
  readonly roles?: Iterable<string>;
  readonly height?: number;
  readonly time?: number;
  readonly gas?: number;
  /** share one runtime (its WebAssembly) between harnesses */
  readonly runtime?: ContractRuntime;
}

export interface CallOptions {
  readonly signer?: string;
  readonly roles?: Iterable<string>;
  readonly gas?: number;
  /** another instance than the one under test */
  readonly contract?: string;
}

export interface CallOutcome {
  readonly value: ContractValue;
  readonly gasUsed: number;
  readonly events: readonly HarnessEvent[];
}

interface Deployed {
  readonly code: string;
  readonly codeHash: string;
  readonly methods: string[];
}

async function load(c: HarnessContract): Promise<Deployed> {
  if (c.code !== undefined) return { code: c.code, codeHash: contractCodeHash(c.code), methods: checkContractCode(c.code).methods };
  const input: BundleInput = c.entry !== undefined ? { entry: c.entry } : { source: c.source ?? '', fileName: c.fileName ?? 'contract.ts' };
  return bundleContract(input);
}

/**
 * A contract with in-memory state and no network, for contract authors' unit tests: calls run in
 * the real runtime with gas, writes are buffered per call and dropped when it fails, queries may
 * not write. The block context (height, time, signer, roles) is plain settable fields.
 */
export class ContractHarness {
  height: number;
  time: number;
  signer: string;
  roles: Set<string>;
  readonly committed: Committed = new Map();
  private txs = 0;

  constructor(
    readonly runtime: ContractRuntime,
    readonly name: string,
    private readonly contracts: Map<string, Deployed>,
    o: HarnessOptions,
    private readonly gas: number,
  ) {
    this.height = o.height ?? 1;
    this.time = o.time ?? 1_700_000_000_000;
    this.signer = o.signer ?? 'a'.repeat(64);
    this.roles = new Set(o.roles ?? []);
  }

  get code(): string {
    return this.contracts.get(this.name)!.code;
  }
  get codeHash(): string {
    return this.contracts.get(this.name)!.codeHash;
  }
  get methods(): string[] {
    return this.contracts.get(this.name)!.methods;
  }

  /** A committed value of the contract under test (or of `contract`). */
  get(key: string, contract = this.name): ContractValue | undefined {
    return this.committed.get(contract)?.get(key);
  }

  /** Every committed entry of a contract, in key order. */
  entries(contract = this.name): [string, ContractValue][] {
    return [...(this.committed.get(contract) ?? new Map<string, ContractValue>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Writes state directly (test set-up). */
  put(key: string, value: ContractValue, contract = this.name): void {
    let m = this.committed.get(contract);
    if (!m) this.committed.set(contract, (m = new Map()));
    m.set(key, value);
  }

  /** Runs a method as a transaction: on success its writes and events are committed, on failure nothing is. */
  call(method: string, args: ContractValue = null, o: CallOptions = {}): CallOutcome {
    const txHash = toHex(sha256(utf8ToBytes(`harness-tx-${++this.txs}`)));
    const overlay = new Overlay(this.committed);
    const r = this.run(overlay, o.contract ?? this.name, method, args, o, txHash, false);
    overlay.commit();
    return { ...r, events: overlay.events };
  }

  /** Runs a method read-only: a write or an event fails it with CONTRACT_FORBIDDEN. */
  query(method: string, args: ContractValue = null, o: CallOptions = {}): { value: ContractValue; gasUsed: number } {
    return this.run(new Overlay(this.committed), o.contract ?? this.name, method, args, o, null, true);
  }

  private run(overlay: Overlay, contract: string, method: string, args: ContractValue, o: CallOptions, txHash: string | null, readOnly: boolean) {
    const d = this.contracts.get(contract);
    if (!d) throw contractError('CONTRACT_METHOD', `no contract ${contract} in this harness`);
    const roles = new Set(o.roles ?? this.roles);
    const signer = o.signer ?? this.signer;
    const host = this.host(overlay, { height: this.height, time: this.time, signer, txHash, contract, caller: null }, roles, readOnly);
    return this.runtime.invoke({ code: d.code, codeHash: d.codeHash, method, args, host, limits: { gas: o.gas ?? this.gas } });
  }

  private host(overlay: Overlay, context: CallContext, roles: Set<string>, readOnly: boolean): ContractHost {
    const me = context.contract;
    const write = (what: string): void => {
      if (readOnly) throw contractError('CONTRACT_FORBIDDEN', `a query may not ${what}`, { readOnly: true });
    };
    return {
      context,
      get: (key) => overlay.get(me, key),
      set: (key, value) => (write('write state'), overlay.set(me, key, value)),
      delete: (key) => (write('write state'), overlay.set(me, key, null)),
      list: (prefix, { after, limit }) => overlay.list(me, prefix, after, limit),
      emit: (type, attributes) => (write('emit events'), overlay.events.push({ contract: me, type, attributes })),
      hasRole: (role) => roles.has(role),
      isSigner: (key) => key === context.signer,
      call: (contract, method, args, budget) => {
        const d = this.contracts.get(contract);
        if (!d) throw contractError('CONTRACT_METHOD', `no contract ${contract}`, { gasUsed: 0 });
        const child = overlay.child();
        const nested = this.host(child, { ...context, contract, caller: me }, roles, readOnly);
        const r = this.runtime.invoke({ code: d.code, codeHash: d.codeHash, method, args, host: nested, limits: { gas: budget.gas }, depth: budget.depth });
        child.commit();
        return r;
      },
    };
  }
}

export async function createContractHarness(o: HarnessOptions): Promise<ContractHarness> {
  const name = o.name ?? 'contract';
  const contracts = new Map<string, Deployed>([[name, await load(o)]]);
  for (const [n, c] of Object.entries(o.others ?? {})) contracts.set(n, await load(c));
  const runtime = o.runtime ?? (await createContractRuntime());
  return new ContractHarness(runtime, name, contracts, o, o.gas ?? 5_000_000);
}
