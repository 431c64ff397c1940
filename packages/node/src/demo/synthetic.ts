import { Prng } from '@salus/consensus';

/**
 * A seeded generator of synthetic FHIR R4 records: the same seed gives the same people and
 * records. Names are drawn from short lists of common given and family names; dates, vitals and
 * conditions from plausible ranges and standard codes (LOINC, SNOMED CT, RxNorm, CVX). No real
 * person is described.
 */
const GIVEN = { female: ['Anna', 'Maria', 'Sofia', 'Emma', 'Lea', 'Olivia', 'Nora', 'Ines', 'Clara', 'Amira'], male: ['Lucas', 'Noah', 'Elias', 'Jonas', 'Omar', 'Leon', 'Mateo', 'Felix', 'Arjun', 'Tom'] };
const FAMILY = ['Schmidt', 'Garcia', 'Rossi', 'Dubois', 'Novak', 'Jensen', 'Silva', 'Kowalski', 'Müller', 'Haddad', 'Okafor', 'Tanaka', 'Nguyen', 'Andersson', 'Popescu'];
const CITIES = ['Lyon', 'Porto', 'Graz', 'Utrecht', 'Aarhus', 'Brno', 'Turin', 'Ghent'];

const CONDITIONS = [
  { code: '38341003', display: 'Hypertensive disorder' },
  { code: '44054006', display: 'Diabetes mellitus type 2' },
  { code: '195967001', display: 'Asthma' },
  { code: '55822004', display: 'Hyperlipidemia' },
  { code: '35489007', display: 'Depressive disorder' },
] as const;
const ALLERGIES = [
  { code: '91936005', display: 'Allergy to penicillin' },
  { code: '91935009', display: 'Allergy to peanut' },
  { code: '300916003', display: 'Latex allergy' },
] as const;
const MEDICATIONS = [
  { code: '860975', display: 'Metformin hydrochloride 500 MG Oral Tablet', for: '44054006' },
  { code: '314076', display: 'Lisinopril 10 MG Oral Tablet', for: '38341003' },
  { code: '745679', display: 'Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler', for: '195967001' },
  { code: '617312', display: 'Atorvastatin 20 MG Oral Tablet', for: '55822004' },
  { code: '312938', display: 'Sertraline 50 MG Oral Tablet', for: '35489007' },
] as const;
const VACCINES = [
  { code: '140', display: 'Influenza, seasonal, injectable, preservative free' },
  { code: '208', display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose' },
  { code: '115', display: 'Tdap' },
] as const;

const VITALS = [
  { code: '8867-4', display: 'Heart rate', unit: '/min', ucum: '/min', lo: 52, hi: 104, digits: 0 },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel', ucum: 'Cel', lo: 36.1, hi: 38.4, digits: 1 },
  { code: '29463-7', display: 'Body weight', unit: 'kg', ucum: 'kg', lo: 48, hi: 118, digits: 1 },
  { code: '9279-1', display: 'Respiratory rate', unit: '/min', ucum: '/min', lo: 11, hi: 22, digits: 0 },
] as const;

export type FhirResource = Record<string, unknown> & { resourceType: string };

export interface SyntheticPatient {
  /** the Patient resource (kept as the patient's own first record) */
  readonly patient: FhirResource;
  /** clinical records about the patient, in the order they would be written */
  readonly records: readonly FhirResource[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** One synthetic patient; `subject` is the reference the records use (e.g. "Patient/pat-…"). */
export function syntheticPatient(rng: Prng, subject: string, now: number): SyntheticPatient {
  const gender = rng.chance(0.5) ? 'female' : 'male';
  const birth = now - rng.range(18, 90) * 365.25 * 86_400_000 - rng.int(365) * 86_400_000;
  const family = rng.pick(FAMILY);
  const ref = { reference: subject };
  const patient: FhirResource = {
    resourceType: 'Patient',
    active: true,
    name: [{ use: 'official', family, given: [rng.pick(GIVEN[gender])] }],
    gender,
    birthDate: day(birth),
    address: [{ city: rng.pick(CITIES), country: 'EU' }],
  };
  const records: FhirResource[] = [];
  const when = () => now - rng.int(365 * 3) * 86_400_000 - rng.int(86_400_000);
  for (let i = rng.range(2, 4); i > 0; i--) {
    const v = rng.pick(VITALS);
    records.push({
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: v.code, display: v.display }], text: v.display },
      subject: ref,
      effectiveDateTime: iso(when()),
      valueQuantity: { value: round(v.lo + rng.float() * (v.hi - v.lo), v.digits), unit: v.unit, system: 'http://unitsofmeasure.org', code: v.ucum },
    });
  }
  const conditions = CONDITIONS.filter(() => rng.chance(0.3));
  for (const c of conditions) {
    records.push({
      resourceType: 'Condition',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: c.code, display: c.display }], text: c.display },
      subject: ref,
      onsetDateTime: iso(when()),
    });
    const med = MEDICATIONS.find((m) => m.for === c.code);
    if (med) {
      records.push({
        resourceType: 'MedicationRequest',
        status: 'active',
        intent: 'order',
        medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: med.code, display: med.display }], text: med.display },
        subject: ref,
        authoredOn: iso(when()),
        dosageInstruction: [{ text: rng.pick(['one tablet daily', 'one tablet twice daily', 'two puffs as needed']) }],
      });
    }
  }
  if (rng.chance(0.25)) {
    const a = rng.pick(ALLERGIES);
    records.push({
      resourceType: 'AllergyIntolerance',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: a.code, display: a.display }], text: a.display },
      patient: ref,
      criticality: rng.pick(['low', 'high']),
    });
  }
  if (rng.chance(0.6)) {
    const vac = rng.pick(VACCINES);
    records.push({
      resourceType: 'Immunization',
      status: 'completed',
      vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: vac.code, display: vac.display }], text: vac.display },
      patient: ref,
      occurrenceDateTime: iso(when()),
    });
  }
  return { patient, records };
}
