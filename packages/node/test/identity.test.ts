import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Wallet } from '@salus/client';
import { generateIdentityKeys, toHex } from '@salus/core';
import { createLedger, ed, memberOf, type Ledger } from './ledger-harness.js';
import { getKey, getOrg, patientKey, patientPseudonym } from '@salus/identity';
import { nonceKey } from '@salus/module';

/**
 * The identity module through the application, block by block: patients register themselves or
 * are onboarded by a provider, organisation admins add, rotate and revoke members, and every
 * failure is a typed result that writes nothing but the signer's nonce.
 */
let l: Ledger;
let admin: Wallet;
let adminB: Wallet;
const A = 'org-a';
const B = 'org-b';

beforeEach(() => {
  l = createLedger({ orgs: 2 });
  admin = l.org(A).admin;
  adminB = l.org(B).admin;
});
afterEach(() => l.close());

const newWallet = () => Wallet.create(ed);
const encKey = (w: Wallet) => toHex(w.encryptionPublicKey);

function addMember(org: string, by: Wallet, role = 'practitioner'): Wallet {
  const m = newWallet();
  expect(l.exec(by, 'identity', 'add_member', memberOf(org, m, role)).code).toBe('OK');
  return m;
}

describe('patients', () => {
  it('a patient registers itself with an unregistered key, once', async () => {
    const p = newWallet();
    const r = l.exec(p, 'identity', 'register_patient', { encryptionKey: encKey(p) });
    expect(r.code).toBe('OK');
    const pseudonym = patientPseudonym(p.publicKey);
    expect(r.events).toEqual([{ type: 'identity.patient_registered', attributes: { patient: pseudonym, onboardedBy: null } }]);
    expect(getKey(l.view(), p.publicKeyHex)).toMatchObject({ role: 'patient', org: null, status: 'active', patient: pseudonym, encryptionKey: encKey(p) });
    expect(l.view().get(patientKey(pseudonym))).toMatchObject({ signingKey: p.publicKeyHex, onboardedBy: null });
    // the pseudonym says nothing about the person and is not the key
    expect(pseudonym).toMatch(/^pat-[0-9a-f]{32}$/);
    expect(pseudonym).not.toContain(p.publicKeyHex.slice(0, 16));

    const again = l.exec(p, 'identity', 'register_patient', { encryptionKey: encKey(p) });
    expect(again.code).toBe('CONFLICT');
    // a failed transaction spends its nonce and writes nothing else
    expect(l.view().get(nonceKey(p.publicKeyHex))).toBe(2);
  });

  it('a key already registered as a member cannot register as a patient', () => {
    const m = addMember(A, admin);
    expect(l.exec(m, 'identity', 'register_patient', { encryptionKey: encKey(m) }).code).toBe('CONFLICT');
    expect(getKey(l.view(), m.publicKeyHex)?.role).toBe('practitioner');
  });

  it('an unregistered key may only register itself', () => {
    const stranger = newWallet();
    expect(l.exec(stranger, 'identity', 'add_member', memberOf(A, newWallet())).code).toBe('UNREGISTERED_SIGNER');
    expect(l.exec(stranger, 'governance', 'propose', { action: { kind: 'remove_validator', pubKey: '00'.repeat(32) } }).code).toBe('UNREGISTERED_SIGNER');
    // an unauthenticated failure spends no nonce
    expect(l.view().get(nonceKey(stranger.publicKeyHex))).toBeUndefined();
  });

  it('a practitioner onboards a patient, who then signs with its own key', () => {
    const doc = addMember(A, admin);
    const patient = generateIdentityKeys();
    const payload = { org: A, signingKey: toHex(patient.signing.publicKey), encryptionKey: toHex(patient.encryption.publicKey) };
    const r = l.exec(doc, 'identity', 'onboard_patient', payload);
    expect(r.code).toBe('OK');
    const pseudonym = patientPseudonym(patient.signing.publicKey);
    expect(r.events[0]).toEqual({ type: 'identity.patient_registered', attributes: { patient: pseudonym, onboardedBy: A } });
    expect(l.view().get(patientKey(pseudonym))).toMatchObject({ onboardedBy: A });
    // the onboarded key is an active identity: its transactions are authenticated (and then refused for lack of a role)
    const p = Wallet.fromSeed(patient.signing.secretKey, patient.encryption.secretKey, ed);
    expect(l.exec(p, 'identity', 'add_member', memberOf(A, newWallet())).code).toBe('NOT_A_MEMBER');
    // onboarding the same key twice
    expect(l.exec(doc, 'identity', 'onboard_patient', payload).code).toBe('CONFLICT');
  });

  it('only admins, practitioners and services of the organisation onboard', () => {
    const device = addMember(A, admin, 'device');
    const service = addMember(A, admin, 'service');
    const docB = addMember(B, adminB);
    const onboard = (w: Wallet, org: string) => {
      const k = generateIdentityKeys();
      return l.exec(w, 'identity', 'onboard_patient', { org, signingKey: toHex(k.signing.publicKey), encryptionKey: toHex(k.encryption.publicKey) }).code;
    };
    expect(onboard(device, A)).toBe('FORBIDDEN');
    expect(onboard(service, A)).toBe('OK');
    expect(onboard(admin, A)).toBe('OK');
    expect(onboard(docB, A)).toBe('NOT_A_MEMBER');
    expect(onboard(docB, B)).toBe('OK');
  });
});

describe('members', () => {
  it('the admin adds a member with a role', () => {
    const m = newWallet();
    const r = l.exec(admin, 'identity', 'add_member', memberOf(A, m, 'emergency', 'ER desk'));
    expect(r).toEqual({ code: 'OK', log: '', events: [{ type: 'identity.member_added', attributes: { org: A, key: m.publicKeyHex, role: 'emergency' } }] });
    expect(getKey(l.view(), m.publicKeyHex)).toEqual({ role: 'emergency', org: A, encryptionKey: encKey(m), name: 'ER desk', status: 'active', since: l.height, patient: null });
  });

  it('a member of org A acting for org B gets NOT_A_MEMBER; beyond its role FORBIDDEN', () => {
    const doc = addMember(A, admin);
    expect(l.exec(admin, 'identity', 'add_member', memberOf(B, newWallet())).code).toBe('NOT_A_MEMBER');
    expect(l.exec(doc, 'identity', 'add_member', memberOf(B, newWallet())).code).toBe('NOT_A_MEMBER');
    expect(l.exec(doc, 'identity', 'add_member', memberOf(A, newWallet())).code).toBe('FORBIDDEN');
    expect(l.exec(doc, 'identity', 'revoke_member', { org: A, key: addMember(A, admin).publicKeyHex }).code).toBe('FORBIDDEN');
    expect(l.exec(admin, 'identity', 'revoke_member', { org: B, key: adminB.publicKeyHex }).code).toBe('NOT_A_MEMBER');
  });

  it('a key registered anywhere cannot be added again: CONFLICT', () => {
    const doc = addMember(A, admin);
    const patient = newWallet();
    expect(l.exec(patient, 'identity', 'register_patient', { encryptionKey: encKey(patient) }).code).toBe('OK');
    for (const taken of [doc, adminB, admin, patient]) {
      const r = l.exec(admin, 'identity', 'add_member', memberOf(A, taken));
      expect(r.code).toBe('CONFLICT');
      expect(r.events).toEqual([]);
    }
    // and two additions of one key in one block: the second fails, the first stands
    const fresh = newWallet();
    const rs = l.block({ signer: admin, module: 'identity', type: 'add_member', payload: memberOf(A, fresh) }, { signer: adminB, module: 'identity', type: 'add_member', payload: memberOf(B, fresh) });
    expect(rs.map((r) => r.code)).toEqual(['OK', 'CONFLICT']);
    expect(getKey(l.view(), fresh.publicKeyHex)?.org).toBe(A);
  });
});

describe('rotate_key', () => {
  const rotate = (by: Wallet, org: string, old: Wallet, next: Wallet) =>
    l.exec(by, 'identity', 'rotate_key', { org, key: old.publicKeyHex, newSigningKey: next.publicKeyHex, newEncryptionKey: encKey(next) });

  it('the admin rotates a member: the old key is revoked, the new one acts with the same role', () => {
    const doc = addMember(A, admin);
    const next = newWallet();
    const r = rotate(admin, A, doc, next);
    expect(r.code).toBe('OK');
    expect(r.events).toEqual([{ type: 'identity.key_rotated', attributes: { org: A, old: doc.publicKeyHex, new: next.publicKeyHex } }]);
    expect(getKey(l.view(), doc.publicKeyHex)?.status).toBe('revoked');
    expect(getKey(l.view(), next.publicKeyHex)).toMatchObject({ role: 'practitioner', org: A, status: 'active', encryptionKey: encKey(next), since: l.height });
    const onboard = (w: Wallet) => {
      const k = generateIdentityKeys();
      return l.exec(w, 'identity', 'onboard_patient', { org: A, signingKey: toHex(k.signing.publicKey), encryptionKey: toHex(k.encryption.publicKey) }).code;
    };
    expect(onboard(next)).toBe('OK');
    expect(onboard(doc)).toBe('UNREGISTERED_SIGNER');
  });

  it('a member rotates its own key, but not another member’s', () => {
    const doc = addMember(A, admin);
    const other = addMember(A, admin);
    expect(rotate(doc, A, other, newWallet()).code).toBe('FORBIDDEN');
    const next = newWallet();
    expect(rotate(doc, A, doc, next).code).toBe('OK');
    expect(getKey(l.view(), doc.publicKeyHex)?.status).toBe('revoked');
    expect(getKey(l.view(), next.publicKeyHex)?.status).toBe('active');
  });

  it('the admin rotates its own key: the organisation names the new admin and the old key no longer signs', async () => {
    const next = newWallet();
    expect(rotate(admin, A, admin, next).code).toBe('OK');
    expect(getOrg(l.view(), A)).toMatchObject({ admin: next.publicKeyHex, encryptionKey: encKey(next) });
    expect(getKey(l.view(), next.publicKeyHex)?.role).toBe('admin');
    expect(l.exec(admin, 'identity', 'add_member', memberOf(A, newWallet())).code).toBe('UNREGISTERED_SIGNER');
    expect(l.exec(next, 'identity', 'add_member', memberOf(A, newWallet())).code).toBe('OK');
    // the query route shows the new admin
    const api = await l.routes();
    try {
      const res = await api.inject({ method: 'GET', url: `/v1/identity/orgs/${A}` });
      expect(res.json()).toMatchObject({ id: A, admin: next.publicKeyHex });
    } finally {
      await api.close();
    }
  });

  it('refuses a taken new key, another organisation’s key, and a revoked key', () => {
    const doc = addMember(A, admin);
    const docB = addMember(B, adminB);
    expect(rotate(admin, A, doc, adminB).code).toBe('CONFLICT');
    expect(rotate(admin, A, doc, doc).code).toBe('CONFLICT');
    expect(rotate(admin, A, docB, newWallet()).code).toBe('NOT_FOUND');
    expect(rotate(admin, B, docB, newWallet()).code).toBe('NOT_A_MEMBER');
    expect(rotate(admin, A, doc, newWallet()).code).toBe('OK');
    expect(rotate(admin, A, doc, newWallet()).code).toBe('NOT_FOUND');
    expect(getKey(l.view(), docB.publicKeyHex)?.status).toBe('active');
  });
});

describe('revoke_member', () => {
  it('a revoked key’s later transactions fail UNREGISTERED_SIGNER, in the same block and after', () => {
    const doc = addMember(A, admin);
    const onboard = () => {
      const k = generateIdentityKeys();
      return { signer: doc, module: 'identity', type: 'onboard_patient', payload: { org: A, signingKey: toHex(k.signing.publicKey), encryptionKey: toHex(k.encryption.publicKey) } };
    };
    const rs = l.block(onboard(), { signer: admin, module: 'identity', type: 'revoke_member', payload: { org: A, key: doc.publicKeyHex } }, onboard());
    expect(rs.map((r) => r.code)).toEqual(['OK', 'OK', 'UNREGISTERED_SIGNER']);
    expect(rs[1]!.events).toEqual([{ type: 'identity.member_revoked', attributes: { org: A, key: doc.publicKeyHex } }]);
    const later = l.block(onboard());
    expect(later[0]!.code).toBe('UNREGISTERED_SIGNER');
    // a revoked key stays on record: it cannot come back as a new identity
    expect(l.exec(admin, 'identity', 'add_member', memberOf(A, doc)).code).toBe('CONFLICT');
    expect(l.exec(doc, 'identity', 'register_patient', { encryptionKey: encKey(doc) }).code).toBe('CONFLICT');
    expect(getKey(l.view(), doc.publicKeyHex)).toMatchObject({ status: 'revoked', org: A });
  });

  it('the admin key is rotated, not revoked; an unknown or revoked key is NOT_FOUND', () => {
    expect(l.exec(admin, 'identity', 'revoke_member', { org: A, key: admin.publicKeyHex }).code).toBe('FORBIDDEN');
    expect(l.exec(admin, 'identity', 'revoke_member', { org: A, key: newWallet().publicKeyHex }).code).toBe('NOT_FOUND');
    const doc = addMember(A, admin);
    expect(l.exec(admin, 'identity', 'revoke_member', { org: A, key: doc.publicKeyHex }).code).toBe('OK');
    expect(l.exec(admin, 'identity', 'revoke_member', { org: A, key: doc.publicKeyHex }).code).toBe('NOT_FOUND');
  });
});

describe('payloads', () => {
  it('refuses malformed payloads statelessly with INVALID_FIELD', () => {
    const m = newWallet();
    const bad = [
      { ...memberOf(A, m), role: 'admin' },
      { ...memberOf(A, m), role: 'patient' },
      { ...memberOf(A, m), signingKey: m.publicKeyHex.toUpperCase() },
      { ...memberOf(A, m), org: 'Org A' },
      { ...memberOf(A, m), extra: true },
      { org: A, signingKey: m.publicKeyHex },
    ];
    for (const p of bad) expect(() => l.app.checkStateless(m.buildTx({ chainId: l.genesis.chainId, nonce: 0, module: 'identity', type: 'add_member', payload: p as never }).tx)).toThrowError(expect.objectContaining({ code: 'INVALID_FIELD' }));
    expect(l.block(...bad.map((payload) => ({ signer: admin, module: 'identity', type: 'add_member', payload }))).map((r) => r.code)).toEqual(bad.map(() => 'INVALID_FIELD'));
    // nothing written: a payload check failure happens before the nonce is spent
    expect(l.app.nextNonce(l.view(), admin.publicKeyHex)).toBe(0);
  });
});

describe('query routes', () => {
  it('serve organisations, keys (any hex case) and patients, and NOT_FOUND in the one error shape', async () => {
    const doc = addMember(A, admin);
    const p = newWallet();
    l.exec(p, 'identity', 'register_patient', { encryptionKey: encKey(p) });
    const api = await l.routes();
    try {
      const get = async (url: string) => {
        const res = await api.inject({ method: 'GET', url });
        return { status: res.statusCode, body: res.json() as Record<string, unknown> };
      };
      expect(await get(`/v1/identity/orgs/${B}`)).toEqual({ status: 200, body: { id: B, name: `Organisation ${B}`, kind: 'hospital', admin: adminB.publicKeyHex, encryptionKey: encKey(adminB), since: 0 } });
      expect(await get(`/v1/identity/keys/${doc.publicKeyHex.toUpperCase()}`)).toMatchObject({ status: 200, body: { role: 'practitioner', org: A } });
      const pseudonym = patientPseudonym(p.publicKey);
      expect(await get(`/v1/identity/patients/${pseudonym}`)).toMatchObject({ status: 200, body: { signingKey: p.publicKeyHex, onboardedBy: null } });
      for (const url of ['/v1/identity/orgs/no-such-org', `/v1/identity/keys/${'ab'.repeat(32)}`, '/v1/identity/patients/pat-none']) {
        const r = await get(url);
        expect(r.status).toBe(404);
        expect(r.body).toMatchObject({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
      }
    } finally {
      await api.close();
    }
  });
});
