import { BUILTIN_WEIGHTS as W } from '../limits.js';

/**
 * Part of the prelude (it runs inside its function and uses its captured intrinsics `G`, `def`,
 * `proto`, `isA`, `S`, `TE`). QuickJS counts one interpreter step for a call to a native built-in
 * however much it does: `'x'.repeat(65536)`, `arr.join()` or `[].indexOf` on an array of length
 * 2**32 - 1 each cost one step, so gas alone let one call run for seconds to minutes. These
 * wrappers charge gas in proportion to the work: before the call, the sizes of `this` and of the
 * arguments; after it, the size of the result (so a repeat count or a pad length pays through the
 * string it made, and one too large for the memory limit fails as CONTRACT_MEMORY before it could
 * be charged), each times a weight per kind (BUILTIN_WEIGHTS). A size is a string's length, an
 * array-like's `length` or an ArrayBuffer's byte length. Flags: 1 also charges `this` after the
 * call (a buffer that resized), 2 charges n·log2(n) (sorts), 4 counts the own keys of object
 * arguments (Object.assign, freeze, ...). Object.entries weighs three elements per entry (it makes
 * an array for each), Object.assign two per key (it defines each on the target). Weights follow
 * the CPU measured per unit (scripts/builtins.mjs), so that no wrapped built-in costs more CPU per
 * gas than plain interpretation does (30-100 µs per 1,000 gas). JSON.stringify gets a replacer, so that every value it
 * visits is a metered call; arrays pay their length up front when iterated (spread, for-of,
 * destructuring take the iterator natively).
 *
 * The gas is summed in the closure and handed to the host (`__salus_charge`, captured and deleted
 * before the contract runs) once it reaches `flush`, so that small calls cost no host call; the sum
 * is deterministic, and what is left below `flush` at the end of a call is not charged (`run`
 * resets the sum for the next call of a reused sandbox). The
 * originals are reachable only through these closures (ArrayBuffer's `prototype.constructor` points
 * at its wrapper), and the lockdown (lockdown.ts) freezes the wrappers in place. Since a
 * built-in reads `length` again itself, a `length` that could answer differently the second time
 * (an accessor, a non-number; a proxy, which the sandbox does not have) is refused with a TypeError.
 *
 * Left to the interpreter: callbacks (each is a metered call), RegExp (its matcher ticks the
 * interrupt counter itself), iteration by `next()` (one call per element), and syntax that copies
 * natively (object spread, string `+` and `===` on long strings), which no wrapper can reach.
 */
export const BUILTINS = `var charge = G.__salus_charge, due = 0, ap = Reflect.apply, con = Reflect.construct, okeys = Object.keys, gopd = Object.getOwnPropertyDescriptor, clz = Math.clz32,
  split = String.prototype.split, AB = ArrayBuffer, abl = gopd(AB.prototype, 'byteLength').get, abm = gopd(AB.prototype, 'maxByteLength').get,
  SP = String.prototype, AP = Array.prototype, i, it = 'every some forEach map filter reduce reduceRight find findIndex findLast findLastIndex values keys entries toLocaleString ';
delete G.__salus_charge;
function size(x) {
  var t = typeof x, d;
  if (t === 'string') return x.length;
  if (x === null || (t !== 'object' && t !== 'function')) return 0;
  // the original reads length again: one that is not a plain number could answer differently then
  if (!isA(x) && 'length' in x && !((d = gopd(x, 'length')) && typeof d.value === 'number')) throw new TE('in contracts, a length must be a number in an own data property');
  t = x.length;
  if (t === undefined && x instanceof AB) t = ap(abl, x, []);
  return t > 0 ? t : 0;
}
function pay(g) { due += g; if (due >= ${W.flush}) { g = due; due = 0; charge(g); } }
function cost(self, a, w, f) {
  var u = size(self), j, x;
  for (j = 0; j < a.length; j++) {
    x = a[j];
    u += f & 4 && x !== null && typeof x === 'object' ? okeys(x).length : size(x);
  }
  pay((f & 2 ? u * (33 - clz(u)) : u) * w);
}
// a method (no prototype object, not a constructor, as the built-in it wraps), named '' as before
function mk(g, w, f) { return { ''() { cost(this, arguments, w, f); var r = ap(g, this, arguments); pay((size(r) + (f & 1 ? size(this) : 0)) * w); return r; } }['']; }
function wrap(o, names, w, f) {
  names = ap(split, names, [' ']);
  for (i = 0; i < names.length; i++) o[names[i]] = mk(o[names[i]], w, f);
}
var html = ap(split, 'anchor big blink bold fixed fontcolor fontsize italics link small strike sub sup', [' ']);
for (i = 0; i < html.length; i++) delete SP[html[i]];
wrap(SP, 'concat endsWith includes indexOf lastIndexOf localeCompare match matchAll normalize replace replaceAll search slice split startsWith substring substr toLowerCase toUpperCase trim trimStart trimEnd isWellFormed toWellFormed repeat padStart padEnd', ${W.char}, 0);
// without Intl these are the same operations; the Annex B names are aliases
SP.toLocaleLowerCase = SP.toLowerCase; SP.toLocaleUpperCase = SP.toUpperCase; SP.trimLeft = SP.trimStart; SP.trimRight = SP.trimEnd;
wrap(String, 'fromCharCode fromCodePoint raw', ${W.char}, 0);
wrap(AP, it + 'concat copyWithin fill flat flatMap includes indexOf join lastIndexOf reverse shift slice splice toReversed toSpliced unshift with', ${W.element}, 0);
wrap(AP, 'sort toSorted', ${W.element}, 2);
wrap(Array, 'from of', ${W.element}, 0);
wrap(Object, 'keys values getOwnPropertyNames getOwnPropertySymbols', ${W.element}, 0);
wrap(Object, 'entries', ${3 * W.element}, 0);
wrap(Object, 'freeze seal isFrozen isSealed getOwnPropertyDescriptors defineProperties', ${W.element}, 4);
wrap(Object, 'assign', ${2 * W.element}, 4);
wrap(Reflect, 'apply construct ownKeys', ${W.element}, 0);
wrap(Function.prototype, 'apply', ${W.element}, 0);
wrap(JSON, 'parse', ${W.char}, 0);
wrap(ArrayBuffer.prototype, 'resize slice transfer transferToFixedLength', ${W.byte}, 1);
AP[Symbol.iterator] = AP.values;
JSON.stringify = function (v, r, sp) {
  var s = isA(r) ? (pay(size(v) + size(r)), S(v, r, sp)) : S(v, function (k, x) { return typeof r === 'function' ? ap(r, this, [k, x]) : x; }, sp);
  pay(size(s) * ${W.char});
  return s;
};
// an ArrayBuffer is zeroed memory that the memory limit does not count (see BUILTIN_WEIGHTS): it pays per byte once made
// (one larger than the memory limit fails first, as CONTRACT_MEMORY); a resizable one reserves its maximum
var ABK = function ArrayBuffer() {
  if (!new.target) throw new TE('Constructor ArrayBuffer requires new');
  var r = con(AB, arguments, new.target);
  pay(ap(abm, r, []) * ${W.byte});
  return r;
};
ABK.prototype = AB.prototype;
ABK.isView = AB.isView;
AB.prototype.constructor = ABK;
G.ArrayBuffer = ABK;`;
