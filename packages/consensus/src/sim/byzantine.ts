import type { Ed25519 } from '@salus/core';
import { type PartMessage, partSetHeader } from '../tendermint/parts.js';
import { type Signer, signRequestBytes } from '../tendermint/signer.js';
import type { ConsensusMessage, Proposal, Vote } from '../tendermint/types.js';
import type { Prng } from './prng.js';

/**
 * Byzantine behaviours. A Byzantine node runs the honest state machine with a signer that has no
 * guard, and its driver lies on the way out:
 *  - equivocate: as proposer, signs a second block and sends each peer one of the two proposals;
 *    its prevotes and precommits follow the same split (each half sees a vote for "its" block);
 *  - double-vote: every vote has a conflicting twin (block ↔ nil); each peer gets one at random,
 *    some get both (and must report evidence);
 *  - silent: sends nothing at all (withholds its proposals and votes);
 *  - withhold-precommits: sends proposals and prevotes, never precommits;
 *  - amnesia: ignores locks — prevotes and precommits every proposal it sees, each vote to a
 *    random subset of peers (often a single one) — the attack that locking exists to defeat (with a correct lock
 *    rule it cannot fork honest nodes; with the lock rule removed it does, in a few seeds);
 *  - equivocate-proposals: as proposer, signs a second block and sends each peer one of the two
 *    proposals, one peer both (so that someone can prove it); its votes are the honest ones;
 *  - corrupt-parts: honest, except that every other block part it sends (its own blocks' and those
 *    it serves on request) has a byte flipped, so it fails its Merkle proof.
 */
export type ByzantineMode = 'equivocate' | 'double-vote' | 'silent' | 'withhold-precommits' | 'amnesia' | 'equivocate-proposals' | 'corrupt-parts';

export function createUnguardedSigner(ed: Ed25519, secretKey: Uint8Array): Signer {
  return { publicKey: ed.publicKey(secretKey), sign: (req) => ({ ok: true, signature: ed.sign(secretKey, signRequestBytes(req)) }) };
}

export interface ByzantineContext {
  readonly chainId: string;
  readonly signer: Signer;
  readonly prng: Prng;
  readonly peers: readonly number[];
  /** the network's block part size (an equivocator's second proposal signs its own part set) */
  readonly partBytes: number;
  /** a second block for this height and round (equivocation) */
  makeAltBlock(height: number, round: number): { block: Uint8Array; blockHash: Uint8Array };
}

interface Split {
  readonly hashB: Uint8Array;
  readonly altMsg: ConsensusMessage;
  readonly groupB: ReadonlySet<number>;
  /** a peer that gets both proposals, or -1 */
  readonly both: number;
}

export class ByzantineBehaviour {
  private readonly splits = new Map<string, Split>();

  constructor(
    readonly mode: ByzantineMode,
    private readonly ctx: ByzantineContext,
  ) {}

  /** What each peer receives instead of `msg`. */
  fanout(msg: ConsensusMessage): { to: number; msg: ConsensusMessage }[] {
    const { peers, prng } = this.ctx;
    const all = (m: ConsensusMessage) => peers.map((to) => ({ to, msg: m }));
    switch (this.mode) {
      case 'silent':
        return [];
      case 'withhold-precommits':
        return msg.kind === 'vote' && msg.vote.type === 'precommit' ? [] : all(msg);
      case 'amnesia':
        return msg.kind === 'vote' ? [] : all(msg);
      case 'double-vote': {
        if (msg.kind !== 'vote') return all(msg);
        const twin = this.vote(msg.vote, msg.vote.blockHash === null ? prng.bytes(32) : null);
        return peers.flatMap((to) => {
          const r = prng.int(3);
          return r === 0 ? [{ to, msg }] : r === 1 ? [{ to, msg: twin }] : [{ to, msg }, { to, msg: twin }];
        });
      }
      case 'equivocate':
        return this.equivocate(msg);
      case 'equivocate-proposals':
        return msg.kind === 'proposal' ? this.equivocate(msg, true) : all(msg);
      case 'corrupt-parts':
        return all(msg);
    }
  }

  /** A block part on its way out: corrupt-parts flips a byte of every other one (its proof then fails). */
  partOut(m: PartMessage): PartMessage {
    if (this.mode !== 'corrupt-parts' || m.part.bytes.length === 0 || !this.ctx.prng.chance(0.5)) return m;
    const bytes = m.part.bytes.slice();
    bytes[this.ctx.prng.int(bytes.length)]! ^= 0x01;
    return { ...m, part: { ...m.part, bytes } };
  }

  /** amnesia: a prevote and a precommit for every proposal seen, each to a random half of the peers or to one peer. */
  onProposal(p: Proposal): { to: number; msg: ConsensusMessage }[] {
    if (this.mode !== 'amnesia') return [];
    const { peers, prng, signer } = this.ctx;
    const out: { to: number; msg: ConsensusMessage }[] = [];
    for (const type of ['prevote', 'precommit'] as const) {
      const msg = this.vote({ type, height: p.height, round: p.round, blockHash: null, validator: signer.publicKey, signature: new Uint8Array(64) }, p.blockHash);
      if (prng.chance(0.5)) out.push({ to: prng.pick(peers), msg });
      else for (const to of peers) if (prng.chance(0.5)) out.push({ to, msg });
    }
    return out;
  }

  /** Each peer gets one of two proposals (with `oneGetsBoth`, one random peer gets both). */
  private equivocate(msg: ConsensusMessage, oneGetsBoth = false): { to: number; msg: ConsensusMessage }[] {
    const { peers, prng } = this.ctx;
    if (msg.kind === 'proposal') {
      const p = msg.proposal;
      let split = this.splits.get(`${p.height}/${p.round}`);
      if (!split) {
        const alt = this.ctx.makeAltBlock(p.height, p.round);
        const parts = partSetHeader(alt.block, this.ctx.partBytes);
        const res = this.ctx.signer.sign({ kind: 'proposal', chainId: this.ctx.chainId, height: p.height, round: p.round, polRound: p.polRound, blockHash: alt.blockHash, parts });
        if (!res.ok) return peers.map((to) => ({ to, msg }));
        const altMsg: ConsensusMessage = { kind: 'proposal', proposal: { ...p, blockHash: alt.blockHash, parts, signature: res.signature }, block: alt.block };
        const groupB = new Set(peers.filter(() => prng.chance(0.5)));
        const both = oneGetsBoth ? prng.pick(peers) : -1;
        this.splits.set(`${p.height}/${p.round}`, (split = { hashB: alt.blockHash, altMsg, groupB, both }));
      }
      const s = split;
      return peers.flatMap((to) => (to === s.both ? [{ to, msg }, { to, msg: s.altMsg }] : [{ to, msg: s.groupB.has(to) ? s.altMsg : msg }]));
    }
    const v = msg.vote;
    const split = this.splits.get(`${v.height}/${v.round}`);
    if (split === undefined || v.blockHash === null) return peers.map((to) => ({ to, msg }));
    const twin = this.vote(v, split.hashB);
    return peers.map((to) => ({ to, msg: split.groupB.has(to) ? twin : msg }));
  }

  private vote(v: Vote, blockHash: Uint8Array | null): ConsensusMessage {
    const res = this.ctx.signer.sign({ kind: 'vote', chainId: this.ctx.chainId, type: v.type, height: v.height, round: v.round, blockHash });
    const signature = res.ok ? res.signature : v.signature;
    return { kind: 'vote', vote: { ...v, blockHash, signature } };
  }
}
