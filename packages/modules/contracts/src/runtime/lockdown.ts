/**
 * The end of the prelude (it runs inside its function, after everything else is installed, and
 * uses its captured `G`, `kinds`, `proto`, `gopd`, `def`, `own`, `noExt`, `freeze`, `Seen`, `AP`,
 * `OP`, `P`, `S`). It freezes, in SES's "lockdown" manner, every object a contract can reach without
 * creating it: the global object, every intrinsic and its prototype chain, the metered wrappers,
 * `console` and `__salus`. The walk starts at the global object and at the intrinsics only syntax
 * reaches (the generator and async function prototypes, the iterator prototypes) and follows every
 * own property's value, getter and setter, and every prototype. A call then cannot leave anything
 * on a shared object for the next call of a reused sandbox: an assignment, addition or deletion
 * throws a TypeError (modules are strict code).
 *
 * The walk reads every property of some 400 objects, which costs more than the rest of the set-up;
 * so it runs once per engine instance (sandbox.ts), and returns how it reached each object (its
 * parent, and the property or prototype link) as a recipe, in the order it reached them. Every sandbox after that gets the recipe
 * (global `__salus_lockdown`) and follows only those links. The objects are the same: every sandbox
 * is built by the same code in the same build.
 *
 * Two groups of properties stay writable, because ordinary code assigns them on its own objects
 * and an inherited read-only property would make that assignment throw (the "override mistake"):
 * every data property of Object.prototype (`obj.toString = …`, a dictionary with the key
 * `constructor`) and `name` and `message` of the error prototypes (`this.name = 'MyError'` in a
 * subclass, as the SDK's ContractFailure does). They stay non-configurable on non-extensible
 * objects, so a call can only replace their values, and `restore()` puts every one back after
 * each call (with the prelude's own per-call state): the host runs it, outside the call's gas,
 * before the sandbox is used again.
 *
 * Left open, and why that is safe: a Symbol.for registration, a WeakMap keyed by a frozen object,
 * a template object QuickJS caches: none can be read by the next call, which has no reference to
 * the symbol, the map or the old call's site. Whatever stays allocated after a call makes the heap
 * larger than the sandbox's baseline after collection, and the sandbox is then not reused
 * (sandbox.ts); so does a promise job left in the queue (jobs never run in contracts).
 */
export const LOCKDOWN = `var kept = [], recipe = G.__salus_lockdown, walked = null;
delete G.__salus_lockdown;
(function () {
  var errs = ['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'InternalError', 'AggregateError'],
    seeds = [G, proto(kinds[1]), proto(kinds[2]), proto(kinds[3]), proto(AP.values.call([])), proto(new Map().entries()), proto(new Set().values()),
      proto(''[Symbol.iterator]()), proto(/x/[Symbol.matchAll]('')), proto(Iterator.from({ next: function () {} })), proto(AP.values.call([]).map(function (x) { return x; }))],
    open = new Seen([OP]), objs = [], j, o, e, k, d, v, ks;
  for (j = 0; j < errs.length; j++) if (G[errs[j]]) open.add(G[errs[j]].prototype);
  function lock(o) {
    if (!open.has(o)) return freeze(o);
    ks = own(o);
    for (var i = 0; i < ks.length; i++) {
      k = ks[i];
      d = gopd(o, k);
      if (d.writable && (o === OP || k === 'name' || k === 'message')) { kept.push(o, k, d.value); def(o, k, { configurable: false }); }
      else def(o, k, 'value' in d ? { configurable: false, writable: false } : { configurable: false });
    }
    noExt(o);
  }
  // The recipe: three numbers or strings per object: its parent's index, the link (0 value, 1 getter, 2 setter, 3 prototype,
  // 4 seed; + 8: keyed by the well-known symbol named; + 16: an open object), the key.
  if (typeof recipe === 'string') {
    recipe = P(recipe);
    for (j = 0; j < recipe.length; j += 3) {
      e = recipe[j + 1];
      k = e & 8 ? Symbol[recipe[j + 2]] : recipe[j + 2];
      v = e & 7;
      // a value link is a data property (the walk saw it so, and every sandbox is built alike): read it directly
      o = v === 0 ? objs[recipe[j]][k] : v === 3 ? proto(objs[recipe[j]]) : v === 4 ? seeds[k] : v === 1 ? gopd(objs[recipe[j]], k).get : gopd(objs[recipe[j]], k).set;
      objs.push(o);
      if (e & 16) lock(o);
      else freeze(o);
    }
    return;
  }
  var seen = new Seen(), via = new Map(), at = new Map(), todo = [], links = [];
  function found(x, parent, kind, key) {
    if (x === null || (typeof x !== 'object' && typeof x !== 'function') || via.has(x)) return;
    if (typeof key === 'symbol') {
      if (Symbol[key.description.slice(7)] !== key) throw new TE('the lockdown found a property keyed by a symbol that is not well-known');
      key = key.description.slice(7);
      kind += 8;
    }
    via.set(x, [parent, kind, key]);
    todo.push(x);
  }
  for (j = seeds.length - 1; j >= 0; j--) found(seeds[j], -1, 4, j);
  while (todo.length > 0) {
    o = todo.pop();
    if (seen.has(o)) continue;
    seen.add(o);
    at.set(o, links.length / 3);
    e = via.get(o);
    links.push(e[0], open.has(o) ? e[1] + 16 : e[1], e[2]);
    found(proto(o), at.get(o), 3, '');
    ks = own(o);
    for (j = 0; j < ks.length; j++) {
      d = gopd(o, ks[j]);
      if ('value' in d) found(d.value, at.get(o), 0, ks[j]);
      else { found(d.get, at.get(o), 1, ks[j]); found(d.set, at.get(o), 2, ks[j]); }
    }
    lock(o);
  }
  walked = S(links);
})();
// Free slots in QuickJS's atom table (a symbol takes a slot and nothing else, and goes at once): a call that makes
// more new names than there are free slots grows the table, which is never given back, and the sandbox is then not reused.
Array.from({ length: 1536 }, Symbol);
function restore() {
  // the prelude's per-call state, so that the call's objects are garbage now
  context = undefined;
  due = 0;
  for (var j = 0; j < kept.length; j += 3) if (kept[j][kept[j + 1]] !== kept[j + 2]) kept[j][kept[j + 1]] = kept[j + 2];
}`;
