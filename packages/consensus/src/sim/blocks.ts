import { type BlockHeader, type Validator, ZERO32, bytesEqual, decodeHeader, encodeHeader, headerHash, toHex, validatorsHash } from '@salus/core';
import type { Proposal } from '../tendermint/types.js';
import type { Prng } from './prng.js';

/**
 * The simulator's application: blocks are core block headers with random contents (consensus
 * sees only their bytes and hash), so decided blocks can be checked with core's verifyCommit.
 */
export class SimApp {
  private readonly valHashes = new Map<number, Uint8Array>();

  constructor(
    readonly chainId: string,
    private readonly validatorsAt: (height: number) => readonly Validator[],
  ) {}

  validatorsHash(height: number): Uint8Array {
    let h = this.valHashes.get(height);
    if (h === undefined) this.valHashes.set(height, (h = validatorsHash(this.validatorsAt(height))));
    return h;
  }

  makeBlock(prng: Prng, height: number, time: number, prevHash: Uint8Array | null, proposer: Uint8Array): { block: Uint8Array; blockHash: Uint8Array } {
    const header: BlockHeader = {
      chainId: this.chainId,
      height,
      time,
      prevHash: prevHash ?? ZERO32,
      txRoot: prng.bytes(32),
      txCount: 0,
      appHash: ZERO32,
      lastResultsHash: ZERO32,
      validatorsHash: this.validatorsHash(height),
      proposer,
    };
    return { block: encodeHeader(header), blockHash: headerHash(header) };
  }

  /**
   * valid(v): decodes, hashes to the proposal's hash, extends this node's chain, names the
   * height's validator set, and was made by one of its validators. Not necessarily by the signer
   * of this proposal: a locked value is re-proposed in later rounds by other proposers, so
   * validity must not depend on the round or on who carries the block (as in CometBFT).
   */
  isValid(proposal: Proposal, block: Uint8Array, prevHash: Uint8Array | null): boolean {
    let h: BlockHeader;
    try {
      h = decodeHeader(block);
    } catch {
      return false;
    }
    return (
      h.chainId === this.chainId &&
      h.height === proposal.height &&
      bytesEqual(headerHash(h), proposal.blockHash) &&
      bytesEqual(h.prevHash, prevHash ?? ZERO32) &&
      bytesEqual(h.validatorsHash, this.validatorsHash(proposal.height)) &&
      this.validatorsAt(proposal.height).some((v) => bytesEqual(v.pubKey, h.proposer))
    );
  }
}

export const shortHash = (h: Uint8Array | null): string => (h === null ? 'nil' : toHex(h).slice(0, 8));
