#!/usr/bin/env node
// Micro-measurements behind the findings in RESULTS.md (no targets): how Ed25519 verification
// scales over both cores (libuv thread pool, worker threads), what the node's caches cost.
//
//   node bench/out/ts/micro.js [--n 20000]
import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { sha256, toHex } from '@salus/core';
import { createNativeEd25519 } from '@salus/node';
import { verifyRate, verifySamples, type VerifySample } from './lib/ceiling.js';
import { emit, log, runMain } from './lib/cli.js';
import { parseFlags } from './lib/flags.js';
import { keyFromSecret, spkiOf } from './lib/keys.js';
import { loadMeter, machine } from './lib/machine.js';
import { median, round } from './lib/stats.js';
import { generateTxs } from './lib/txgen.js';

// A verifier thread (CommonJS, evaluated): batches of [pk, msg, sig] in, a 0/1 per signature out.
const workerSrc = `
const { parentPort } = require('node:worker_threads');
const { verify, createPublicKey } = require('node:crypto');
const prefix = Buffer.from('302a300506032b6570032100', 'hex');
const cache = new Map();
parentPort.on('message', (batch) => {
  const out = new Uint8Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const [pk, msg, sig] = batch[i];
    const id = Buffer.from(pk).toString('latin1');
    let k = cache.get(id);
    if (!k) cache.set(id, (k = createPublicKey({ key: Buffer.concat([prefix, pk]), format: 'der', type: 'spki' })));
    out[i] = verify(null, msg, k, sig) ? 1 : 0;
  }
  parentPort.postMessage(out);
});`;

runMain(async () => {
  const flags = parseFlags({ n: 20_000, workers: 2, batch: 256, evictions: 100_000 });
  const meter = loadMeter();
  log('[micro] signing…');
  const txs = await generateTxs({ workload: 'add_member', n: Math.min(flags.n, 20_000), adminCount: 16 });
  const samples = verifySamples(txs, txs.length);
  const ed = createNativeEd25519();

  // 1. One core, synchronous, cached KeyObjects (the ceiling of the throughput benchmark).
  const syncRates = [verifyRate(ed, samples.slice(0, 2000), 300), verifyRate(ed, samples.slice(0, 2000), 300), verifyRate(ed, samples.slice(0, 2000), 300)];

  // 2. crypto.verify with a callback: the job runs on libuv's thread pool (UV_THREADPOOL_SIZE, default 4);
  //    KeyObjects cached as the node caches them.
  const keyCache = new Map<string, KeyObject>();
  const keyOf = (pk: Uint8Array): KeyObject => {
    const id = toHex(pk);
    let k = keyCache.get(id);
    if (!k) keyCache.set(id, (k = createPublicKey({ key: spkiOf(pk), format: 'der', type: 'spki' })));
    return k;
  };
  async function asyncRate(inFlight: number): Promise<number> {
    const t0 = performance.now();
    let next = 0;
    let ok = 0;
    await new Promise<void>((resolve) => {
      let active = 0;
      const pump = (): void => {
        while (active < inFlight && next < samples.length) {
          const s = samples[next++]!;
          active++;
          nodeVerify(null, s.msg, keyOf(s.pk), s.sig, (err, good) => {
            active--;
            if (!err && good) ok++;
            if (next >= samples.length && active === 0) resolve();
            else pump();
          });
        }
      };
      pump();
    });
    if (ok !== samples.length) log(`[micro] async: only ${ok} of ${samples.length} verified`);
    return (samples.length / (performance.now() - t0)) * 1000;
  }
  const asyncRates: Record<string, number> = {};
  for (const k of [1, 2, 4, 64]) asyncRates[`in_flight_${k}`] = round(await asyncRate(k), 0);

  // 3. A pool of worker threads, batches of `batch` signatures per message.
  async function poolRate(nWorkers: number, batchSize: number): Promise<number> {
    const ws = Array.from({ length: nWorkers }, () => new Worker(workerSrc, { eval: true }));
    const batches: [Uint8Array, Uint8Array, Uint8Array][][] = [];
    for (let i = 0; i < samples.length; i += batchSize) batches.push(samples.slice(i, i + batchSize).map((s: VerifySample) => [s.pk, s.msg, s.sig]));
    // warm-up: every worker sees every key once
    await Promise.all(
      ws.map(
        (w) =>
          new Promise((r) => {
            w.once('message', r);
            w.postMessage(batches[0]);
          }),
      ),
    );
    const t0 = performance.now();
    let next = 0;
    let ok = 0;
    await Promise.all(
      ws.map(
        (w) =>
          new Promise<void>((resolve) => {
            const send = (): void => {
              if (next >= batches.length) return resolve();
              w.postMessage(batches[next++]);
            };
            w.on('message', (res: Uint8Array) => {
              for (const v of res) ok += v;
              send();
            });
            send();
          }),
      ),
    );
    const rate = (samples.length / (performance.now() - t0)) * 1000;
    await Promise.all(ws.map((w) => w.terminate()));
    if (ok !== samples.length) log(`[micro] pool: only ${ok} of ${samples.length} verified`);
    return rate;
  }
  const poolRates = { [`workers_${flags.workers}_batch_${flags.batch}`]: round(await poolRate(flags.workers, flags.batch), 0), workers_1_batch_256: round(await poolRate(1, 256), 0) };

  // 4. First sight of a signer: createPublicKey (what the node's KeyObject cache saves) and the node's sign().
  const m = 2000;
  let t0 = performance.now();
  for (const s of samples.slice(0, m)) nodeVerify(null, s.msg, { key: spkiOf(s.pk), format: 'der', type: 'spki' }, s.sig);
  const derInlineUs = ((performance.now() - t0) * 1000) / m;
  const sk = keyFromSecret(new Uint8Array(32).fill(3)).secretKey;
  t0 = performance.now();
  for (let i = 0; i < 500; i++) ed.sign(sk, samples[i]!.msg);
  const nativeSignUs = ((performance.now() - t0) * 1000) / 500;

  // 5. The caches' eviction: Map.delete(map.keys().next().value) once full, as StateStore.remember and
  //    createNativeEd25519's key cache do, against evicting a sixteenth at a time.
  function evictionUs(cap: number, batchEvict: boolean): number {
    const map = new Map<string, number>();
    let i = 0;
    for (; i < cap; i++) map.set(`k${i}`, i);
    const n = flags.evictions;
    const t = performance.now();
    for (let j = 0; j < n; j++, i++) {
      if (map.size >= cap) {
        if (!batchEvict) map.delete(map.keys().next().value!);
        else {
          let left = cap >> 4;
          for (const k of map.keys()) {
            map.delete(k);
            if (--left === 0) break;
          }
        }
      }
      map.set(`k${i}`, i);
    }
    return round(((performance.now() - t) * 1000) / n, 2);
  }
  const eviction = {
    state_node_cache_200k_first_key_us: evictionUs(200_000, false),
    ed25519_key_cache_50k_first_key_us: evictionUs(50_000, false),
    batch_eviction_200k_us: evictionUs(200_000, true),
  };

  // 6. Memory of a 64-character hex key as core's toHex builds it (a rope of concatenations) vs flat.
  const gc = (globalThis as { gc?: () => void }).gc;
  function heapPerKey(make: (i: number) => string): number {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const keep: string[] = [];
    for (let i = 0; i < 100_000; i++) keep.push(make(i));
    gc?.();
    const per = (process.memoryUsage().heapUsed - before) / keep.length;
    return keep.length ? round(per, 0) : 0;
  }
  const hashes = Array.from({ length: 100_000 }, (_, i) => sha256(new Uint8Array([i & 255, i >> 8, i >> 16])));
  const hexKeyBytes = gc
    ? { toHex_rope: heapPerKey((i) => toHex(hashes[i]!)), buffer_toString_hex: heapPerKey((i) => Buffer.from(hashes[i]!).toString('hex')) }
    : 'run with --expose-gc';

  emit({
    bench: 'micro',
    machine: machine(),
    load: meter.stop(),
    flags,
    ed25519_verify_per_s: {
      sync_one_core_median: round(median(syncRates), 0),
      async_callback_libuv_pool: asyncRates,
      worker_threads_pool: poolRates,
      first_sight_der_inline_us: round(derInlineUs, 1),
    },
    native_sign_us: round(nativeSignUs, 1),
    cache_eviction_us_per_insert: eviction,
    heap_bytes_per_hex_key: hexKeyBytes,
  });
});
