// The benchmark's items: signed beforehand by registered device keys, with native Ed25519, and encoded
// into request bodies (canonical CBOR) before the clock starts; and the verification ceiling over them.
import { verify, createPublicKey } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { encode, sha256, type Ed25519 } from '@salus/core';
import { itemHash, itemSignBytes, itemToCbor, signItem, type AnchorItem, type Wallet } from '@salus/client';
import { verifyRate, type VerifySample } from '../lib/ceiling.js';

export interface SignedItems {
  readonly items: AnchorItem[];
  readonly hashes: string[];
  readonly signMs: number;
}

/** `n` items, round-robin over the submitters' keys, each a different payload hash. */
export function signItems(ed: Ed25519, chainId: string, submitters: readonly { wallet: Wallet; secretKey: Uint8Array }[], n: number): SignedItems {
  const t0 = performance.now();
  const items: AnchorItem[] = [];
  const counter = new Uint8Array(8);
  const view = new DataView(counter.buffer);
  for (let i = 0; i < n; i++) {
    view.setFloat64(0, i);
    const s = submitters[i % submitters.length]!;
    items.push(signItem(ed, s.secretKey, s.wallet.publicKey, chainId, { kind: 'reading', payload: sha256(counter) }));
  }
  const signMs = performance.now() - t0;
  return { items, hashes: items.map((it) => Buffer.from(itemHash(chainId, it)).toString('hex')), signMs };
}

/** Request bodies of `size` items each, as the SDK would send them (CBOR, bytes as bytes). */
export function requestBodies(items: readonly AnchorItem[], size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < items.length; i += size) out.push(encode({ items: items.slice(i, i + size).map(itemToCbor) }));
  return out;
}

export function verifySamplesOf(chainId: string, items: readonly AnchorItem[], count: number): VerifySample[] {
  return items.slice(0, count).map((it) => ({ pk: it.submitter, msg: itemSignBytes(chainId, it), sig: it.sig }));
}

/**
 * One core: the node's native Ed25519 (KeyObjects cached), synchronously, as lib/ceiling measures
 * transactions: verifications per second of wall time, and microseconds of this process's CPU per
 * verification (which other work on a shared machine does not inflate).
 */
export function verifyPerCore(ed: Ed25519, samples: readonly VerifySample[]): { perS: number; cpuUs: number } {
  const cpu0 = process.cpuUsage();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 1000) {
    for (const s of samples) ed.verify(s.pk, s.msg, s.sig);
    n += samples.length;
  }
  const cpu = process.cpuUsage(cpu0);
  return { perS: verifyRate(ed, samples, 1500), cpuUs: (cpu.user + cpu.system) / n };
}

/**
 * All cores: node:crypto's verify with a callback, on libuv's thread pool, as the anchoring node
 * verifies items (packages/modules/anchors/src/service/verifier.ts); rounds of `samples`, about `ms`.
 */
export async function verifyOnPool(samples: readonly VerifySample[], ms = 1500): Promise<number> {
  const keys = new Map<string, ReturnType<typeof createPublicKey>>();
  const key = (pk: Uint8Array) => {
    const id = Buffer.from(pk).toString('base64url');
    let k = keys.get(id);
    if (!k) keys.set(id, (k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' })));
    return k;
  };
  const round = () =>
    new Promise<void>((resolve) => {
      let left = samples.length;
      for (const s of samples) verify(null, s.msg, key(s.pk), s.sig, () => void (--left === 0 && resolve()));
    });
  await round();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await round();
    n += samples.length;
  }
  return (n / (performance.now() - t0)) * 1000;
}
