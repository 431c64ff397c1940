import type { QuickJSContext, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import { contractError } from '../errors.js';

/**
 * Fields of QuickJS's JSRuntime and JSContext that quickjs-emscripten does not expose, read and
 * written in the WebAssembly memory at their offsets in this build (wasm32; QuickJS 2025-09-13 as
 * vendored by quickjs-emscripten 0.32.0, pinned by the lockfile and part of consensus like the
 * rest of the build). A reused sandbox needs them to start every call in the state a fresh one
 * starts in: the interrupt counter (a context's, so its phase would carry over), the GC threshold
 * and the heap size the memory limit is set from, and the stack top the stack limit counts from.
 * `load` checks each offset against what the field does before anything uses it, and refuses a
 * build whose layout differs (CONTRACT_INTERNAL: the node cannot run contracts as the chain does).
 */
const RT = {
  mallocCount: 16,
  mallocSize: 20,
  mallocLimit: 24,
  atomHashSize: 36,
  atomCount: 40,
  atomSize: 44,
  gcThreshold: 108,
  stackSize: 120,
  stackTop: 124,
  stackLimit: 128,
  currentFrame: 148,
  shapeHashBits: 232,
  shapeHashSize: 236,
} as const;
const CTX = { interruptCounter: 232 } as const;

/** QuickJS's first GC threshold (JS_NewRuntime), and its counting of every live allocation as 8 bytes (no malloc_usable_size under Emscripten). */
export const INITIAL_GC_THRESHOLD = 256 * 1024;
const BYTES_PER_ALLOCATION = 8;

type Pointer = number;
const rtPointer = (rt: QuickJSRuntime): Pointer => (rt as unknown as { rt: { value: Pointer } }).rt.value;
const ctxPointer = (ctx: QuickJSContext): Pointer => (ctx as unknown as { ctx: { value: Pointer } }).ctx.value;

export class QuickJSInternals {
  private view: Int32Array | undefined;
  /** set when the instance faulted: nothing more runs in it */
  poisoned = false;
  /** Runtimes with a call under way, innermost last: a nested call's stack starts where its caller's frame is. */
  readonly active: QuickJSRuntime[] = [];

  private constructor(
    readonly module: QuickJSWASMModule,
    /** the stack top a runtime created with no call under way records (the bottom of WebAssembly's stack) */
    private topLevelTop = 0,
    /** a runtime created inside a host function records its caller's current frame minus this */
    private frameToTop = 0,
  ) {}

  private heap(): { HEAPU8: Uint8Array } {
    return (this.module as unknown as { module: { HEAPU8: Uint8Array } }).module;
  }

  private i32(): Int32Array {
    const buf = this.heap().HEAPU8.buffer;
    // the view goes stale when the WebAssembly memory grows
    if (this.view?.buffer !== buf) this.view = new Int32Array(buf);
    return this.view;
  }

  private get(p: Pointer, offset: number): number {
    return this.i32()[(p + offset) >> 2]!;
  }

  private set(p: Pointer, offset: number, v: number): void {
    this.i32()[(p + offset) >> 2] = v;
  }

  allocations(rt: QuickJSRuntime): number {
    return this.get(rtPointer(rt), RT.mallocCount);
  }

  heapSize(rt: QuickJSRuntime): number {
    return this.get(rtPointer(rt), RT.mallocSize);
  }

  /**
   * The slots of the atom table (the names QuickJS interns), which it grows and never shrinks. Its
   * growth is the one table growth a call can observe: the reallocation counts against the memory
   * limit and, refused, fails the name's creation (a failed resize of the atom or shape hash table
   * is ignored). A sandbox whose table a call grew no longer matches a new one.
   */
  atomSlots(rt: QuickJSRuntime): number {
    return this.get(rtPointer(rt), RT.atomSize);
  }

  setGcThreshold(rt: QuickJSRuntime, bytes: number): void {
    this.set(rtPointer(rt), RT.gcThreshold, bytes);
  }

  /** Runs QuickJS's cycle collector now: with the threshold at 0, the next object allocation collects (js_trigger_gc). */
  collect(rt: QuickJSRuntime, ctx: QuickJSContext): void {
    this.setGcThreshold(rt, 0);
    ctx.newObject().dispose();
  }

  /** The stack limit of the next call: `bytes` below where a fresh runtime created now would put its top. */
  setStack(rt: QuickJSRuntime, bytes: number): void {
    const outer = this.active[this.active.length - 1];
    const top = outer ? this.get(rtPointer(outer), RT.currentFrame) - this.frameToTop : this.topLevelTop;
    this.set(rtPointer(rt), RT.stackTop, top);
    rt.setMaxStackSize(bytes);
  }

  /** 0 is what JS_NewContext leaves: the next interpreter step runs the interrupt handler, then every 10,000th. */
  resetInterruptCounter(ctx: QuickJSContext): void {
    this.set(ctxPointer(ctx), CTX.interruptCounter, 0);
  }

  /** Checks every offset against its field's behaviour, and measures the two stack positions. */
  static load(module: QuickJSWASMModule): QuickJSInternals {
    const q = new QuickJSInternals(module);
    const fail = (what: string): never => {
      throw contractError('CONTRACT_INTERNAL', `this QuickJS build does not have the layout the contract sandbox was built for (${what})`);
    };
    const rt = module.newRuntime();
    const ctx = rt.newContext();
    try {
      const p = rtPointer(rt);
      const c = ctxPointer(ctx);
      const atomHashSize = q.get(p, RT.atomHashSize);
      if (q.get(p, RT.gcThreshold) !== INITIAL_GC_THRESHOLD) fail('GC threshold');
      if (q.heapSize(rt) !== BYTES_PER_ALLOCATION * q.allocations(rt)) fail('allocation counting');
      if (q.get(p, RT.shapeHashSize) !== 1 << q.get(p, RT.shapeHashBits) || (atomHashSize & (atomHashSize - 1)) !== 0 || q.get(p, RT.atomCount) > q.atomSlots(rt)) fail('atom and shape tables');
      rt.setMemoryLimit(0x5a5a58);
      if (q.get(p, RT.mallocLimit) !== 0x5a5a58) fail('memory limit');
      rt.setMaxStackSize(0x12340);
      if (q.get(p, RT.stackSize) !== 0x12340 || q.get(p, RT.stackLimit) !== q.get(p, RT.stackTop) - 0x12340) fail('stack limit');
      q.topLevelTop = q.get(p, RT.stackTop);
      rt.setMemoryLimit(-1);
      rt.setMaxStackSize(0);
      q.collect(rt, ctx);
      // set by the collection to half again the heap it found (which held the new object's shape as well)
      const found = (q.get(p, RT.gcThreshold) * 2) / 3;
      if (!(found >= q.heapSize(rt) && found <= q.heapSize(rt) + 64)) fail('collection');
      // the interrupt counter: at 1 the next step runs the handler, at 10,000 it does not
      let ticks = 0;
      rt.setInterruptHandler(() => (ticks++, false));
      if (q.get(c, CTX.interruptCounter) !== 0) fail('interrupt counter');
      q.set(c, CTX.interruptCounter, 10_000);
      ctx.unwrapResult(ctx.evalCode('0')).dispose();
      if (ticks !== 0) fail('interrupt counter');
      q.set(c, CTX.interruptCounter, 1);
      ctx.unwrapResult(ctx.evalCode('0')).dispose();
      if (ticks !== 1) fail('interrupt counter');
      rt.removeInterruptHandler();
      // where a runtime created inside a host function puts its stack top, at two call depths
      const deltas: number[] = [];
      const probe = ctx.newFunction('probe', () => {
        const inner = module.newRuntime();
        deltas.push(q.get(p, RT.currentFrame) - q.get(rtPointer(inner), RT.stackTop));
        inner.dispose();
      });
      ctx.setProp(ctx.global, 'probe', probe);
      probe.dispose();
      ctx.unwrapResult(ctx.evalCode('probe(); (function f(n) { return n ? f(n - 1) : probe(); })(20)')).dispose();
      if (deltas.length !== 2 || deltas[0] !== deltas[1] || !(deltas[0]! > 0 && deltas[0]! < 4096) || q.get(p, RT.currentFrame) !== 0) fail('stack frames');
      q.frameToTop = deltas[0]!;
    } finally {
      try {
        ctx.dispose();
        rt.dispose();
      } catch {
        // a failed check may leave a handle behind: the layout error is the one to report
      }
    }
    return q;
  }
}
