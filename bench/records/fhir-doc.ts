// The record the records benchmark writes: a FHIR R4 Observation padded to a size.

export interface FhirDoc extends Record<string, unknown> {
  resourceType: 'Observation';
  text: { status: string; div: string };
}

/** A FHIR R4 Observation (blood pressure panel) padded with narrative to about `bytes` bytes of JSON. */
export function fhirDoc(bytes: number, marker: string): FhirDoc {
  const doc: FhirDoc = {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel with all children optional' }], text: 'Blood pressure systolic & diastolic' },
    effectiveDateTime: new Date().toISOString(),
    performer: [{ display: 'Ward 7 nursing' }],
    interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'N', display: 'Normal' }] }],
    bodySite: { coding: [{ system: 'http://snomed.info/sct', code: '368209003', display: 'Right arm' }] },
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6', display: 'Systolic blood pressure' }] }, valueQuantity: { value: 118, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4', display: 'Diastolic blood pressure' }] }, valueQuantity: { value: 76, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
    ],
    note: [{ text: marker }],
    text: { status: 'generated', div: '' },
  };
  const open = '<div xmlns="http://www.w3.org/1999/xhtml"><p>';
  const close = '</p></div>';
  const need = Math.max(0, bytes - Buffer.byteLength(JSON.stringify(doc)) - open.length - close.length);
  const sentence = 'Patient seated five minutes, cuff size adult regular, reading repeated after two minutes with consistent values; no postural symptoms reported. ';
  doc.text.div = open + sentence.repeat(Math.ceil(need / sentence.length) + 1).slice(0, need) + close;
  return doc;
}
