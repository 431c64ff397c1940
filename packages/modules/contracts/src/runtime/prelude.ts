import { CONTRACT_LIMITS } from '../limits.js';
import { BUILTINS } from './builtins.js';
import { LOCKDOWN } from './lockdown.js';

/**
 * The script run once in each new sandbox (sandbox.ts), before the contract's code is compiled.
 * It removes what could make two validators disagree or let code escape the static checks (clock:
 * the Date intrinsic is never created; randomness; GC-observing WeakRef/FinalizationRegistry;
 * shared memory; DataView and the typed arrays (float views expose NaN bit patterns that differ
 * between CPUs, and every typed array method is native work on up to the memory limit's bytes in
 * one step, which would need yet more wrappers; contract values are JSON-like, so nothing needs
 * bytes); eval and every Function constructor; BigInt, whose arithmetic on numbers of up to a
 * million bits is native work in one interpreter step), replaces the built-ins that do work in
 * proportion to their input or output with metered wrappers (builtins.ts), installs a no-op
 * `console`, builds the `__salus` object the SDK talks to, and then freezes everything a contract
 * can reach (lockdown.ts), so that a sandbox kept for the next call carries nothing over. It
 * captures the intrinsics it uses first, so a contract cannot fool it, and the host re-checks
 * every value anyway (depth and size are checked there only).
 *
 * It returns `[run, restore, walked]`. `run(factory, method, args)` is one call: it resets the
 * prelude's per-call state (the cached call context, the built-ins' gas not yet flushed), runs the
 * factory (the contract's top level, afresh) and the method. `restore()` puts back the few
 * built-in properties that stay writable (lockdown.ts); the host runs it after the call, unmetered.
 * `walked` is the lockdown's recipe when it walked the objects itself, else null. Values leave
 * through `wire`: JSON.stringify with a replacer that refuses undefined, bigints, functions,
 * symbols, unsafe numbers, array holes and non-plain objects.
 */
export const PRELUDE = `(function () {
'use strict';
var G = globalThis, host = G.__salus_host, S = JSON.stringify, P = JSON.parse, isA = Array.isArray, proto = Object.getPrototypeOf,
  OP = Object.prototype, safe = Number.isSafeInteger, freeze = Object.freeze, def = Object.defineProperty, Str = String, TE = TypeError,
  own = Reflect.ownKeys, noExt = Object.preventExtensions, Seen = Set, i;
delete G.__salus_host;
var gone = ['eval', 'WeakRef', 'FinalizationRegistry', 'SharedArrayBuffer', 'Atomics', 'DataView', 'BigInt', 'Float16Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array'];
for (i = 0; i < gone.length; i++) delete G[gone[i]];
delete Math.random;
var blocked = function Function() { throw new TE('code generation from strings is not available in contracts'); };
var kinds = [function () {}, function* () {}, async function () {}, async function* () {}];
def(blocked, 'prototype', { value: proto(kinds[0]) });
for (i = 0; i < 4; i++) def(proto(kinds[i]), 'constructor', { value: blocked });
def(G, 'Function', { value: blocked });
${BUILTINS}
var noop = { ''() {} }[''];
G.console = freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop });
function wire(v, what) {
  var bad = '', s = S(v, function (k, x) {
    var t = typeof x, p;
    if (bad) return null;
    if (t === 'number' ? !safe(x) : t !== 'string' && t !== 'boolean' && x !== null && (t !== 'object' || !(isA(x) || (p = proto(x)) === OP || p === null))) {
      bad = t === 'number' ? 'the number ' + Str(x) + ' is not a safe integer' : t === 'object' ? 'only plain objects are values' : (t === 'undefined' ? 'undefined' : 'a ' + t) + ' is not a value';
      return null;
    }
    return x;
  });
  if (bad) { if (what) host('refuse', S(what + ': ' + bad)); return 'x' + bad; }
  return s;
}
function op(name, args) { var r = host(name, args); return r === undefined ? undefined : P(r); }
function a1(x) { return S([x]); }
var context, api = {
  get(k) { return op('get', a1(k)); },
  read(k) { return op('read', a1(k)); },
  set(k, v) { op('set', '[' + S(k) + ',' + wire(v, 'state value') + ']'); },
  delete(k) { op('delete', a1(k)); },
  list(prefix, o) { o = o || {}; return op('list', S([prefix, o.after === undefined ? null : o.after, o.limit === undefined ? null : o.limit])); },
  emit(type, at) { op('emit', '[' + S(type) + ',' + wire(at === undefined ? {} : at, 'event attributes') + ']'); },
  call(c, m, a) { return op('call', '[' + S(c) + ',' + S(m) + ',' + wire(a === undefined ? null : a, 'call arguments') + ']'); },
  hasRole(r) { return op('hasRole', a1(r)); },
  requireRole(r) { op('requireRole', a1(r)); },
  requireSigner(k) { op('requireSigner', a1(k)); },
  ctx() { return context === undefined ? (context = freeze(op('ctx', '[]'))) : context; }
};
def(G, '__salus', { value: freeze(api) });
function text(x) { try { return (typeof x === 'string' ? x : Str(x)).slice(0, ${CONTRACT_LIMITS.messageChars}); } catch (e) { return ''; } }
function describe(e) {
  try {
    var o = e !== null && typeof e === 'object', r = o ? e.reason : null;
    return S({ name: o ? text(e.name) : '', message: text(o ? e.message : e), reason: typeof r === 'string' ? r.slice(0, 64) : null });
  } catch (x) { return '{"name":"","message":"an exception that cannot be described","reason":null}'; }
}
${LOCKDOWN}
// The host calls run, by a handle taken before the contract runs, for each call:
// 'v' + result JSON, 'e' + the exception described, 'x' + why the result is not a value, 'u' no such method.
// The factory's own exception (the contract's top level threw) propagates to the host.
function run(factory, method, args) {
  var fn, r, s;
  context = undefined;
  due = 0;
  fn = factory()[method];
  if (typeof fn !== 'function') return 'u';
  try { r = fn(P(args)); } catch (e) { return 'e' + describe(e); }
  s = wire(r === undefined ? null : r, '');
  return s[0] === 'x' ? s : 'v' + s;
}
return [run, restore, walked];
})()`;
