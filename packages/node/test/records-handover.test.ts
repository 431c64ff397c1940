import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordsClient, Wallet } from '@salus/client';
import { recordsWorld, rejection, type RecordsWorld } from './records-fixture.js';

/**
 * A provider onboards a patient who has no wallet (a custodial wallet held by the provider), writes
 * their records, and later hands control to the patient's own keys: the pseudonym stays, the old
 * key stops working, and the author adds envelopes for the new key.
 */
let w: RecordsWorld;
beforeAll(async () => {
  w = await recordsWorld();
});
afterAll(async () => {
  await w.t.close();
});

const condition = { resourceType: 'Condition', code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }] } };

describe('onboarding and hand-over', () => {
  it('a provider onboards a patient without a wallet, writes, and hands control to the patient', async () => {
    const custodial = await RecordsClient.onboard(w.t.client, w.wallets.drA, 'founding-hospital');
    const pid = custodial.patientId;
    const patientRec = await w.t.client.request<{ onboardedBy: string }>('GET', `/v1/identity/patients/${pid}`);
    expect(patientRec.onboardedBy).toBe('founding-hospital');
    const { record } = await w.drA.write(pid, condition);
    expect((await custodial.read(record)).resource).toMatchObject({ resourceType: 'Condition' });

    const own = Wallet.create();
    const patient = await custodial.handOver(own);
    expect(patient.patientId).toBe(pid); // the pseudonym stays
    // the new key has no envelope for the existing version yet
    expect((await rejection(patient.read(record))).code).toBe('NOT_FOUND');
    expect(await w.drA.syncEnvelopes(pid)).toBe(1); // the authoring organisation wraps for the new key
    expect((await patient.read(record)).resource).toMatchObject({ resourceType: 'Condition' });
    // the custodial key is revoked: it reads and signs nothing more
    expect((await rejection(custodial.read(record))).code).toBe('CONSENT_REQUIRED');
    expect((await rejection(custodial.revoke('custody-founding-hospital'))).code).toBe('UNREGISTERED_SIGNER');
    // the patient now controls consent: it revokes the provider's custody grant
    await patient.revoke('custody-founding-hospital');
    expect((await rejection(w.drA.write(pid, condition))).code).toBe('CONSENT_REQUIRED'); // no new record without a grant
    expect((await w.drA.read(record)).basis).toBe('author'); // the author keeps what it wrote
    expect((await patient.disclosures()).some((e) => e.kind === 'revoke')).toBe(true);
  });
});
