import { contractError } from '../errors.js';
import { CONTRACT_LIMITS, DEFAULT_GAS, DEFAULT_LIMITS, type ContractLimits, type GasSchedule } from '../limits.js';
import { valueToJson, type ContractValue } from '../values.js';
import { CodeCache } from './code.js';
import { Engine } from './engine.js';
import type { ContractHost } from './host.js';
import { EngineFault, runInvocation } from './invoke.js';
import { Meter } from './meter.js';

export interface ContractRuntimeOptions {
  /** no interrupt handler and no prices: gasUsed is 0 and nothing stops a loop (benchmarks only) */
  readonly unmetered?: boolean;
  readonly gas?: Partial<GasSchedule>;
  /** defaults for calls that do not set their own */
  readonly limits?: Partial<ContractLimits>;
  /** verified code kept by hash */
  readonly codeCacheSize?: number;
}

export interface InvokeRequest {
  readonly code: string;
  readonly codeHash: string;
  readonly method: string;
  readonly args: ContractValue;
  readonly host: ContractHost;
  /** `gas` is the budget: a nested call gets `budget.gas` from the host */
  readonly limits?: Partial<ContractLimits>;
  /** 0 for a transaction's or query's call; a nested call passes `budget.depth` */
  readonly depth?: number;
}

export interface InvokeResult {
  readonly value: ContractValue;
  readonly gasUsed: number;
}

export interface ContractRuntime {
  /** Runs one exported function synchronously; throws a SalusError whose meta.gasUsed is what the call spent. */
  invoke(req: InvokeRequest): InvokeResult;
  /** Resolves when the engine is usable (after an engine fault it is replaced in the background). */
  ready(): Promise<void>;
  readonly metered: boolean;
  readonly gas: GasSchedule;
}

const METHOD = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

/** Loads the QuickJS WebAssembly once (about 10 ms) and returns a runtime whose calls are synchronous. */
export async function createContractRuntime(opts: ContractRuntimeOptions = {}): Promise<ContractRuntime> {
  const engine = await Engine.create();
  const gas: GasSchedule = { ...DEFAULT_GAS, ...opts.gas };
  const defaults: ContractLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const metered = !opts.unmetered;
  const codes = new CodeCache(opts.codeCacheSize);

  function invoke(req: InvokeRequest): InvokeResult {
    const depth = req.depth ?? 0;
    if (!Number.isSafeInteger(depth) || depth < 0 || depth > CONTRACT_LIMITS.maxDepth) {
      throw contractError('CONTRACT_DEPTH', `cross-contract calls nest at most ${CONTRACT_LIMITS.maxDepth} deep`, { depth, gasUsed: 0 });
    }
    if (typeof req.method !== 'string' || !METHOD.test(req.method) || req.method === 'default') throw contractError('CONTRACT_METHOD', 'the method must be the name of a named export', { gasUsed: 0 });
    codes.verify(req.code, req.codeHash);
    const limits: ContractLimits = { ...defaults, ...req.limits };
    if (!Number.isSafeInteger(limits.gas) || limits.gas < 0) throw contractError('CONTRACT_VALUE', 'the gas limit must be a non-negative integer', { gasUsed: 0 });
    const argsJson = valueToJson(req.args, 'the arguments', CONTRACT_LIMITS.argsBytes);
    const meter = new Meter(limits.gas, gas, metered);
    try {
      meter.charge(argsJson.length * gas.ioByte);
    } catch {
      throw contractError('OUT_OF_GAS', `the call needs more than ${limits.gas} gas`, { gasLimit: limits.gas, gasUsed: limits.gas });
    }
    const module = engine.module();
    try {
      return runInvocation(module, {
        code: req.code,
        fileName: `contract-${req.codeHash.slice(0, 16)}.js`,
        method: req.method,
        argsJson,
        host: req.host,
        limits,
        depth,
        meter,
      });
    } catch (e) {
      if (!(e instanceof EngineFault)) throw e;
      // A nested call may have faulted and been replaced already; only drop the instance this call used.
      if (safeModule(engine) === module) engine.poison();
      throw contractError('CONTRACT_INTERNAL', `the contract engine faulted: ${String((e.cause as Error)?.message ?? e.cause).slice(0, 200)}`, { depth });
    }
  }

  return { invoke, ready: () => engine.ready(), metered, gas };
}

function safeModule(engine: Engine): unknown {
  try {
    return engine.module();
  } catch {
    return undefined;
  }
}
