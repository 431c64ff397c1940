/**
 * Limits and prices of the sandbox. Every number here is part of consensus: validators running
 * different values would charge different gas or fail different calls, so they change only with
 * a coordinated upgrade (as does the QuickJS build, which fixes the interpreter's step counting).
 */
export const CONTRACT_LIMITS = {
  /** nested cross-contract calls below the top-level call (depth 0); one more is CONTRACT_DEPTH */
  maxDepth: 8,
  /** bundled code, UTF-8 bytes */
  codeBytes: 256 * 1024,
  /** state keys: printable ASCII, so that key order is plain byte order everywhere */
  keyBytes: 256,
  /** one state value, as JSON bytes (the ledger stores it as canonical CBOR, which is never larger) */
  valueBytes: 64 * 1024,
  argsBytes: 64 * 1024,
  resultBytes: 64 * 1024,
  /** one event's type and attributes, as JSON bytes */
  eventBytes: 8 * 1024,
  eventsPerCall: 64,
  /** entries one `list` may return */
  listMax: 100,
  /** nesting of arrays and objects in a value */
  valueDepth: 16,
  /** characters of an exception message kept in CONTRACT_FAILED */
  messageChars: 500,
} as const;

/** Per-call resource limits; nested calls get the remaining gas and a smaller stack and heap. */
export interface ContractLimits {
  readonly gas: number;
  /** QuickJS heap of the call */
  readonly memoryBytes: number;
  /** QuickJS stack of the top-level call; depth d gets stackBytes >> d (at least 8 KiB) */
  readonly stackBytes: number;
}

export const DEFAULT_LIMITS: ContractLimits = {
  gas: 5_000_000,
  memoryBytes: 16 * 1024 * 1024,
  // QuickJS counts its own (WebAssembly shadow) stack, but every interpreted frame also takes up to
  // ~3x as many bytes of V8's native stack; the budgets summed over all depths (~130 KiB) keep the
  // whole chain far below Node's ~984 KiB, so QuickJS's deterministic check always fires first.
  stackBytes: 48 * 1024,
};

export const MIN_STACK_BYTES = 8 * 1024;
export const MIN_MEMORY_BYTES = 1024 * 1024;

/**
 * Gas prices. Interpretation is charged by QuickJS's interrupt counter: the handler runs once per
 * ~10,000 interpreter steps (function calls and backward jumps), so one tick costs 10,000 gas and
 * gas is roughly "interpreter steps". Work smaller than a tick is covered by the per-call price.
 */
export interface GasSchedule {
  readonly perTick: number;
  readonly perCall: number;
  readonly hostCall: number;
  readonly readByte: number;
  readonly writeByte: number;
  readonly eventByte: number;
  readonly listEntry: number;
  readonly nestedCall: number;
  /** per byte of arguments in and result out */
  readonly ioByte: number;
  /** per unit of built-in work, units weighted by BUILTIN_WEIGHTS */
  readonly builtin: number;
}

export const DEFAULT_GAS: GasSchedule = {
  perTick: 10_000,
  perCall: 20_000,
  hostCall: 1_000,
  readByte: 2,
  writeByte: 20,
  eventByte: 5,
  listEntry: 200,
  nestedCall: 10_000,
  ioByte: 1,
  builtin: 1,
};

/**
 * What a built-in's work weighs, in units of `GasSchedule.builtin` (the prelude's wrappers charge
 * them; see runtime/builtins.ts). Measured on QuickJS in WebAssembly, plain interpretation costs
 * ~30-90 ns of CPU per gas; a native built-in spends ~1-6 ns per string character and ~5-60 ns per
 * array element or object key (number-to-string conversion, property access), so a character
 * weighs 1/4, an element 1 (a sort pays n·log2(n) elements) and an ArrayBuffer byte 1/8.
 * That also caps what built-ins can allocate at about 8 bytes per gas (40 MB for 5,000,000 gas),
 * which matters because the memory limit does not see it: this build of QuickJS cannot ask the
 * allocator for sizes (malloc_usable_size is unavailable under Emscripten), so it counts every
 * live allocation as 8 bytes and only refuses a single allocation larger than the limit.
 */
export const BUILTIN_WEIGHTS = {
  char: 0.25,
  element: 1,
  byte: 0.125,
  /** gas summed inside the sandbox before one host call charges it */
  flush: 4096,
} as const;
