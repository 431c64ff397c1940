import { DefaultIntrinsics, type QuickJSContext, type QuickJSHandle, type QuickJSWASMModule } from 'quickjs-emscripten';
import { contractError } from '../errors.js';
import { CONTRACT_LIMITS, MIN_MEMORY_BYTES, MIN_STACK_BYTES, type ContractLimits } from '../limits.js';
import { jsonToValue, utf8Length, type ContractValue } from '../values.js';
import { hostDispatcher } from './hostcalls.js';
import type { ContractHost } from './host.js';
import type { Meter } from './meter.js';
import { fatalToError, thrownToError, type Thrown } from './outcome.js';
import { PRELUDE } from './prelude.js';

// No Date intrinsic at all: there is no clock to reach. Eval stays (the host evaluates through it) and the prelude removes it from contracts.
// No Proxy: a built-in reads `length` again after its metered wrapper has (builtins.ts), and a proxy could answer differently.
export const INTRINSICS = { ...DefaultIntrinsics, Date: false, Proxy: false } as const;

export interface Invocation {
  readonly code: string;
  readonly fileName: string;
  readonly method: string;
  readonly argsJson: string;
  readonly host: ContractHost;
  readonly limits: ContractLimits;
  readonly depth: number;
  readonly meter: Meter;
}

/** Signals that the WebAssembly instance faulted outside QuickJS (the caller replaces it). */
export class EngineFault {
  constructor(readonly cause: unknown) {}
}

function readThrown(ctx: QuickJSContext, err: QuickJSHandle): Thrown {
  const prop = (k: string): string => {
    try {
      return ctx.getProp(err, k).consume((h) => (ctx.typeof(h) === 'string' ? ctx.getString(h) : ''));
    } catch {
      return '';
    }
  };
  if (ctx.typeof(err) !== 'object') return { name: '', message: ctx.typeof(err) === 'string' ? ctx.getString(err) : 'a non-error value was thrown', reason: null };
  const reason = prop('reason');
  return { name: prop('name'), message: prop('message'), reason: reason || null };
}

/**
 * Runs one export of one contract in a fresh QuickJS runtime and context: nothing survives from
 * one call to the next (module-level variables, prototypes a contract patched, the interrupt
 * counter, the heap's garbage), so a validator that restarted computes exactly what one that did
 * not computes. Returns the value or throws the call's error; always tears the sandbox down.
 */
export function runInvocation(module: QuickJSWASMModule, inv: Invocation): { value: ContractValue; gasUsed: number } {
  const { meter } = inv;
  const rt = module.newRuntime();
  let ctx: QuickJSContext | undefined;
  const handles: QuickJSHandle[] = [];
  let outcome: { value: ContractValue } | { error: unknown };
  try {
    rt.setMemoryLimit(Math.max(MIN_MEMORY_BYTES, inv.limits.memoryBytes >> inv.depth));
    rt.setMaxStackSize(Math.max(MIN_STACK_BYTES, inv.limits.stackBytes >> inv.depth));
    if (meter.metered) rt.setInterruptHandler(() => meter.tick());
    ctx = rt.newContext({ intrinsics: INTRINSICS });
    const c = ctx;
    const dispatch = hostDispatcher(inv.host, meter, inv.depth);
    const hostFn = c.newFunction('__salus_host', (op, json) => {
      const r = dispatch(c.getString(op), c.getString(json));
      return r === undefined ? undefined : c.newString(r);
    });
    // the prelude's metered built-ins (builtins.ts) pay here: gas in units of `builtin`, summed inside the sandbox
    const chargeFn = c.newFunction('__salus_charge', (units) => {
      const u = c.getNumber(units);
      meter.charge(u >= 0 && u < Number.MAX_SAFE_INTEGER ? Math.ceil(u * meter.prices.builtin) : Infinity);
    });
    handles.push(hostFn, chargeFn);
    c.setProp(c.global, '__salus_host', hostFn);
    c.setProp(c.global, '__salus_charge', chargeFn);
    outcome = evaluate(c, inv, handles);
  } catch (e) {
    if (e instanceof EngineFault) throw e;
    outcome = { error: e };
  }
  try {
    for (const h of handles.reverse()) if (h.alive) h.dispose();
    ctx?.dispose();
    rt.dispose();
  } catch (e) {
    throw new EngineFault(e);
  }
  if (meter.fatal !== undefined) throw fatalToError(meter.fatal, meter.reported());
  if ('error' in outcome) throw outcome.error;
  return { value: outcome.value, gasUsed: meter.reported() };
}

function evaluate(c: QuickJSContext, inv: Invocation, handles: QuickJSHandle[]): { value: ContractValue } | { error: unknown } {
  const { meter } = inv;
  const unwrap = (r: ReturnType<QuickJSContext['evalCode']>): QuickJSHandle | Thrown => {
    if (r.error) {
      handles.push(r.error);
      return readThrown(c, r.error);
    }
    handles.push(r.value);
    return r.value;
  };
  let call: QuickJSHandle | Thrown, ns: QuickJSHandle | Thrown, result: QuickJSHandle | Thrown;
  try {
    call = unwrap(c.evalCode(PRELUDE, 'prelude.js', { type: 'global' }));
    if (!('alive' in call)) return { error: thrownToError(call, meter.reported()) };
    ns = unwrap(c.evalCode(inv.code, inv.fileName, { type: 'module' }));
    if (!('alive' in ns)) return { error: thrownToError(ns, meter.reported()) };
    const method = c.newString(inv.method);
    const args = c.newString(inv.argsJson);
    handles.push(method, args);
    result = unwrap(c.callFunction(call, c.undefined, ns, method, args));
  } catch (e) {
    // QuickJS reports the contract's failures as values; an exception here came from the instance itself
    throw new EngineFault(e);
  }
  if (!('alive' in result)) return { error: thrownToError(result, meter.reported()) };
  const out = c.typeof(result) === 'string' ? c.getString(result) : '';
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
