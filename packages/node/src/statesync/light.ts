import {
  type Block,
  type BlockHeader,
  type Commit,
  type Ed25519,
  type Validator,
  SalusError,
  bytesEqual,
  decode,
  headerHash,
  merkleRoot,
  toHex,
  txHash,
  v,
  validatorsHash,
  verifyCommit,
} from '@salus/core';
import { resultsRoot } from '@salus/module';

/** The root of trust of a state sync: a header hash the operator took from a source they trust. */
export interface Trust {
  readonly height: number;
  readonly hash: Uint8Array;
}

const bad = (msg: string, height?: number) => new SalusError('BAD_SNAPSHOT', msg, height === undefined ? {} : { height });

/**
 * The headers from a snapshot height `base` up to the trusted height, ascending: the last must
 * hash to the trusted hash, and each earlier one to the `prevHash` of the next (a hash chain
 * backwards from the trusted header needs no signature and no validator set). Throws BAD_SNAPSHOT.
 */
export function checkHeaderChain(trust: Trust, chainId: string, headers: readonly BlockHeader[]): void {
  const last = headers[headers.length - 1];
  if (!last || last.height !== trust.height) throw bad(`the headers end at ${last?.height ?? 'nothing'}, not at the trusted height ${trust.height}`);
  if (!bytesEqual(headerHash(last), trust.hash)) throw bad(`header ${trust.height} does not hash to the trusted hash`, trust.height);
  for (let i = headers.length - 1; i > 0; i--) {
    const h = headers[i]!;
    const below = headers[i - 1]!;
    if (h.chainId !== chainId || below.height !== h.height - 1 || !bytesEqual(headerHash(below), h.prevHash)) {
      throw bad(`header ${below.height} is not the one header ${h.height} links to`, below.height);
    }
  }
}

/** A validator set as sent (the chain's stored encoding) that must be the one `header` names. */
export function checkValidators(encoded: Uint8Array, header: BlockHeader): Validator[] {
  let vals: Validator[];
  try {
    vals = v.list(decode(encoded), 'validators', 10_000).map((x) => {
      const r = v.record(x, 'validators[]');
      return { pubKey: v.bytes(r.pubKey, 'pubKey', 32), power: v.uint(r.power, 'power') };
    });
  } catch (e) {
    throw bad(`the validator set for height ${header.height} does not decode: ${(e as Error).message}`, header.height);
  }
  if (!bytesEqual(validatorsHash(vals), header.validatorsHash)) throw bad(`the validator set sent for height ${header.height} is not the one its header names`, header.height);
  return vals;
}

/** The commit of `header` holds more than two thirds of `validators` (BAD_SNAPSHOT otherwise). */
export function checkCommit(ed: Ed25519, header: BlockHeader, commit: Commit, validators: readonly Validator[]): void {
  try {
    verifyCommit(ed, header, commit, validators);
  } catch (e) {
    throw bad(`the commit of block ${header.height}: ${(e as Error).message}`, header.height);
  }
}

/**
 * The snapshot height's block: its header is the verified one, its transactions are the ones the
 * header's root names, and their results are the ones the next header's results hash names.
 */
export function checkBaseBlock(block: Block, results: readonly Uint8Array[], header: BlockHeader, next: BlockHeader): { hashes: Uint8Array[]; resultsRoot: Uint8Array } {
  if (!bytesEqual(headerHash(block.header), headerHash(header))) throw bad(`block ${header.height} sent is not the verified header's`, header.height);
  if (block.txs.length !== header.txCount || !bytesEqual(merkleRoot(block.txs), header.txRoot)) throw bad(`the transactions of block ${header.height} are not the ones its header names`, header.height);
  const root = resultsRoot(results);
  if (results.length !== block.txs.length || !bytesEqual(root, next.lastResultsHash)) throw bad(`the results of block ${header.height} are not the ones header ${next.height} names`, header.height);
  return { hashes: block.txs.map(txHash), resultsRoot: root };
}

export function trustFromConfig(height: number, hashHex: string): Trust {
  if (!Number.isSafeInteger(height) || height < 2) throw new SalusError('CONFIG', 'stateSync.trustHeight must be an integer of at least 2');
  if (!/^[0-9a-f]{64}$/.test(hashHex)) throw new SalusError('CONFIG', 'stateSync.trustHash must be the 64-character lowercase hex hash of the header at trustHeight');
  return { height, hash: Uint8Array.from(Buffer.from(hashHex, 'hex')) };
}

export const hashText = (h: Uint8Array) => toHex(h).slice(0, 16);
