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
};
