import { SalusError, encode, bytesEqual, type Canonical } from '@salus/core';
import type { TxContext } from '@salus/module';
import { activeKey, getKey } from '@salus/identity';
import { requireInstance, type InstanceRecord } from '../module/state.js';
import { requireActive } from '../module/status.js';
import { EMPTY_ROOT, getPrivateRoot, misbehaviourPrefix, privateRootKey } from './state.js';
import type { PrivateCall, Report } from './payloads.js';
import { resultBody, verifyEndorsement, type PrivateResult } from './result.js';

/**
 * The validators' side of private execution: they see hashes and signatures only. A private call
 * commits when enough distinct parties signed the same result, computed on the contract's current
 * private-state root (else CONTRACT_STALE: the client endorses again), in a context (height) not
 * older than RESULT_AGE_MAX blocks. The new root goes on the ledger; the public outputs become
 * events.
 */
/** how many blocks old the height an endorsed result ran at may be when it commits */
export const RESULT_AGE_MAX = 100;
/** the key roles that sign for a party: its administrator (the node's organisation key) or a service key */
const ENDORSER_ROLES = ['admin', 'service'];

export function requirePrivate(inst: InstanceRecord): NonNullable<InstanceRecord['manifest']['private']> {
  if (!inst.manifest.private) throw new SalusError('CONTRACT_FORBIDDEN', `contract ${inst.name} is public: call it with a call transaction`, { contract: inst.name });
  return inst.manifest.private;
}

export function deliverPrivateCall(ctx: TxContext, p: PrivateCall): void {
  const r = p.result;
  const inst = requireInstance(ctx.state, r.contract);
  requireActive(inst);
  const policy = requirePrivate(inst);
  if (r.caller !== ctx.signerHex) throw new SalusError('CONTRACT_ENDORSEMENT', 'the endorsed result names another caller than the signer of this transaction');
  if (r.height >= ctx.height || r.height < ctx.height - RESULT_AGE_MAX) {
    throw new SalusError('CONTRACT_STALE', `the result ran at height ${r.height}; at height ${ctx.height} it must be of the last ${RESULT_AGE_MAX} blocks`, { height: r.height });
  }
  const envelopeOrgs = p.blobs.envelopes.map((e) => e.org).sort();
  if (envelopeOrgs.join() !== policy.parties.join()) throw new SalusError('INVALID_FIELD', `the input is encrypted to ${envelopeOrgs.join(', ')}, not to the parties ${policy.parties.join(', ')}`, { field: 'blobs.envelopes' });
  const orgs = new Set<string>();
  for (const e of p.endorsements) {
    const k = activeKey(ctx.state, e.key);
    if (!k || k.org === null || !policy.parties.includes(k.org) || !ENDORSER_ROLES.includes(k.role)) {
      throw new SalusError('CONTRACT_ENDORSEMENT', `endorsement key ${e.key.slice(0, 16)}… is not an active admin or service key of a party (${policy.parties.join(', ')})`, { key: e.key });
    }
    if (orgs.has(k.org)) throw new SalusError('CONTRACT_ENDORSEMENT', `organisation ${k.org} endorsed twice; endorsements come from distinct parties`, { org: k.org });
    if (ctx.state.list(misbehaviourPrefix(e.key), { limit: 1 }).length > 0) throw new SalusError('CONTRACT_ENDORSEMENT', `key ${e.key.slice(0, 16)}… signed conflicting results (evidence on the ledger); its endorsements no longer count`, { key: e.key });
    if (!verifyEndorsement(ctx.ed, ctx.chainId, r, e)) throw new SalusError('BAD_SIGNATURE', `the endorsement of ${k.org} does not verify over this result`, { org: k.org });
    orgs.add(k.org);
  }
  if (orgs.size < policy.endorse) throw new SalusError('CONTRACT_ENDORSEMENT', `contract ${inst.name} needs ${policy.endorse} endorsements of its parties; this call has ${orgs.size}`, { needed: policy.endorse, got: orgs.size });
  const current = getPrivateRoot(ctx.state, inst.name) ?? { root: EMPTY_ROOT, calls: 0, height: 0 };
  if (r.before !== current.root) {
    throw new SalusError('CONTRACT_STALE', `the result ran on private state ${r.before.slice(0, 12)}…; the contract's state is now ${current.root.slice(0, 12)}…: endorse the call again`, { before: r.before, current: current.root });
  }
  ctx.state.set(privateRootKey(inst.name), { root: r.after, calls: current.calls + 1, height: ctx.height });
  for (const e of r.outputs.events) ctx.emit('contracts.event', { contract: inst.name, event: e.event, data: e.data });
  ctx.emit('contracts.private_called', { contract: inst.name, input: r.input, before: r.before, after: r.after, call: current.calls + 1, result: r.outputs.value, endorsedBy: [...orgs].sort() });
}

/** The same signer, input, state and context, and different results: both signatures verify, so the signer lied once. */
export function deliverReport(ctx: TxContext, p: Report): void {
  const { a, b } = p;
  if (a.endorsement.key !== b.endorsement.key) throw new SalusError('INVALID_FIELD', 'both results must be signed by the same key');
  const same = (x: PrivateResult, y: PrivateResult) => x.contract === y.contract && x.caller === y.caller && x.input === y.input && x.before === y.before && x.height === y.height && x.time === y.time && x.roles.join() === y.roles.join();
  if (!same(a.result, b.result)) throw new SalusError('INVALID_FIELD', 'the two results are not for the same contract, caller, input, state and context');
  if (bytesEqual(encode(resultBody(a.result)), encode(resultBody(b.result)))) throw new SalusError('INVALID_FIELD', 'the two results are the same: no conflict');
  for (const s of [a, b]) if (!verifyEndorsement(ctx.ed, ctx.chainId, s.result, s.endorsement)) throw new SalusError('BAD_SIGNATURE', 'a reported signature does not verify');
  const key = getKey(ctx.state, a.endorsement.key);
  if (!key) throw new SalusError('NOT_FOUND', 'the signing key is not a registered identity');
  const at = misbehaviourPrefix(a.endorsement.key) + `${a.result.contract}:${a.result.input}`;
  if (ctx.state.has(at)) throw new SalusError('CONFLICT', 'this misbehaviour is already on the ledger');
  ctx.state.set(at, { key: a.endorsement.key, org: key.org, contract: a.result.contract, input: a.result.input, a: { result: resultBody(a.result), sig: a.endorsement.sig }, b: { result: resultBody(b.result), sig: b.endorsement.sig }, height: ctx.height } as unknown as Canonical);
  ctx.emit('contracts.misbehaviour', { key: a.endorsement.key, org: key.org, contract: a.result.contract, input: a.result.input });
}
