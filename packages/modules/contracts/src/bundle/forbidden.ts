/**
 * Globals a contract may not name. The runtime removes or never creates all of them (or they do
 * not exist in QuickJS), so this list is the early, readable refusal at bundle and deploy time, not
 * the enforcement: a contract that reaches one by a path no static check sees still finds nothing.
 */
export const FORBIDDEN_GLOBALS: ReadonlySet<string> = new Set([
  // clock and timers
  'Date', 'performance', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'requestAnimationFrame',
  // code from strings
  'eval', 'Function',
  // the garbage collector made observable, shared memory, CPU-dependent NaN bits
  'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'Float16Array', 'Float32Array', 'Float64Array', 'DataView',
  // native work out of proportion to gas in one step: bigint arithmetic, typed array methods, and proxies that would
  // answer a metered built-in's length differently from the built-in itself (see runtime/prelude.ts, runtime/builtins.ts)
  'BigInt', 'Proxy', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
  // the global object by any name
  'globalThis', 'global', 'self', 'window', 'frames',
  // the host platform, I/O, other engines
  'process', 'require', 'module', 'exports', '__dirname', '__filename', 'Buffer', 'fetch', 'XMLHttpRequest', 'WebSocket',
  'WebAssembly', 'crypto', 'Intl', 'navigator', 'Deno', 'Bun', 'std', 'os', 'print', 'scriptArgs',
  // the sandbox's own bridge is the SDK's business
  '__salus_host', '__salus_charge',
]);

/** Members of free globals that are forbidden although the object itself is not. */
export const FORBIDDEN_MEMBERS: ReadonlyMap<string, ReadonlySet<string>> = new Map([['Math', new Set(['random'])]]);
