import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Item signatures, checked off the event loop: node:crypto's Ed25519 (OpenSSL, as the node's own
 * native Ed25519) with a callback runs on libuv's thread pool, so a request of thousands of items
 * uses every core while the node keeps serving and committing. A submitter signs many items, so its
 * public key is imported once and kept (building a KeyObject costs about as much as a verification).
 */
export class ItemVerifier {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly o: { keysMax: number }) {}

  private key(pk: Uint8Array): KeyObject {
    const id = Buffer.from(pk.buffer, pk.byteOffset, pk.byteLength).toString('base64url');
    let k = this.keys.get(id);
    if (!k) {
      k = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' });
      if (this.keys.size >= this.o.keysMax) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(id, k);
    }
    return k;
  }

  /** The index of the first signature that does not verify, or -1 when all do. */
  firstInvalid(items: readonly { readonly key: Uint8Array; readonly message: Uint8Array; readonly sig: Uint8Array }[]): Promise<number> {
    if (items.length === 0) return Promise.resolve(-1);
    return new Promise((resolve) => {
      let left = items.length;
      let bad = -1;
      const done = (i: number, ok: boolean) => {
        if (!ok && (bad < 0 || i < bad)) bad = i;
        if (--left === 0) resolve(bad);
      };
      items.forEach((it, i) => {
        let key: KeyObject;
        try {
          key = this.key(it.key);
        } catch {
          return done(i, false);
        }
        verify(null, it.message, key, it.sig, (err, ok) => done(i, !err && ok));
      });
    });
  }
}
