import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Wallet } from '@salus/client';
import { generateIdentityKeys, toHex, txHash, type IdentityKeys } from '@salus/core';
import { createLedger, ed, memberOf, type Ledger } from './ledger-harness.js';
import { getOrg } from '@salus/identity';
import { NEXT_VALIDATORS_KEY, VALSET_DELAY, currentValidators, proposalKey, validatorsForHeight, votingOrgs } from '@salus/governance';
import type { Proposal } from '@salus/governance';

/**
 * Governance through the application and the ledger, with a genesis of four organisations each
 * running one validator: more than two thirds of the validator organisations decide; validator
 * changes take effect VALSET_DELAY blocks after approval, in the state and in the sets that sign.
 */
let l: Ledger;
afterEach(() => l?.close());

const newOrg = (id: string, w: Wallet = Wallet.create(ed)) => ({ id, name: `Org ${id}`, kind: 'clinic', adminKey: w.publicKeyHex, encryptionKey: toHex(w.encryptionPublicKey) });
const addOrg = (id: string) => ({ action: { kind: 'add_org', org: newOrg(id) } });
const admin = (id: string) => l.org(id).admin;
const proposal = (id: string) => l.view().get(proposalKey(id)) as Proposal | undefined;

const proposeTx = (by: string | Wallet, payload: unknown) => ({ signer: typeof by === 'string' ? admin(by) : by, module: 'governance', type: 'propose', payload });

/** Proposes from `by` in a block of its own; returns the proposal id (the transaction's hash) and the result code. */
function propose(by: string | Wallet, payload: unknown): { id: string; code: string } {
  const bytes = l.buildTxs([proposeTx(by, payload)]);
  return { id: toHex(txHash(bytes[0]!)), code: l.commitRaw(bytes)[0]!.code };
}
const vote = (by: string | Wallet, id: string, approve = true) => l.exec(typeof by === 'string' ? admin(by) : by, 'governance', 'vote', { proposal: id, approve });

describe('adding an organisation', () => {
  it('passes with 3 of 4 validator organisations, not with 2', async () => {
    l = createLedger({ orgs: 4 });
    const p = propose('org-a', addOrg('new-clinic'));
    expect(p.code).toBe('OK');
    expect(proposal(p.id)).toMatchObject({ status: 'open', proposer: 'org-a', votes: { 'org-a': true } });
    expect(vote('org-b', p.id).code).toBe('OK');
    expect(proposal(p.id)?.status).toBe('open');
    expect(getOrg(l.view(), 'new-clinic')).toBeUndefined();
    const r = vote('org-c', p.id);
    expect(r.code).toBe('OK');
    expect(r.events.map((e) => e.type)).toEqual(['governance.org_added', 'governance.voted']);
    expect(proposal(p.id)).toMatchObject({ status: 'approved', votes: { 'org-a': true, 'org-b': true, 'org-c': true } });
    expect(getOrg(l.view(), 'new-clinic')).toMatchObject({ id: 'new-clinic', kind: 'clinic', since: l.height });
    // a vote after the decision changes nothing
    expect(vote('org-d', p.id, false).code).toBe('CONFLICT');
    expect(proposal(p.id)?.status).toBe('approved');
    // the proposal is served by the module's route
    const api = await l.routes();
    try {
      const res = await api.inject({ method: 'GET', url: `/v1/governance/proposals/${p.id.toUpperCase()}` });
      expect(res.json()).toMatchObject({ id: p.id, status: 'approved' });
      expect((await api.inject({ method: 'GET', url: `/v1/governance/proposals/${'0'.repeat(64)}` })).json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    } finally {
      await api.close();
    }
  });

  it('the new organisation’s admin adds members; without a validator it has no vote; it cannot be added twice', () => {
    l = createLedger({ orgs: 1 });
    const newAdmin = Wallet.create(ed);
    const org = newOrg('new-pharmacy', newAdmin);
    expect(propose('org-a', { action: { kind: 'add_org', org } }).code).toBe('OK'); // one of one decides at once
    expect(getOrg(l.view(), 'new-pharmacy')?.admin).toBe(newAdmin.publicKeyHex);
    expect(l.exec(newAdmin, 'identity', 'add_member', memberOf('new-pharmacy', Wallet.create(ed))).code).toBe('OK');
    expect(propose(newAdmin, addOrg('another')).code).toBe('FORBIDDEN');
    expect(propose('org-a', { action: { kind: 'add_org', org } }).code).toBe('CONFLICT');
    expect(propose('org-a', { action: { kind: 'add_org', org: newOrg('other-id', newAdmin) } }).code).toBe('CONFLICT'); // its admin key is taken
    expect(getOrg(l.view(), 'other-id')).toBeUndefined();
  });

  it('is rejected once approval is impossible: 2 of 4 against', () => {
    l = createLedger({ orgs: 4 });
    const p = propose('org-a', addOrg('doubtful'));
    expect(vote('org-b', p.id, false).code).toBe('OK');
    expect(proposal(p.id)?.status).toBe('open'); // 3 of 4 could still approve
    const r = vote('org-c', p.id, false);
    expect(r.events).toEqual([{ type: 'governance.voted', attributes: { proposal: p.id, org: 'org-c', approve: false, status: 'rejected' } }]);
    expect(proposal(p.id)?.status).toBe('rejected');
    expect(vote('org-d', p.id, true).code).toBe('CONFLICT');
    expect(getOrg(l.view(), 'doubtful')).toBeUndefined();
  });

  it('refuses voters that are not admins of validator organisations, and double votes', () => {
    l = createLedger({ orgs: 4, observers: 1 });
    const p = propose('org-a', addOrg('contested'));
    const doc = Wallet.create(ed);
    expect(l.exec(admin('org-a'), 'identity', 'add_member', memberOf('org-a', doc)).code).toBe('OK');
    const patient = Wallet.create(ed);
    expect(l.exec(patient, 'identity', 'register_patient', { encryptionKey: toHex(patient.encryptionPublicKey) }).code).toBe('OK');
    expect(vote(doc, p.id).code).toBe('FORBIDDEN'); // a practitioner
    expect(vote(patient, p.id).code).toBe('FORBIDDEN'); // a patient
    expect(vote('org-e', p.id).code).toBe('FORBIDDEN'); // an organisation without a validator
    expect(propose('org-e', addOrg('other')).code).toBe('FORBIDDEN');
    expect(vote(Wallet.create(ed), p.id).code).toBe('UNREGISTERED_SIGNER');
    expect(vote('org-a', p.id).code).toBe('CONFLICT'); // the proposer has voted by proposing
    expect(vote('org-b', p.id, false).code).toBe('OK');
    expect(vote('org-b', p.id, true).code).toBe('CONFLICT');
    expect(vote('org-b', p.id, false).code).toBe('CONFLICT');
    expect(vote('org-c', '0'.repeat(64)).code).toBe('NOT_FOUND');
    expect(proposal(p.id)).toMatchObject({ status: 'open', votes: { 'org-a': true, 'org-b': false } });
    // two votes of one organisation in one block: the second is refused
    expect(l.block(...[true, true].map((approve) => ({ signer: admin('org-c'), module: 'governance', type: 'vote', payload: { proposal: p.id, approve } }))).map((r) => r.code)).toEqual(['OK', 'CONFLICT']);
  });

  it('decides exactly when more than two thirds approve, or approval can no longer pass (any size, any order)', () => {
    const scenario = fc.integer({ min: 1, max: 7 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.shuffledSubarray([...Array(n).keys()].slice(1), { minLength: n - 1, maxLength: n - 1 }),
        fc.array(fc.boolean(), { minLength: n - 1, maxLength: n - 1 }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([n, order, choices]) => {
        l?.close();
        l = createLedger({ orgs: n });
        const p = propose('org-a', addOrg('decided'));
        expect(p.code).toBe('OK');
        // the model: the proposer's yes, then each vote in order until the outcome is fixed
        let yes = 1;
        let no = 0;
        let status = yes * 3 > n * 2 ? 'approved' : 'open';
        const expected = order.map((_, i) => {
          if (status !== 'open') return 'CONFLICT';
          if (choices[i]) yes++;
          else no++;
          if (yes * 3 > n * 2) status = 'approved';
          else if ((n - no) * 3 <= n * 2) status = 'rejected';
          return 'OK';
        });
        // every other organisation votes, all in one block
        const results = l.block(...order.map((o, i) => ({ signer: l.orgs[o]!.admin, module: 'governance', type: 'vote', payload: { proposal: p.id, approve: choices[i]! } })));
        expect(results.map((r) => r.code)).toEqual(expected);
        expect(proposal(p.id)?.status).toBe(status);
        expect(getOrg(l.view(), 'decided') !== undefined).toBe(status === 'approved');
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});

describe('validator set changes', () => {
  function approve(payload: unknown, orgs = ['org-a', 'org-b', 'org-c']): number {
    const p = propose(orgs[0]!, payload);
    expect(p.code).toBe('OK');
    for (const o of orgs.slice(1)) expect(vote(o, p.id).code).toBe('OK');
    expect(proposal(p.id)?.status).toBe('approved');
    return l.height;
  }
  const hexes = (vals: readonly { pubKey: Uint8Array }[]) => vals.map((v) => toHex(v.pubKey)).sort();

  it(`set_validator takes effect ${VALSET_DELAY} blocks after approval, in the state and in the sets that sign`, async () => {
    l = createLedger({ orgs: 4, observers: 1 });
    const before = hexes(l.chain.validatorsFor(l.height + 1));
    const key: IdentityKeys = generateIdentityKeys();
    const pubKey = toHex(key.signing.publicKey);
    l.validatorKeys.set(pubKey, key);
    const h = approve({ action: { kind: 'set_validator', validator: { pubKey, power: 10, org: 'org-e' } } });
    expect(VALSET_DELAY).toBe(2);
    // pending in the state, named by the route
    expect(l.view().get(NEXT_VALIDATORS_KEY)).toMatchObject({ height: h + VALSET_DELAY });
    expect(validatorsForHeight(l.view(), h + 1).map((v) => v.pubKey)).not.toContain(pubKey);
    expect(validatorsForHeight(l.view(), h + VALSET_DELAY).map((v) => v.pubKey)).toContain(pubKey);
    const api = await l.routes();
    try {
      const body = (await api.inject({ method: 'GET', url: '/v1/governance/validators' })).json() as { validators: unknown[]; pending: { height: number }; votingOrgs: string[] };
      expect(body.validators).toHaveLength(4);
      expect(body.pending.height).toBe(h + VALSET_DELAY);
      expect(body.votingOrgs).toEqual(['org-a', 'org-b', 'org-c', 'org-d']);
    } finally {
      await api.close();
    }
    // the ledger's set for the next block is unchanged (the one after is recorded when h+1 commits)
    expect(hexes(l.chain.validatorsFor(h + 1))).toEqual(before);
    // block h+1 is still signed by the old set: a precommit of the new validator is refused
    expect(() => l.commitRaw([], [...l.orgs.slice(0, 4).map((o) => o.validator!), key])).toThrowError(expect.objectContaining({ code: 'BAD_COMMIT' }));
    // block h+1: org-e has no vote yet
    const txs = l.buildTxs([proposeTx('org-a', addOrg('later')), proposeTx('org-e', addOrg('e-first'))]);
    expect(l.commitRaw(txs).map((r) => r.code)).toEqual(['OK', 'FORBIDDEN']);
    expect(l.height).toBe(h + 1);
    expect(hexes(l.chain.validatorsFor(h + 1))).toEqual(before);
    expect(hexes(l.chain.validatorsFor(h + 2))).toEqual([...before, pubKey].sort());
    // block h+2: the new set is active; org-e votes and its validator signs (default signers are the height's set)
    expect(vote('org-e', toHex(txHash(txs[0]!))).code).toBe('OK');
    expect(l.height).toBe(h + 2);
    expect(votingOrgs(l.view())).toContain('org-e');
    expect(currentValidators(l.view()).map((v) => v.pubKey)).toContain(pubKey);
    expect(l.view().get(NEXT_VALIDATORS_KEY)).toBeUndefined();
    // 5 × 10 power: 4 signatures are more than two thirds, 3 are not
    expect(() => l.commitRaw([], l.orgs.slice(0, 3).map((o) => o.validator!))).toThrowError(expect.objectContaining({ code: 'BAD_COMMIT' }));
    l.commitRaw([], [key, ...l.orgs.slice(0, 3).map((o) => o.validator!)]);
  });

  it('set_validator re-weights an existing validator; an unknown organisation is NOT_FOUND', () => {
    l = createLedger({ orgs: 4 });
    const aKey = toHex(l.org('org-a').validator!.signing.publicKey);
    expect(propose('org-a', { action: { kind: 'set_validator', validator: { pubKey: aKey, power: 40, org: 'org-a' } } }).code).toBe('OK');
    expect(propose('org-a', { action: { kind: 'set_validator', validator: { pubKey: aKey, power: 40, org: 'no-such-org' } } }).code).toBe('NOT_FOUND');
    expect(propose('org-a', { action: { kind: 'set_validator', validator: { pubKey: aKey, power: 0, org: 'org-a' } } }).code).toBe('INVALID_FIELD');
    const h = approve({ action: { kind: 'set_validator', validator: { pubKey: aKey, power: 40, org: 'org-a' } } });
    l.tick();
    const vals = l.chain.validatorsFor(h + VALSET_DELAY);
    expect(vals).toHaveLength(4);
    expect(vals.find((v) => toHex(v.pubKey) === aKey)?.power).toBe(40);
    // with 40 of 70, org-a's validator and one other (50) are more than two thirds; the other three (30) are not
    expect(() => l.commitRaw([], ['org-b', 'org-c', 'org-d'].map((o) => l.org(o).validator!))).toThrowError(expect.objectContaining({ code: 'BAD_COMMIT' }));
    l.commitRaw([], ['org-a', 'org-b'].map((o) => l.org(o).validator!));
  });

  it(`remove_validator takes effect ${VALSET_DELAY} blocks later, and the removed organisation loses its vote`, () => {
    l = createLedger({ orgs: 4 });
    const dKey = toHex(l.org('org-d').validator!.signing.publicKey);
    const early = propose('org-a', addOrg('early'));
    const h = approve({ action: { kind: 'remove_validator', pubKey: dKey } });
    expect(validatorsForHeight(l.view(), h + 2).map((v) => v.pubKey)).not.toContain(dKey);
    // block h+1: org-d still votes, and its validator still signs
    expect(vote('org-d', early.id).code).toBe('OK');
    expect(hexes(l.chain.validatorsFor(h + 1))).toContain(dKey);
    expect(hexes(l.chain.validatorsFor(h + 2))).not.toContain(dKey);
    // block h+2: the new set is active
    const late = propose('org-b', addOrg('late'));
    expect(l.height).toBe(h + 2);
    expect(votingOrgs(l.view())).toEqual(['org-a', 'org-b', 'org-c']);
    expect(vote('org-d', late.id).code).toBe('FORBIDDEN');
    // org-d's earlier vote no longer counts: 2 of 3 is not more than two thirds, 3 of 3 is
    expect(vote('org-b', early.id).code).toBe('OK');
    expect(proposal(early.id)?.status).toBe('open');
    expect(vote('org-c', early.id).code).toBe('OK');
    expect(proposal(early.id)?.status).toBe('approved');
    // the removed validator's precommit is refused; the remaining three commit
    expect(() => l.commitRaw([], ['org-a', 'org-b', 'org-d'].map((o) => l.org(o).validator!))).toThrowError(expect.objectContaining({ code: 'BAD_COMMIT' }));
    l.commitRaw([], ['org-a', 'org-b', 'org-c'].map((o) => l.org(o).validator!));
  });

  it('removing the last validator is FORBIDDEN, and an unknown one NOT_FOUND', () => {
    l = createLedger({ orgs: 1 });
    const only = toHex(l.org('org-a').validator!.signing.publicKey);
    const r = propose('org-a', { action: { kind: 'remove_validator', pubKey: only } });
    expect(r.code).toBe('FORBIDDEN');
    expect(proposal(r.id)).toBeUndefined();
    expect(propose('org-a', { action: { kind: 'remove_validator', pubKey: 'ab'.repeat(32) } }).code).toBe('NOT_FOUND');
    l.tick();
    l.tick();
    expect(hexes(l.chain.validatorsFor(l.height + 1))).toEqual([only]);
  });

  it('the last validator cannot be removed through a pending change either', () => {
    l = createLedger({ orgs: 2 });
    const [a, b] = ['org-a', 'org-b'].map((o) => toHex(l.org(o).validator!.signing.publicKey));
    approve({ action: { kind: 'remove_validator', pubKey: b! } }, ['org-a', 'org-b']);
    // org-b's removal is pending; removing org-a as well would leave no validator
    expect(propose('org-a', { action: { kind: 'remove_validator', pubKey: a! } }).code).toBe('FORBIDDEN');
  });

  it('an open proposal that would remove the last validator cannot be approved later', () => {
    l = createLedger({ orgs: 2 });
    const [a, b] = ['org-a', 'org-b'].map((o) => toHex(l.org(o).validator!.signing.publicKey));
    const removeA = propose('org-b', { action: { kind: 'remove_validator', pubKey: a! } });
    const removeB = propose('org-a', { action: { kind: 'remove_validator', pubKey: b! } });
    expect(vote('org-b', removeB.id).code).toBe('OK');
    expect(proposal(removeB.id)?.status).toBe('approved');
    // approving the other would enact it: refused, and the vote is not recorded
    expect(vote('org-a', removeA.id).code).toBe('FORBIDDEN');
    expect(proposal(removeA.id)).toMatchObject({ status: 'open', votes: { 'org-b': true } });
    l.tick();
    l.tick();
    expect(hexes(l.chain.validatorsFor(l.height + 1))).toEqual([a]);
  });
});
