import { contractError } from '../errors.js';
import { CONTRACT_LIMITS, DEFAULT_GAS, DEFAULT_LIMITS, type ContractLimits, type GasSchedule } from '../limits.js';
import { valueToJson, type ContractValue } from '../values.js';
import { CodeCache } from './code.js';
import { Engine, EngineFault } from './engine.js';
import type { ContractHost } from './host.js';
import { runInvocation } from './invoke.js';
import { Meter } from './meter.js';
import { SandboxPool } from './pool.js';

export interface ContractRuntimeOptions {
  /** no interrupt handler and no prices: gasUsed is 0 and nothing stops a loop (benchmarks only) */
  readonly unmetered?: boolean;
  readonly gas?: Partial<GasSchedule>;
  /** defaults for calls that do not set their own */
  readonly limits?: Partial<ContractLimits>;
  /** verified code kept by hash */
  readonly codeCacheSize?: number;
  /** idle sandboxes a caching view (`blockScoped`, `cached`) keeps at most; default 16 */
  readonly sandboxes?: number;
}

export interface InvokeRequest {
  /** the bundled code, or a function that reads it (called only if the runtime has not verified code under `codeHash` yet) */
  readonly code: string | (() => string);
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
  /** A new view on the same engine for consensus execution: sandboxes are reused within one block (see BlockScopedRuntime). */
  blockScoped(): BlockScopedRuntime;
  /** A new view on the same engine that reuses sandboxes across calls with no scope: for work outside consensus, such as queries. */
  cached(): ContractRuntime;
}

/**
 * Consensus execution's view. Between `beginBlock(h)` and `endBlock()`, the calls whose context
 * is at height h reuse sandboxes, per code hash; both hooks dispose every sandbox kept. Every
 * validator executes the same block's calls in the same order from a fresh start, so even a cache
 * with history would be the same on all of them; and a reused sandbox gives the same outcome as a
 * new one anyway (sandbox.ts). Any other call (no block open, another height) runs in a new sandbox.
 */
export interface BlockScopedRuntime extends ContractRuntime {
  beginBlock(height: number): void;
  endBlock(): void;
}

const METHOD = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

interface Shared {
  readonly engine: Engine;
  readonly gas: GasSchedule;
  readonly defaults: ContractLimits;
  readonly metered: boolean;
  readonly codes: CodeCache;
  readonly sandboxes: number;
}

/**
 * Loads the QuickJS WebAssembly once (about 10 ms) and returns a runtime whose calls are
 * synchronous, each in a new sandbox (as private execution needs); `blockScoped()` and `cached()`
 * make views that reuse sandboxes.
 */
export async function createContractRuntime(opts: ContractRuntimeOptions = {}): Promise<ContractRuntime> {
  const shared: Shared = {
    engine: await Engine.create(),
    gas: { ...DEFAULT_GAS, ...opts.gas },
    defaults: { ...DEFAULT_LIMITS, ...opts.limits },
    metered: !opts.unmetered,
    codes: new CodeCache(opts.codeCacheSize),
    sandboxes: opts.sandboxes ?? 16,
  };
  return view(shared, () => undefined);
}

function view(s: Shared, poolFor: (req: InvokeRequest) => SandboxPool | undefined): ContractRuntime {
  return {
    invoke: (req) => invoke(s, req, poolFor(req)),
    ready: () => s.engine.ready(),
    metered: s.metered,
    gas: s.gas,
    blockScoped: () => blockView(s),
    cached: () => {
      const pool = new SandboxPool(s.sandboxes);
      return view(s, () => pool);
    },
  };
}

function blockView(s: Shared): BlockScopedRuntime {
  const pool = new SandboxPool(s.sandboxes);
  let height: number | undefined;
  return {
    ...view(s, (req) => (height !== undefined && req.host?.context?.height === height ? pool : undefined)),
    beginBlock(h: number): void {
      pool.clear();
      height = h;
    },
    endBlock(): void {
      pool.clear();
      height = undefined;
    },
  };
}

function invoke(s: Shared, req: InvokeRequest, pool: SandboxPool | undefined): InvokeResult {
  const depth = req.depth ?? 0;
  if (!Number.isSafeInteger(depth) || depth < 0 || depth > CONTRACT_LIMITS.maxDepth) {
    throw contractError('CONTRACT_DEPTH', `cross-contract calls nest at most ${CONTRACT_LIMITS.maxDepth} deep`, { depth, gasUsed: 0 });
  }
  if (typeof req.method !== 'string' || !METHOD.test(req.method) || req.method === 'default') throw contractError('CONTRACT_METHOD', 'the method must be the name of a named export', { gasUsed: 0 });
  const factory = s.codes.verify(req.code, req.codeHash);
  const limits: ContractLimits = { ...s.defaults, ...req.limits };
  if (!Number.isSafeInteger(limits.gas) || limits.gas < 0) throw contractError('CONTRACT_VALUE', 'the gas limit must be a non-negative integer', { gasUsed: 0 });
  const argsJson = valueToJson(req.args, 'the arguments', CONTRACT_LIMITS.argsBytes);
  const meter = new Meter(limits.gas, s.gas, s.metered);
  try {
    meter.charge(argsJson.length * s.gas.ioByte);
  } catch {
    throw contractError('OUT_OF_GAS', `the call needs more than ${limits.gas} gas`, { gasLimit: limits.gas, gasUsed: limits.gas });
  }
  const q = s.engine.instance();
  try {
    return runInvocation(q, pool, {
      codeHash: req.codeHash,
      factory,
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
    if (!q.poisoned) s.engine.poison();
    pool?.clear();
    throw contractError('CONTRACT_INTERNAL', `the contract engine faulted: ${String((e.cause as Error)?.message ?? e.cause).slice(0, 200)}`, { depth });
  }
}
