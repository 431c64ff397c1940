import {
  SalusError,
  bytesEqual,
  decodeCommit,
  decodeHeader,
  fromHex,
  smtVerify,
  toHex,
  utf8ToBytes,
  v,
  validatorsHash,
  verifyCommit,
  type BlockHeader,
  type Commit,
  type SmtProof,
  type Validator,
  type Ed25519,
} from '@salus/core';
import type { KV } from '@salus/module';
import { clientKey, consensusKey, getConsensus, requireClient, trustedValidators, type ClientState, type ConsensusState } from './state.js';

/**
 * The light client of a counterparty chain, kept in this chain's state (IBC's 07-tendermint, kept
 * small). An update carries a header of the counterparty, its commit and the validator set the
 * header names; it is accepted when the commit holds more than 2/3 of that set's power (core's
 * `verifyCommit`) and the set is the trusted one, or, when the set changed, when validators of the
 * trusted set holding more than 1/3 of its power signed the commit too (the light client's
 * skipping rule: at least one honest validator of the set we trust vouches for the new one).
 * Each verified header's app hash is kept by height; proofs of the counterparty's state are
 * checked against it.
 */
export interface ClientUpdate {
  readonly header: BlockHeader;
  readonly commit: Commit;
  readonly validators: readonly Validator[];
}

const VALIDATORS_MAX = 256;

export function parseClientUpdate(x: unknown): ClientUpdate {
  const r = v.record(x, 'payload');
  v.onlyKeys(r, ['header', 'commit', 'validators'], 'payload');
  const header = decodeHeader(v.bytes(r.header, 'header'));
  const commit = decodeCommit(v.bytes(r.commit, 'commit'));
  const validators = v.list(r.validators, 'validators', VALIDATORS_MAX).map((e, i) => {
    const o = v.record(e, `validators[${i}]`);
    v.onlyKeys(o, ['pubKey', 'power'], `validators[${i}]`);
    const power = v.uint(o.power, `validators[${i}].power`, 2 ** 40);
    if (power < 1) throw new SalusError('INVALID_FIELD', 'a validator has power of at least 1', { field: `validators[${i}].power` });
    return { pubKey: v.bytes(o.pubKey, `validators[${i}].pubKey`, 32), power };
  });
  if (validators.length === 0) throw new SalusError('INVALID_FIELD', 'a header names at least one validator', { field: 'validators' });
  return { header, commit, validators };
}

/** Verifies an update against the client's trusted state and records the header. Throws BAD_COMMIT, HEADER_NOT_NEWER, VALIDATORS_UNTRUSTED. */
export function updateClient(kv: KV, ed: Ed25519, u: ClientUpdate): ClientState {
  const client = requireClient(kv, u.header.chainId);
  if (u.header.height <= client.latestHeight) {
    throw new SalusError('HEADER_NOT_NEWER', `the light client of ${client.chainId} has verified height ${client.latestHeight}; header ${u.header.height} is not above it`, { latest: client.latestHeight });
  }
  verifyCommit(ed, u.header, u.commit, u.validators);
  const trusted = trustedValidators(client);
  if (!bytesEqual(validatorsHash(trusted), u.header.validatorsHash)) {
    const power = new Map(trusted.map((t) => [toHex(t.pubKey), t.power]));
    const total = trusted.reduce((s, t) => s + t.power, 0);
    // every signature in the commit verified above; those of trusted validators count toward the trust threshold
    const vouched = u.commit.signatures.reduce((s, sig) => s + (power.get(toHex(sig.validator)) ?? 0), 0);
    if (vouched * 3 <= total) {
      throw new SalusError('VALIDATORS_UNTRUSTED', `header ${u.header.height} of ${client.chainId} names a new validator set, vouched for by ${vouched} of the trusted set's ${total} power; more than a third is needed`, { vouched, total });
    }
  }
  const next: ClientState = { chainId: client.chainId, validators: u.validators.map((x) => ({ pubKey: toHex(x.pubKey), power: x.power })), latestHeight: u.header.height };
  const cs: ConsensusState = { appHash: toHex(u.header.appHash), time: u.header.time, validatorsHash: toHex(u.header.validatorsHash) };
  kv.set(clientKey(client.chainId), next);
  kv.set(consensusKey(client.chainId, u.header.height), cs);
  return next;
}

/** A state proof of the counterparty: the height of the verified header whose app hash it is against, and the sparse Merkle proof. */
export interface StateProof {
  readonly height: number;
  readonly proof: SmtProof;
}

export function parseStateProof(x: unknown, field = 'proof'): StateProof {
  const r = v.record(x, field);
  v.onlyKeys(r, ['height', 'siblings', 'leaf'], field);
  const siblings = v.list(r.siblings, `${field}.siblings`, 256).map((s, i) => v.bytes(s, `${field}.siblings[${i}]`, 32));
  const height = v.uint(r.height, `${field}.height`);
  if (r.leaf === undefined || r.leaf === null) return { height, proof: { siblings } };
  const l = v.record(r.leaf, `${field}.leaf`);
  v.onlyKeys(l, ['path', 'valueHash'], `${field}.leaf`);
  return { height, proof: { siblings, leaf: { path: v.bytes(l.path, `${field}.leaf.path`, 32), valueHash: v.bytes(l.valueHash, `${field}.leaf.valueHash`, 32) } } };
}

/**
 * The counterparty's state at the verified header `p.height` holds `value` under `key` (or, with
 * value undefined, nothing). Throws CLIENT_HEIGHT_UNKNOWN or BAD_PROOF.
 */
export function verifyCounterpartyState(kv: KV, chainId: string, key: string, value: Uint8Array | undefined, p: StateProof): void {
  const cs = getConsensus(kv, chainId, p.height);
  if (!cs) throw new SalusError('CLIENT_HEIGHT_UNKNOWN', `the light client of ${chainId} has no verified header at height ${p.height}`, { height: p.height });
  if (!smtVerify(fromHex(cs.appHash, 32), utf8ToBytes(key), value, p.proof)) {
    throw new SalusError('BAD_PROOF', `the proof does not show ${key} ${value === undefined ? 'absent' : 'with that value'} in ${chainId}'s state at height ${p.height}`, { key, height: p.height });
  }
}
