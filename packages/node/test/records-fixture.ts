import { RecordsClient, SalusClient, Wallet } from '@salus/client';
import { toHex } from '@salus/core';
import { memberPayload, startTestNode, tempDir, type TestNode } from './harness.js';
import { initHome } from '../src/config/home.js';
import type { NodeOptionsInput } from '../src/config/options.js';
import type { Clock } from '@salus/consensus';

/**
 * A single node with the parties of the records tests: the founding hospital (its admin is the
 * node's custodian) with a practitioner, a second organisation (a clinic, added by governance) with
 * a practitioner and an emergency-role key, a patient with a keyring, and an unregistered app key.
 */
export interface RecordsWorld {
  readonly t: TestNode;
  readonly patient: RecordsClient;
  readonly drA: RecordsClient;
  readonly drB: RecordsClient;
  readonly emergencyB: RecordsClient;
  readonly app: RecordsClient;
  readonly wallets: { patient: Wallet; drA: Wallet; drB: Wallet; emergencyB: Wallet; clinicAdmin: Wallet; app: Wallet };
  readonly pid: string;
}

export const observation = (marker = 'normal') => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  valueQuantity: { value: 72, unit: 'beats/minute' },
  note: [{ text: marker }],
});

export const allergy = () => ({
  resourceType: 'AllergyIntolerance',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005', display: 'Allergy to penicillin' }] },
});

/** `clock`: the node's (a test's fake one moves consent expiry and request skew without sleeping). */
export async function recordsWorld(options: NodeOptionsInput = {}, clock?: Clock): Promise<RecordsWorld> {
  const home = tempDir();
  initHome({ home, chainId: 'salus-test', org: { id: 'founding-hospital', name: 'Founding Hospital', kind: 'hospital' }, port: 0 });
  // the founding hospital's admin key is the node's custodian for emergency release
  const t = await startTestNode({ home, clock, options: { ...options, records: { custodianKeyFile: `${home}/keys/founding-hospital-admin.json`, ...options.records } } }, true);
  const c = t.client;
  const w = { patient: Wallet.create(), drA: Wallet.create(), drB: Wallet.create(), emergencyB: Wallet.create(), clinicAdmin: Wallet.create(), app: Wallet.create() };
  await c.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, w.drA, 'practitioner', 'Dr A'));
  const org = { id: 'clinic-b', name: 'Clinic B', kind: 'clinic', adminKey: w.clinicAdmin.publicKeyHex, encryptionKey: toHex(w.clinicAdmin.encryptionPublicKey) };
  await c.send(t.admin, 'governance', 'propose', { action: { kind: 'add_org', org } });
  await c.send(w.clinicAdmin, 'identity', 'add_member', memberPayload('clinic-b', w.drB, 'practitioner', 'Dr B'));
  await c.send(w.clinicAdmin, 'identity', 'add_member', memberPayload('clinic-b', w.emergencyB, 'emergency', 'ED B'));
  const patient = new RecordsClient(c, w.patient);
  const pid = await patient.registerPatient();
  return {
    t,
    patient,
    drA: new RecordsClient(c, w.drA, { orgWallet: t.admin }),
    drB: new RecordsClient(c, w.drB, { orgWallet: w.clinicAdmin }),
    emergencyB: new RecordsClient(c, w.emergencyB, { purpose: 'emergency' }),
    app: new RecordsClient(new SalusClient({ url: t.url }), w.app),
    wallets: w,
    pid,
  };
}

export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new TypeError('expected a rejection');
}
