import { DefaultIntrinsics, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime } from 'quickjs-emscripten';
import { contractError } from '../errors.js';
import { DEFAULT_LIMITS } from '../limits.js';
import { EngineFault } from './engine.js';
import { INITIAL_GC_THRESHOLD, type QuickJSInternals } from './internals.js';
import type { Meter } from './meter.js';
import { readThrown, type Thrown } from './outcome.js';
import { PRELUDE } from './prelude.js';

// No Date intrinsic at all: there is no clock to reach. Eval stays (the host evaluates through it) and the prelude removes it from contracts.
// No Proxy: a built-in reads `length` again after its metered wrapper has (builtins.ts), and a proxy could answer differently.
export const INTRINSICS = { ...DefaultIntrinsics, Date: false, Proxy: false } as const;

/** Set-up is not a call: it gets the default limits whatever the call's, so that whether code compiles never depends on who calls it. */
const SETUP_MEMORY = DEFAULT_LIMITS.memoryBytes;
const SETUP_STACK = DEFAULT_LIMITS.stackBytes;

/** What the sandbox's host functions serve during one call. */
export interface CallSlot {
  readonly meter: Meter;
  readonly dispatch: (op: string, json: string) => string | undefined;
}

/** A sandbox's state right after set-up, which every call must find again. */
interface Baseline {
  readonly allocations: number;
  readonly heap: number;
  readonly atomSlots: number;
}

function faulting<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    // QuickJS reports the contract's failures as values; an exception here came from the instance itself
    throw e instanceof EngineFault ? e : new EngineFault(e);
  }
}

/**
 * One QuickJS runtime and context set up for one contract code: the prelude ran, everything
 * reachable is frozen (lockdown.ts), and the code is compiled once, as a factory (bundle/factory.ts)
 * that each call runs afresh. A call finds the sandbox exactly as set-up left it, or the sandbox is
 * not used: `begin` collects garbage when the heap holds more than the baseline and refuses if it
 * still does, or if the atom table has grown (internals.ts); it then sets the per-call state a fresh
 * runtime and context would have: the interrupt counter at 0, the GC threshold, the stack top where
 * a runtime created now would put it, and the memory limit. So a call's outcome, gas and error do
 * not depend on whether its sandbox is new or served earlier calls (test/cache.test.ts).
 */
export class Sandbox {
  private constructor(
    readonly internals: QuickJSInternals,
    private readonly rt: QuickJSRuntime,
    private readonly ctx: QuickJSContext,
    private readonly handles: { readonly run: QuickJSHandle; readonly restore: QuickJSHandle; readonly factory: QuickJSHandle },
    private readonly hold: { slot?: CallSlot },
    private readonly baseline: Baseline,
  ) {}

  /** A sandbox for `source` (the factory module), or what its code threw when it did not compile. */
  static create(q: QuickJSInternals, source: string, fileName: string, metered: boolean): Sandbox | Thrown {
    return faulting(() => {
      const recipe = lockdownRecipe(q);
      const hold: { slot?: CallSlot } = {};
      const held: QuickJSHandle[] = [];
      const { rt, ctx: c } = setUp(q, hold, metered);
      let done = false;
      try {
        const r = c.newString(recipe);
        c.setProp(c.global, '__salus_lockdown', r);
        r.dispose();
        const prelude = c.evalCode(PRELUDE, 'prelude.js', { type: 'global' });
        if (prelude.error) return thrown(c, prelude.error);
        held.push(c.getProp(prelude.value, 0), c.getProp(prelude.value, 1));
        prelude.value.dispose();
        const ns = c.evalCode(source, fileName, { type: 'module' });
        if (ns.error) return thrown(c, ns.error);
        held.push(c.getProp(ns.value, 'default'));
        ns.value.dispose();
        rt.setMemoryLimit(-1);
        q.collect(rt, c);
        const baseline: Baseline = { allocations: q.allocations(rt), heap: q.heapSize(rt), atomSlots: q.atomSlots(rt) };
        done = true;
        return new Sandbox(q, rt, c, { run: held[0]!, restore: held[1]!, factory: held[2]! }, hold, baseline);
      } finally {
        if (!done) {
          for (const h of held) h.dispose();
          c.dispose();
          rt.dispose();
        }
      }
    });
  }

  /**
   * Prepares a call; false if the sandbox no longer matches its baseline (the caller then uses a
   * new one). `memoryBytes` is what the call may allocate on top of the set-up heap.
   */
  begin(slot: CallSlot, memoryBytes: number, stackBytes: number): boolean {
    return faulting(() => {
      const { internals: q, rt, ctx, baseline: b } = this;
      if (q.allocations(rt) !== b.allocations) {
        q.collect(rt, ctx);
        if (q.allocations(rt) !== b.allocations) return false;
      }
      if (q.atomSlots(rt) !== b.atomSlots) return false;
      // as a fresh runtime would: its first collection at 256 KiB, or half again the set-up heap if that is larger
      q.setGcThreshold(rt, Math.max(INITIAL_GC_THRESHOLD, b.heap + (b.heap >> 1)));
      rt.setMemoryLimit(b.heap + memoryBytes);
      q.setStack(rt, stackBytes);
      q.resetInterruptCounter(ctx);
      this.hold.slot = slot;
      q.active.push(rt);
      return true;
    });
  }

  /** Runs the method: what `run` returned (see prelude.ts), or what escaped it (the top level threw, or the engine stopped the interpreter). */
  call(method: string, argsJson: string): { out: string } | { thrown: Thrown } {
    return faulting(() => {
      const c = this.ctx;
      const m = c.newString(method);
      const a = c.newString(argsJson);
      try {
        const r = c.callFunction(this.handles.run, c.undefined, this.handles.factory, m, a);
        if (r.error) return { thrown: thrown(c, r.error) };
        const out = c.typeof(r.value) === 'string' ? c.getString(r.value) : '';
        r.value.dispose();
        return { out };
      } finally {
        m.dispose();
        a.dispose();
      }
    });
  }

  /**
   * Ends the call (always, also after a fault). With `keep`, readies the sandbox for another call
   * and says whether it may serve one: its writable built-ins restored, no promise job left.
   * Without, touches nothing inside the instance (the caller disposes the sandbox, or drops the faulted instance).
   */
  end(keep: boolean): boolean {
    this.hold.slot = undefined;
    const i = this.internals.active.lastIndexOf(this.rt);
    if (i >= 0) this.internals.active.splice(i, 1);
    if (!keep) return false;
    return faulting(() => {
      this.rt.setMemoryLimit(-1);
      // the call's garbage waits for the next call's `begin`: the last call of a block leaves none to collect
      const r = this.ctx.callFunction(this.handles.restore, this.ctx.undefined);
      if (r.error) {
        r.error.dispose();
        return false;
      }
      r.value.dispose();
      return !this.rt.hasPendingJob();
    });
  }

  dispose(): void {
    // a faulted instance is left alone: freeing inside it could fault again
    if (this.internals.poisoned) return;
    faulting(() => {
      this.handles.run.dispose();
      this.handles.restore.dispose();
      this.handles.factory.dispose();
      this.ctx.dispose();
      this.rt.dispose();
    });
  }
}

/** A new runtime and context with the set-up limits and the two host functions, which serve the call in `hold` (none during set-up). */
function setUp(q: QuickJSInternals, hold: { slot?: CallSlot }, metered: boolean): { rt: QuickJSRuntime; ctx: QuickJSContext } {
  const rt = q.module.newRuntime();
  try {
    rt.setMemoryLimit(SETUP_MEMORY);
    q.setStack(rt, SETUP_STACK);
    if (metered) rt.setInterruptHandler(() => (hold.slot ? hold.slot.meter.tick() : false));
    const c = rt.newContext({ intrinsics: INTRINSICS });
    const hostFn = c.newFunction('__salus_host', (op, json) => {
      if (!hold.slot) throw contractError('CONTRACT_INTERNAL', 'no contract call is under way');
      const r = hold.slot.dispatch(c.getString(op), c.getString(json));
      return r === undefined ? undefined : c.newString(r);
    });
    // the prelude's metered built-ins (builtins.ts) pay here: gas in units of `builtin`, summed inside the sandbox; set-up's own use is free
    const chargeFn = c.newFunction('__salus_charge', (units) => {
      const meter = hold.slot?.meter;
      if (!meter) return;
      const u = c.getNumber(units);
      meter.charge(u >= 0 && u < Number.MAX_SAFE_INTEGER ? Math.ceil(u * meter.prices.builtin) : Infinity);
    });
    c.setProp(c.global, '__salus_host', hostFn);
    c.setProp(c.global, '__salus_charge', chargeFn);
    hostFn.dispose();
    chargeFn.dispose();
    return { rt, ctx: c };
  } catch (e) {
    rt.dispose();
    throw e;
  }
}

const recipes = new WeakMap<QuickJSInternals, string>();

/** The lockdown's recipe for this instance, from a walk in a context set up for nothing else (lockdown.ts). */
function lockdownRecipe(q: QuickJSInternals): string {
  const had = recipes.get(q);
  if (had !== undefined) return had;
  const { rt, ctx: c } = setUp(q, {}, false);
  try {
    const prelude = c.unwrapResult(c.evalCode(PRELUDE, 'prelude.js', { type: 'global' }));
    const recipe = prelude.consume((p) => c.getProp(p, 2).consume((w) => c.getString(w)));
    recipes.set(q, recipe);
    return recipe;
  } finally {
    c.dispose();
    rt.dispose();
  }
}

function thrown(c: QuickJSContext, err: QuickJSHandle): Thrown {
  const t = readThrown(c, err);
  err.dispose();
  return t;
}
