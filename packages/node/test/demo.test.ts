import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordsClient, Wallet, resourceLabels } from '@salus/client';
import { Prng } from '@salus/consensus';
import { startTestNode, tempDir, type TestNode } from './harness.js';
import { waitFor } from './net-harness.js';
import { seedDemo, type DemoSummary } from '../src/demo/seed.js';
import { syntheticPatient } from '../src/demo/synthetic.js';

/** The demo data of a local network: seeded synthetic FHIR records, written through the SDK, usable from the key files it leaves. */
describe('synthetic patients', () => {
  it('the same seed gives the same people and records; every record is a FHIR resource about its subject', () => {
    const a = syntheticPatient(new Prng(7), 'Patient/pat-1', 1_700_000_000_000);
    const b = syntheticPatient(new Prng(7), 'Patient/pat-1', 1_700_000_000_000);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(syntheticPatient(new Prng(8), 'Patient/pat-1', 1_700_000_000_000))).not.toBe(JSON.stringify(a));
    const many = Array.from({ length: 200 }, (_, i) => syntheticPatient(new Prng(i), `Patient/p${i}`, 1_700_000_000_000));
    const types = new Set<string>();
    for (const [i, p] of many.entries()) {
      expect(p.patient.resourceType).toBe('Patient');
      expect(p.records.length).toBeGreaterThanOrEqual(2);
      for (const r of p.records) {
        types.add(r.resourceType);
        expect(resourceLabels(r).length).toBeGreaterThan(1); // a type and at least one code to grant by
        expect(JSON.stringify(r.subject ?? r.patient)).toContain(`Patient/p${i}`);
      }
    }
    expect([...types].sort()).toEqual(['AllergyIntolerance', 'Condition', 'Immunization', 'MedicationRequest', 'Observation']);
  });
});

describe('seedDemo', () => {
  let t: TestNode;
  let dir: string;
  let summary: DemoSummary;
  beforeAll(async () => {
    t = await startTestNode();
    dir = tempDir('salus-demo-');
    summary = await seedDemo([{ id: t.orgId, kind: 'hospital', url: t.url, admin: t.admin }], { patients: 3, seed: 1, dir });
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves key files with which a patient and a practitioner read the records', async () => {
    expect(summary.patients).toHaveLength(3);
    const saved = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8')) as DemoSummary;
    expect(saved.patients.map((p) => p.patient)).toEqual(summary.patients.map((p) => p.patient));
    const p = summary.patients[0]!;
    const patient = new RecordsClient(t.client, Wallet.import(JSON.parse(readFileSync(p.keyFile, 'utf8'))));
    expect(patient.patientId).toBe(p.patient);
    const { versions } = await patient.list(p.patient);
    expect(versions.map((v) => v.record).sort()).toEqual(p.records.map((r) => r.record).sort());
    const own = await patient.read(p.records[0]!.record);
    expect(own.resource).toMatchObject({ resourceType: 'Patient', id: p.patient });
    const dr = new RecordsClient(t.client, Wallet.import(JSON.parse(readFileSync(summary.practitioners[0]!.keyFile, 'utf8'))), { orgWallet: t.admin });
    const clinical = p.records.find((r) => r.type !== 'Patient')!;
    expect((await dr.read(clinical.record)).resource.resourceType).toBe(clinical.type);
    await waitFor(async () => (await patient.disclosures({ verify: false })).some((e) => e.kind === 'read:author'), 10_000, "the practitioner's read in the patient's accounting");
  });
});
