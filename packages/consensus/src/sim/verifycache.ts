import type { Ed25519 } from '@salus/core';

/**
 * Verification is a pure function of (public key, message, signature), and in the simulator every
 * node verifies the same messages: one shared memo makes n nodes cost one verification each.
 */
export function cachedEd25519(ed: Ed25519, max = 200_000): Ed25519 {
  const memo = new Map<string, boolean>();
  const str = (b: Uint8Array): string => {
    let s = '';
    for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
    return s;
  };
  return {
    sign: (sk, msg) => ed.sign(sk, msg),
    publicKey: (sk) => ed.publicKey(sk),
    verify: (pk, msg, sig) => {
      if (!(pk instanceof Uint8Array) || !(sig instanceof Uint8Array)) return false;
      const key = `${str(sig)}|${str(pk)}|${str(msg)}`;
      let ok = memo.get(key);
      if (ok === undefined) {
        ok = ed.verify(pk, msg, sig);
        if (memo.size >= max) memo.clear();
        memo.set(key, ok);
      }
      return ok;
    },
  };
}
