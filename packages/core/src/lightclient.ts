import { bytesEqual, toHex } from './bytes.js';
import { type BlockHeader, type Commit, type Validator, headerHash, precommitSignBytes, totalPower, validatorsHash } from './block.js';
import type { Ed25519 } from './ed25519.js';
import { SalusError } from './errors.js';
import { type InclusionProof, leafHash, verifyInclusion } from './merkle.js';
import { type SmtProof, smtVerify } from './smt.js';

/**
 * Light-client verification: everything a client needs to trust a transaction or a state value
 * given only a validator set it already trusts. Throws BAD_COMMIT / BAD_PROOF with the reason.
 */
export function verifyCommit(ed: Ed25519, header: BlockHeader, commit: Commit, validators: readonly Validator[]): void {
  if (!bytesEqual(validatorsHash(validators), header.validatorsHash)) {
    throw new SalusError('BAD_COMMIT', `header ${header.height} names another validator set`);
  }
  const hash = headerHash(header);
  if (commit.height !== header.height || !bytesEqual(commit.blockHash, hash)) {
    throw new SalusError('BAD_COMMIT', `commit is for another block than header ${header.height}`);
  }
  verifyCommitSignatures(ed, header.chainId, commit, validators);
}

/**
 * The commit's precommit signatures, for its own block hash, hold more than 2/3 of the validators'
 * power: no strangers, no validator twice, every signature valid. Throws BAD_COMMIT.
 */
export function verifyCommitSignatures(ed: Ed25519, chainId: string, commit: Commit, validators: readonly Validator[]): void {
  const msg = precommitSignBytes(chainId, commit.height, commit.round, commit.blockHash);
  const powerOf = new Map(validators.map((v) => [toHex(v.pubKey), v.power]));
  const seen = new Set<string>();
  let signed = 0;
  for (const s of commit.signatures) {
    const id = toHex(s.validator);
    const power = powerOf.get(id);
    if (power === undefined) throw new SalusError('BAD_COMMIT', `commit signature from ${id.slice(0, 16)}…, not a validator`);
    if (seen.has(id)) throw new SalusError('BAD_COMMIT', `validator ${id.slice(0, 16)}… signed twice`);
    seen.add(id);
    if (!ed.verify(s.validator, msg, s.signature)) {
      throw new SalusError('BAD_COMMIT', `commit signature of ${id.slice(0, 16)}… does not verify`);
    }
    signed += power;
  }
  const total = totalPower(validators);
  if (signed * 3 <= total * 2) {
    throw new SalusError('BAD_COMMIT', `commit holds ${signed} of ${total} voting power; more than two thirds is needed`);
  }
}

/** A transaction (its encoded bytes) is in the block with this header, and the header is committed. */
export function verifyTxInclusion(
  ed: Ed25519,
  txBytes: Uint8Array,
  proof: InclusionProof,
  header: BlockHeader,
  commit: Commit,
  validators: readonly Validator[],
): void {
  verifyCommit(ed, header, commit, validators);
  if (proof.treeSize !== header.txCount || !verifyInclusion(leafHash(txBytes), proof, header.txRoot)) {
    throw new SalusError('BAD_PROOF', `transaction is not in block ${header.height}`);
  }
}

/** A state value (or absence) under the app hash of a committed header. */
export function verifyStateValue(
  ed: Ed25519,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: SmtProof,
  header: BlockHeader,
  commit: Commit,
  validators: readonly Validator[],
): void {
  verifyCommit(ed, header, commit, validators);
  if (!smtVerify(header.appHash, key, value, proof)) {
    throw new SalusError('BAD_PROOF', `state proof for key does not verify against app hash of block ${header.height}`);
  }
}
