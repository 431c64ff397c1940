// The FHIR benchmark's data set: Observations (LOINC vital signs and labs) and Conditions (SNOMED)
// spread over the patients, deterministic in the resource's index.

/** Resource i of the data set: its patient (index), type, LOINC code (Observations) and FHIR JSON. */
export interface DataResource {
  p: number;
  type: 'Condition' | 'Observation';
  code: string | null;
  resource: Record<string, unknown>;
}

// LOINC vital signs and labs: [code, display, UCUM unit, low, high]
const LOINC: [string, string, string, number, number][] = [
  ['8867-4', 'Heart rate', '/min', 55, 110],
  ['29463-7', 'Body weight', 'kg', 45, 120],
  ['8302-2', 'Body height', 'cm', 150, 200],
  ['8310-5', 'Body temperature', 'Cel', 36, 39],
  ['9279-1', 'Respiratory rate', '/min', 10, 24],
  ['2708-6', 'Oxygen saturation in Arterial blood', '%', 90, 100],
  ['8480-6', 'Systolic blood pressure', 'mm[Hg]', 100, 160],
  ['8462-4', 'Diastolic blood pressure', 'mm[Hg]', 60, 100],
  ['2339-0', 'Glucose [Mass/volume] in Blood', 'mg/dL', 70, 180],
  ['39156-5', 'Body mass index (BMI) [Ratio]', 'kg/m2', 18, 35],
];
const SNOMED: [string, string][] = [
  ['38341003', 'Hypertensive disorder'],
  ['44054006', 'Diabetes mellitus type 2'],
  ['195967001', 'Asthma'],
  ['13645005', 'Chronic obstructive lung disease'],
];

/**
 * Resource i of the data set: patient i mod P, slot ⌊i / P⌋ of that patient; slots 4, 14, 24, … a
 * Condition, the others Observations whose LOINC code cycles with the slot (offset by patient).
 */
export function resourceAt(i: number, pids: readonly string[]): DataResource {
  const p = i % pids.length;
  const slot = Math.floor(i / pids.length);
  const at = new Date(Date.UTC(2024, 0, 1) + i * 37_000).toISOString();
  const subject = { reference: `Patient/${pids[p]}` };
  if (slot % 10 === 4) {
    const [code, display] = SNOMED[(slot + p) % SNOMED.length]!;
    return {
      p,
      type: 'Condition',
      code: null,
      resource: {
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
        code: { coding: [{ system: 'http://snomed.info/sct', code, display }], text: display },
        subject,
        onsetDateTime: at,
        recordedDate: at,
        note: [{ text: `bench resource ${i}` }],
      },
    };
  }
  const [code, display, unit, lo, hi] = LOINC[(slot + p) % LOINC.length]!;
  return {
    p,
    type: 'Observation',
    code,
    resource: {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: code === '2339-0' ? 'laboratory' : 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
      subject,
      effectiveDateTime: at,
      issued: at,
      performer: [{ display: 'Ward 7 nursing' }],
      valueQuantity: { value: Math.round((lo + ((i * 7919) % 1000) / 1000 * (hi - lo)) * 10) / 10, unit, system: 'http://unitsofmeasure.org', code: unit },
      note: [{ text: `bench resource ${i}` }],
    },
  };
}

export function shuffle<T>(arr: readonly T[], seed = 1): T[] {
  const a = [...arr];
  let x = seed >>> 0 || 1;
  for (let i = a.length - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
