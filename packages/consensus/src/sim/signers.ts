import { type GuardedSigner, type Signer, createGuardedSigner } from '../tendermint/signer.js';
import { ByzantineBehaviour, type ByzantineMode, createUnguardedSigner } from './byzantine.js';
import type { SimDisk } from './disk.js';
import type { NodeChain } from './nodechain.js';
import type { SimWorld } from './world.js';

/**
 * A simulated node's signer. An honest node's is the guarded signer over its simulated disk, with
 * every signature it hands out shown to the checker (no double signing, across crashes). A
 * Byzantine node's has no guard, and comes with the behaviour that decides what it sends.
 */
export function makeSimSigner(
  w: SimWorld,
  n: { id: number; secretKey: Uint8Array; pubKey: Uint8Array; peers: readonly number[]; byzantine: ByzantineMode | null; disk: SimDisk; chain: NodeChain },
): { signer: Signer; guarded: GuardedSigner | null; byz: ByzantineBehaviour | null } {
  if (n.byzantine !== null) {
    const signer = createUnguardedSigner(w.ed, n.secretKey);
    const byz = new ByzantineBehaviour(n.byzantine, {
      chainId: w.chainId,
      signer,
      prng: w.prng,
      peers: n.peers,
      partBytes: w.options.tendermint.blockPartBytes,
      // a stale height gets a random header, which honest nodes refuse
      makeAltBlock: (h) => n.chain.makeBlock(h, n.pubKey, true) ?? w.app.makeBlock(w.prng, h, w.sched.now, null, n.pubKey),
    });
    return { signer, guarded: null, byz };
  }
  const inner = createGuardedSigner({ ed25519: w.ed, secretKey: n.secretKey, store: n.disk.signerStore() });
  const signer: Signer = {
    publicKey: inner.publicKey,
    sign: (req) => {
      const res = inner.sign(req);
      if (res.ok) w.checker.onSigned(n.id, req);
      return res;
    },
  };
  return { signer, guarded: inner, byz: null };
}
