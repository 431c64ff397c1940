import { decode, encode, type Canonical } from './encoding.js';
import { sha256 } from './hash.js';
import { merkleRoot } from './merkle.js';
import { signBytes } from './signing.js';
import { SalusError } from './errors.js';
import { bytes, list, onlyKeys, record, str, uint } from './validate.js';
import { LIMITS } from './limits.js';

export interface Validator {
  readonly pubKey: Uint8Array;
  readonly power: number;
}

/** Block header. appHash and lastResultsHash are the state root and results after the previous block (as in Tendermint). */
export interface BlockHeader {
  readonly chainId: string;
  readonly height: number;
  /** milliseconds since the Unix epoch, chosen by the proposer, strictly increasing */
  readonly time: number;
  readonly prevHash: Uint8Array;
  readonly txRoot: Uint8Array;
  readonly txCount: number;
  readonly appHash: Uint8Array;
  readonly lastResultsHash: Uint8Array;
  readonly validatorsHash: Uint8Array;
  readonly proposer: Uint8Array;
}

export interface CommitSig {
  readonly validator: Uint8Array;
  readonly signature: Uint8Array;
}

/** Precommit signatures of more than 2/3 of the voting power for one block hash. */
export interface Commit {
  readonly height: number;
  readonly round: number;
  readonly blockHash: Uint8Array;
  readonly signatures: readonly CommitSig[];
}

export interface Block {
  readonly header: BlockHeader;
  readonly txs: readonly Uint8Array[];
}

export const ZERO32 = new Uint8Array(32);

export function headerCanonical(h: BlockHeader): Canonical {
  return {
    chainId: h.chainId,
    height: h.height,
    time: h.time,
    prevHash: h.prevHash,
    txRoot: h.txRoot,
    txCount: h.txCount,
    appHash: h.appHash,
    lastResultsHash: h.lastResultsHash,
    validatorsHash: h.validatorsHash,
    proposer: h.proposer,
  };
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return encode(headerCanonical(h));
}

export function headerHash(h: BlockHeader): Uint8Array {
  return sha256(encodeHeader(h));
}

export function decodeHeader(b: Uint8Array): BlockHeader {
  const o = record(decode(b), 'header');
  onlyKeys(o, ['chainId', 'height', 'time', 'prevHash', 'txRoot', 'txCount', 'appHash', 'lastResultsHash', 'validatorsHash', 'proposer'], 'header');
  return {
    chainId: str(o.chainId, 'header.chainId', 64),
    height: uint(o.height, 'header.height'),
    time: uint(o.time, 'header.time'),
    prevHash: bytes(o.prevHash, 'header.prevHash', 32),
    txRoot: bytes(o.txRoot, 'header.txRoot', 32),
    txCount: uint(o.txCount, 'header.txCount'),
    appHash: bytes(o.appHash, 'header.appHash', 32),
    lastResultsHash: bytes(o.lastResultsHash, 'header.lastResultsHash', 32),
    validatorsHash: bytes(o.validatorsHash, 'header.validatorsHash', 32),
    proposer: bytes(o.proposer, 'header.proposer', 32),
  };
}

export function encodeCommit(c: Commit): Uint8Array {
  return encode({
    height: c.height,
    round: c.round,
    blockHash: c.blockHash,
    signatures: c.signatures.map((s) => ({ validator: s.validator, signature: s.signature })),
  });
}

export function decodeCommit(b: Uint8Array): Commit {
  const o = record(decode(b), 'commit');
  onlyKeys(o, ['height', 'round', 'blockHash', 'signatures'], 'commit');
  return {
    height: uint(o.height, 'commit.height'),
    round: uint(o.round, 'commit.round'),
    blockHash: bytes(o.blockHash, 'commit.blockHash', 32),
    signatures: list(o.signatures, 'commit.signatures', 10_000).map((s, i) => {
      const r = record(s, `commit.signatures[${i}]`);
      onlyKeys(r, ['validator', 'signature'], `commit.signatures[${i}]`);
      return { validator: bytes(r.validator, 'validator', 32), signature: bytes(r.signature, 'signature', 64) };
    }),
  };
}

export function encodeValidator(v: Validator): Uint8Array {
  return encode({ pubKey: v.pubKey, power: v.power });
}

export function validatorsHash(vals: readonly Validator[]): Uint8Array {
  return merkleRoot(vals.map(encodeValidator));
}

export function totalPower(vals: readonly Validator[]): number {
  return vals.reduce((s, v) => s + v.power, 0);
}

/** The bytes a validator signs to precommit a block; the consensus engine signs the same. */
export function precommitSignBytes(chainId: string, height: number, round: number, blockHash: Uint8Array): Uint8Array {
  return signBytes('vote', chainId, { type: 'precommit', height, round, blockHash });
}

export function checkBlockShape(block: Block): void {
  if (block.txs.length !== block.header.txCount) {
    throw new SalusError('CORRUPT_DATA', `block ${block.header.height} holds ${block.txs.length} transactions, header says ${block.header.txCount}`);
  }
}

/** A whole block as it travels in a proposal or block sync: the header's canonical bytes and the transactions. */
export function encodeBlock(b: Block): Uint8Array {
  return encode({ header: encodeHeader(b.header), txs: [...b.txs] });
}

export function decodeBlock(encoded: Uint8Array, maxBytes: number = LIMITS.blockBytesMax + 1024): Block {
  const o = record(decode(encoded, maxBytes), 'block');
  onlyKeys(o, ['header', 'txs'], 'block');
  const header = decodeHeader(bytes(o.header, 'block.header'));
  const txs = list(o.txs, 'block.txs', LIMITS.blockTxsMax).map((t, i) => bytes(t, `block.txs[${i}]`));
  const block = { header, txs };
  checkBlockShape(block);
  return block;
}
