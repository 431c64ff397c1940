#!/usr/bin/env node
// State proof generation (state/store.ts StateStore.prove) at a million keys: builds the state in a
// temporary SQLite database through StateStore.commit in batches (one version per batch, as blocks
// do), then times prove() on random existing keys — from a freshly opened store (cold caches) and
// on into steady state (the node cache full, evicting). The peer measured in the same run is
// StateStore.get (one SQLite point read of the flat state table).
//
//   node bench/out/ts/state.js [--keys 1000000] [--batch 20000] [--proofs 20000]
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encode, smtVerify, utf8ToBytes } from '@salus/core';
import { emit, log, runMain } from './lib/cli.js';
import { dirBytes, tempDir } from './lib/files.js';
import { parseFlags } from './lib/flags.js';
import { StateStore, defaultStateStoreOptions, openDb } from './lib/internals.js';
import { loadMeter, machine } from './lib/machine.js';
import { storeInternals } from './lib/node-internals.js';
import { median, prng, round, summary } from './lib/stats.js';

type Store = InstanceType<typeof StateStore>;

runMain(async () => {
  const flags = parseFlags({ keys: 1_000_000, batch: 20_000, proofs: 20_000, cold: 2_000, targetUs: 1000, keep: false });
  const meter = loadMeter();
  const dir = tempDir('salus-bench-state-');
  const file = join(dir, 'state.db');

  // Key i is an identity key record, as the identity module writes them; derived from i so nothing is kept.
  const keyHex = (i: number): string => createHash('sha256').update(`bench-key-${i}`).digest('hex');
  const key = (i: number): Uint8Array => utf8ToBytes(`identity/key/${keyHex(i)}`);
  const value = (i: number): Uint8Array =>
    encode({ role: 'practitioner', org: `org-${String(i % 97).padStart(2, '0')}`, encryptionKey: keyHex(i + 1e9), name: `Dr ${i}`, status: 'active', since: Math.floor(i / flags.batch), patient: null });

  // --- build -------------------------------------------------------------------------------------
  // A fresh StateStore per batch keeps the build itself clear of the node cache's eviction cost
  // (see findings); the stored tree is the same whatever the cache does.
  log(`[state] building ${flags.keys} keys in batches of ${flags.batch}…`);
  let db = openDb(file);
  let version = -1;
  const tBuild = performance.now();
  const commitMs: number[] = [];
  for (let from = 0; from < flags.keys; from += flags.batch) {
    const store = new StateStore(db, defaultStateStoreOptions);
    const updates: { key: Uint8Array; value: Uint8Array }[] = [];
    for (let i = from; i < Math.min(flags.keys, from + flags.batch); i++) updates.push({ key: key(i), value: value(i) });
    const t0 = performance.now();
    db.transaction(() => store.commit(++version, updates))();
    commitMs.push(performance.now() - t0);
    if (version % 10 === 0) log(`[state]   ${Math.min(flags.keys, from + flags.batch)} keys, ${Math.round(performance.now() - tBuild)} ms`);
  }
  const buildS = (performance.now() - tBuild) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const bytes = dirBytes(dir).total;

  // --- prove ---------------------------------------------------------------------------------------
  const rnd = prng(99);

  function proveRun(store: Store, n: number, check: boolean): { us: number[]; depth: number[] } {
    const us: number[] = [];
    const depth: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = rnd(flags.keys);
      const kb = key(i);
      const t0 = performance.now();
      const r = store.prove(kb);
      us.push((performance.now() - t0) * 1000);
      depth.push(r.proof.siblings.length);
      if (check && !smtVerify(r.root, kb, r.value, r.proof)) {
        log('[state] a proof does not verify');
        process.exit(1);
      }
      if (r.value === undefined) {
        log(`[state] key ${i} is missing from the state`);
        process.exit(1);
      }
    }
    return { us, depth };
  }

  function getRun(store: Store, n: number): number[] {
    const us: number[] = [];
    for (let k = 0; k < n; k++) {
      const kb = key(rnd(flags.keys));
      const t0 = performance.now();
      store.get(kb);
      us.push((performance.now() - t0) * 1000);
    }
    return us;
  }

  // Cold: a new connection (empty SQLite page cache) and a new StateStore (empty node cache).
  log('[state] proving (default options: node cache of ' + defaultStateStoreOptions.nodeCacheMax + ')…');
  db = openDb(file);
  let store = new StateStore(db, defaultStateStoreOptions);
  const cold = proveRun(store, flags.cold, true);
  // Steady: keep proving on the same store; report by quarter so the cache filling up is visible.
  const quarters: { us: number[]; depth: number[] }[] = [];
  const getUs: number[] = [];
  for (let q = 0; q < 4; q++) {
    const r = proveRun(store, Math.ceil(flags.proofs / 4), false);
    quarters.push(r);
    getUs.push(...getRun(store, 500));
  }
  const cacheAfter = storeInternals(store).cache.size;
  const steady = quarters[3]!;
  const verifyUs: number[] = [];
  for (let k = 0; k < 500; k++) {
    const kb = key(rnd(flags.keys));
    const r = store.prove(kb);
    const t0 = performance.now();
    smtVerify(r.root, kb, r.value, r.proof);
    verifyUs.push((performance.now() - t0) * 1000);
  }
  db.close();

  // Diagnostic: the same with a node cache that never fills (no eviction), to isolate its cost.
  log('[state] proving with a cache that never evicts (diagnostic)…');
  db = openDb(file);
  store = new StateStore(db, { ...defaultStateStoreOptions, nodeCacheMax: Number.MAX_SAFE_INTEGER });
  proveRun(store, flags.cold, false);
  const noEvict = proveRun(store, flags.proofs, false);
  db.close();
  if (!flags.keep) rmSync(dir, { recursive: true, force: true });
  else log(`[state] kept ${file}`);

  const p99 = (xs: number[]): number => (xs.length ? Float64Array.from(xs).sort()[Math.ceil(0.99 * xs.length) - 1]! : NaN);
  const sMed = median(steady.us);
  const sP99 = p99(steady.us);
  const gMed = median(getUs);
  emit({
    bench: 'state_proofs',
    description: `StateStore.prove on random existing keys of a ${flags.keys}-key state (SQLite, default StateStoreOptions)`,
    machine: machine(),
    load: meter.stop(),
    flags,
    target: `prove <= ${flags.targetUs} us (median; p99 reported)`,
    build: {
      keys: flags.keys,
      versions: version + 1,
      seconds: round(buildS, 1),
      keys_per_s: round(flags.keys / buildS, 0),
      commit_ms_median_per_batch: round(median(commitMs), 1),
      db_bytes: bytes,
      db_bytes_per_key: round(bytes / flags.keys, 1),
    },
    proof_depth: { median: median(steady.depth), max: Math.max(...steady.depth) },
    peer_state_get_us_median: round(gMed, 2),
    cold_first: { ...summary(cold.us), note: 'first proofs after opening: empty node cache, empty SQLite page cache' },
    steady_by_quarter: quarters.map((q) => ({ median_us: round(median(q.us), 1), p99_us: round(p99(q.us), 1) })),
    steady: {
      ...summary(steady.us),
      ratio_to_target: round(sMed / flags.targetUs, 3),
      ratio_to_state_get: round(sMed / gMed, 1),
      p99_pass: sP99 <= flags.targetUs,
      pass: sMed <= flags.targetUs,
      node_cache_entries_after: cacheAfter,
    },
    diagnostic_no_eviction: { ...summary(noEvict.us), note: 'nodeCacheMax unbounded: the same proofs without the cache eviction cost' },
    client_smtVerify_us_median: round(median(verifyUs), 1),
    pass: sMed <= flags.targetUs,
  });
});
