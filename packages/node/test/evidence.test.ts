import { afterEach, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { type IdentityKeys, generateIdentityKeys, randomBytes, toHex } from '@salus/core';
import { type Proposal, type Vote, encodeEvidence, partSetHeader, proposalSignBytes, voteSignBytes } from '@salus/consensus';
import { createLedger, ed, type Ledger } from './ledger-harness.js';
import { faultyKey } from '@salus/evidence';

/** The evidence module through the real application: only true double signing by a validator is recorded. */
let l: Ledger;
afterEach(() => l?.close());

function vote(keys: IdentityKeys, height: number, round: number, blockHash: Uint8Array | null, chainId = l.genesis.chainId): Vote {
  const body = { type: 'prevote' as const, height, round, blockHash };
  return { ...body, validator: keys.signing.publicKey, signature: ed.sign(keys.signing.secretKey, voteSignBytes(chainId, body)) };
}

const submit = (a: Vote, b: Vote, by: Wallet = Wallet.create(ed), chainId = l.genesis.chainId) =>
  l.exec(by, 'evidence', 'submit', { evidence: encodeEvidence(chainId, { voteA: a, voteB: b }) });

function proposal(keys: IdentityKeys, height: number, round: number, block: Uint8Array, polRound = -1, chainId = l.genesis.chainId): Proposal {
  const body = { height, round, polRound, blockHash: randomBytes(32), parts: partSetHeader(block, 64 * 1024) };
  return { ...body, proposer: keys.signing.publicKey, signature: ed.sign(keys.signing.secretKey, proposalSignBytes(chainId, body)) };
}

const submitProposals = (a: Proposal, b: Proposal, by: Wallet = Wallet.create(ed)) =>
  l.exec(by, 'evidence', 'submit', { evidence: encodeEvidence(l.genesis.chainId, { proposalA: a, proposalB: b }) });

describe('evidence of double signing', () => {
  it('records the validator as faulty, once per height, round and type, whoever submits it', () => {
    l = createLedger({ orgs: 4 });
    l.tick();
    const val = l.org('org-b').validator!;
    const h = l.height;
    const r = submit(vote(val, h, 0, randomBytes(32)), vote(val, h, 0, randomBytes(32)));
    expect(r.code).toBe('OK');
    expect(r.events[0]).toMatchObject({ type: 'evidence.double_sign', attributes: { validator: toHex(val.signing.publicKey), height: h } });
    expect(l.view().get(faultyKey(toHex(val.signing.publicKey)))).toMatchObject({ offences: 1, firstHeight: h });
    expect(submit(vote(val, h, 0, randomBytes(32)), vote(val, h, 0, null)).code).toBe('CONFLICT');
    expect(submit(vote(val, h, 1, randomBytes(32)), vote(val, h, 1, null)).code).toBe('OK');
    expect(l.view().get(faultyKey(toHex(val.signing.publicKey)))).toMatchObject({ offences: 2 });
  });

  it('refuses votes that do not conflict, are badly signed, come from a non-validator, another chain, or the future', () => {
    l = createLedger({ orgs: 4 });
    l.tick();
    const val = l.org('org-a').validator!;
    const stranger = generateIdentityKeys();
    const h = l.height;
    const same = randomBytes(32);
    expect(submit(vote(val, h, 0, same), vote(val, h, 0, same)).code).toBe('INVALID_FIELD');
    expect(submit(vote(val, h, 0, randomBytes(32)), vote(val, h, 1, randomBytes(32))).code).toBe('INVALID_FIELD');
    expect(submit(vote(val, h, 0, randomBytes(32)), { ...vote(val, h, 0, randomBytes(32)), signature: randomBytes(64) }).code).toBe('BAD_SIGNATURE');
    expect(submit(vote(stranger, h, 0, randomBytes(32)), vote(stranger, h, 0, randomBytes(32))).code).toBe('INVALID_FIELD');
    expect(submit(vote(val, h + 50, 0, randomBytes(32)), vote(val, h + 50, 0, randomBytes(32))).code).toBe('INVALID_FIELD');
    const other = submit(vote(val, h, 0, randomBytes(32), 'other-chain'), vote(val, h, 0, randomBytes(32), 'other-chain'), undefined, 'other-chain');
    expect(other.code).toBe('WRONG_CHAIN');
    expect(l.exec(Wallet.create(ed), 'evidence', 'submit', { evidence: new Uint8Array([1, 2, 3]) }).code).toBe('MALFORMED_ENCODING');
    expect(l.view().get(faultyKey(toHex(val.signing.publicKey)))).toBeUndefined();
  });

  it('records a proposer that signed two proposals for one height and round, checked again by the ledger', () => {
    l = createLedger({ orgs: 4 });
    l.tick();
    const val = l.org('org-c').validator!;
    const h = l.height;
    const a = proposal(val, h, 1, randomBytes(100));
    const r = submitProposals(a, proposal(val, h, 1, randomBytes(100)));
    expect(r.code).toBe('OK');
    expect(r.events[0]).toMatchObject({ type: 'evidence.double_sign', attributes: { validator: toHex(val.signing.publicKey), height: h, round: 1, type: 'proposal' } });
    expect(l.view().get(faultyKey(toHex(val.signing.publicKey)))).toMatchObject({ offences: 1 });
    expect(submitProposals(a, proposal(val, h, 1, randomBytes(100))).code).toBe('CONFLICT'); // once per height and round
  });

  it('refuses proposal evidence that is forged, a copy, of different heights, of a stranger, or from the future', () => {
    l = createLedger({ orgs: 4 });
    l.tick();
    l.tick();
    const val = l.org('org-a').validator!;
    const stranger = generateIdentityKeys();
    const h = l.height;
    const a = proposal(val, h, 0, randomBytes(100));
    expect(submitProposals(a, { ...proposal(val, h, 0, randomBytes(100)), signature: randomBytes(64) }).code).toBe('BAD_SIGNATURE');
    expect(submitProposals(a, a).code).toBe('INVALID_FIELD');
    expect(submitProposals(a, proposal(val, h - 1, 0, randomBytes(100))).code).toBe('INVALID_FIELD');
    expect(submitProposals(proposal(stranger, h, 0, randomBytes(100)), proposal(stranger, h, 0, randomBytes(100))).code).toBe('INVALID_FIELD');
    expect(submitProposals(proposal(val, h + 50, 0, randomBytes(100)), proposal(val, h + 50, 0, randomBytes(100))).code).toBe('INVALID_FIELD');
    expect(l.view().get(faultyKey(toHex(val.signing.publicKey)))).toBeUndefined();
  });
});
