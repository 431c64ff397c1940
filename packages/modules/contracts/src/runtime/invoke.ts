import { contractError } from '../errors.js';
import { CONTRACT_LIMITS, MIN_MEMORY_BYTES, MIN_STACK_BYTES, type ContractLimits } from '../limits.js';
import { jsonToValue, utf8Length, type ContractValue } from '../values.js';
import { hostDispatcher } from './hostcalls.js';
import type { ContractHost } from './host.js';
import type { QuickJSInternals } from './internals.js';
import type { Meter } from './meter.js';
import { fatalToError, thrownToError, type Thrown } from './outcome.js';
import type { SandboxPool } from './pool.js';
import { Sandbox } from './sandbox.js';

export { INTRINSICS } from './sandbox.js';

export interface Invocation {
  readonly codeHash: string;
  /** the code as a factory module (bundle/factory.ts) */
  readonly factory: string;
  readonly fileName: string;
  readonly method: string;
  readonly argsJson: string;
  readonly host: ContractHost;
  readonly limits: ContractLimits;
  readonly depth: number;
  readonly meter: Meter;
}

/**
 * Runs one export of one contract: in an idle sandbox of the code from `pool` if it has one that
 * still matches its set-up, else in a new one (which goes back to the pool, or is disposed when
 * there is none). Module-level variables start afresh either way (the factory runs the top level
 * for each call), shared objects are frozen, and the per-call engine state is reset (sandbox.ts),
 * so the outcome, gas and error are the same as in a new sandbox. Returns the value or throws the
 * call's error; an EngineFault (the instance itself failed) propagates.
 */
export function runInvocation(q: QuickJSInternals, pool: SandboxPool | undefined, inv: Invocation): { value: ContractValue; gasUsed: number } {
  const { meter } = inv;
  const slot = { meter, dispatch: hostDispatcher(inv.host, meter, inv.depth) };
  const memory = Math.max(MIN_MEMORY_BYTES, inv.limits.memoryBytes >> inv.depth);
  const stack = Math.max(MIN_STACK_BYTES, inv.limits.stackBytes >> inv.depth);
  let sandbox = pool?.take(inv.codeHash, q);
  if (sandbox && !sandbox.begin(slot, memory, stack)) {
    sandbox.dispose();
    sandbox = undefined;
  }
  if (!sandbox) {
    const made = Sandbox.create(q, inv.factory, inv.fileName, meter.metered);
    if (!(made instanceof Sandbox)) throw thrownToError(made, meter.reported());
    sandbox = made;
    if (!sandbox.begin(slot, memory, stack)) {
      sandbox.dispose();
      throw contractError('CONTRACT_INTERNAL', 'a new contract sandbox does not match its own set-up');
    }
  }
  let r: { out: string } | { thrown: Thrown };
  try {
    r = sandbox.call(inv.method, inv.argsJson);
  } catch (e) {
    // an engine fault: the instance is dropped with this sandbox
    sandbox.end(false);
    throw e;
  }
  // a sandbox whose call escaped `run` (the top level threw, or the engine stopped the interpreter) is not reused,
  // nor one whose instance a nested call found faulted
  if (sandbox.end('out' in r && pool !== undefined && !q.poisoned)) pool!.put(inv.codeHash, sandbox);
  else sandbox.dispose();
  const outcome = 'out' in r ? settle(r.out, inv) : { error: thrownToError(r.thrown, meter.reported()) };
  if (meter.fatal !== undefined) throw fatalToError(meter.fatal, meter.reported());
  if ('error' in outcome) throw outcome.error;
  return { value: outcome.value, gasUsed: meter.reported() };
}

/** What `run` returned (see prelude.ts), as the call's value or error. */
function settle(out: string, inv: Invocation): { value: ContractValue } | { error: unknown } {
  const { meter } = inv;
  switch (out[0]) {
    case 'v':
      try {
        meter.charge(utf8Length(out) * meter.prices.ioByte);
        return { value: jsonToValue(out.slice(1), 'the result', CONTRACT_LIMITS.resultBytes) };
      } catch (e) {
        return { error: e };
      }
    case 'e':
      return { error: thrownToError(JSON.parse(out.slice(1)) as Thrown, meter.reported()) };
    case 'x':
      return { error: contractError('CONTRACT_VALUE', `the result: ${out.slice(1, CONTRACT_LIMITS.messageChars)}`, { gasUsed: meter.reported() }) };
    default:
      return { error: contractError('CONTRACT_METHOD', `the contract exports no function ${inv.method}`, { method: inv.method, gasUsed: meter.reported() }) };
  }
}
