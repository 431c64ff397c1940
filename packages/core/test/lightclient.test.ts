import { describe, expect, it } from 'vitest';
import {
  type BlockHeader,
  type Commit,
  EMPTY_ROOT,
  ZERO32,
  encodeTx,
  generateIdentityKeys,
  headerHash,
  inclusionProof,
  leafHash,
  merkleRoot,
  precommitSignBytes,
  pureEd25519 as ed,
  signTx,
  validatorsHash,
  verifyCommit,
  verifyTxInclusion,
} from '../src/index.js';

const keys = [1, 2, 3, 4].map((i) => generateIdentityKeys({ signing: new Uint8Array(32).fill(i), encryption: new Uint8Array(32).fill(i + 10) }));
const validators = keys.map((k) => ({ pubKey: k.signing.publicKey, power: 10 }));
const user = generateIdentityKeys({ signing: new Uint8Array(32).fill(9), encryption: new Uint8Array(32).fill(19) });
const txs = [0, 1, 2].map((n) => encodeTx(signTx(ed, user.signing.secretKey, { chainId: 'test', signer: user.signing.publicKey, nonce: n, module: 'identity', type: 'x', payload: { n } })));
const header: BlockHeader = {
  chainId: 'test',
  height: 7,
  time: 1000,
  prevHash: ZERO32,
  txRoot: merkleRoot(txs),
  txCount: txs.length,
  appHash: ZERO32,
  lastResultsHash: EMPTY_ROOT,
  validatorsHash: validatorsHash(validators),
  proposer: validators[0]!.pubKey,
};
const hash = headerHash(header);
const sig = (i: number, h = hash) => ({ validator: keys[i]!.signing.publicKey, signature: ed.sign(keys[i]!.signing.secretKey, precommitSignBytes('test', 7, 0, h)) });
const commit = (idx: number[]): Commit => ({ height: 7, round: 0, blockHash: hash, signatures: idx.map((i) => sig(i)) });

describe('light client', () => {
  it('accepts a commit with more than 2/3 of the power', () => {
    expect(() => verifyCommit(ed, header, commit([0, 1, 2]), validators)).not.toThrow();
  });
  it('refuses 2/3 exactly, duplicates, strangers and bad signatures', () => {
    const bad = (c: Commit) => expect(() => verifyCommit(ed, header, c, validators)).toThrowError(expect.objectContaining({ code: 'BAD_COMMIT' }));
    bad(commit([0, 1]));
    bad(commit([0, 1, 1]));
    const stranger = generateIdentityKeys();
    bad({ ...commit([0, 1]), signatures: [...commit([0, 1]).signatures, { validator: stranger.signing.publicKey, signature: sig(2).signature }] });
    bad({ ...commit([0, 1]), signatures: [...commit([0, 1]).signatures, { ...sig(2), signature: new Uint8Array(64) }] });
    bad({ ...commit([0, 1, 2]), height: 8 });
  });
  it('verifies a transaction inclusion proof and refuses a tampered one', () => {
    const leaves = txs.map(leafHash);
    const good = inclusionProof(leaves, 1);
    expect(() => verifyTxInclusion(ed, txs[1]!, good, header, commit([0, 1, 3]), validators)).not.toThrow();
    expect(() => verifyTxInclusion(ed, txs[2]!, good, header, commit([0, 1, 3]), validators)).toThrowError(expect.objectContaining({ code: 'BAD_PROOF' }));
    expect(() => verifyTxInclusion(ed, txs[1]!, { ...good, treeSize: 4 }, header, commit([0, 1, 3]), validators)).toThrowError(
      expect.objectContaining({ code: 'BAD_PROOF' }),
    );
  });
  it('refuses a header that names another validator set', () => {
    expect(() => verifyCommit(ed, header, commit([0, 1, 2]), validators.slice(0, 3))).toThrowError(expect.objectContaining({ code: 'BAD_COMMIT' }));
  });
});
