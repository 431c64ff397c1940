/** The CapabilityStatement: what this facade serves, and nothing it does not. */
const CLINICAL_SEARCH = ['patient', 'subject', '_id', 'code', 'status', 'identifier', 'date', '_lastUpdated', '_count', '_sort', '_summary', '_include'];
const DIRECTORY_SEARCH = ['_id', 'name', '_count'];
const paramType = (name: string) =>
  name === '_count' ? 'number' : name === 'patient' || name === 'subject' ? 'reference' : name === 'name' || name === '_sort' || name === '_summary' || name === '_include' ? 'string' : name === 'date' || name === '_lastUpdated' ? 'date' : 'token';

/** `now`: the node's clock (the statement's date). */
export function capability(orgName: string, clinicalTypes: readonly string[], directoryTypes: readonly string[], viewTypes: readonly string[], now: number) {
  const clinical = clinicalTypes.map((type) => ({
    type,
    versioning: 'versioned',
    readHistory: true,
    updateCreate: false,
    conditionalCreate: true,
    conditionalUpdate: true,
    conditionalDelete: 'not-supported',
    interaction: ['read', 'vread', 'history-instance', 'history-type', 'search-type', 'create', 'update', 'delete'].map((code) => ({ code })),
    searchParam: CLINICAL_SEARCH.map((name) => ({ name, type: paramType(name) })),
    operation: [{ name: 'verify', definition: 'https://salus.health/fhir/OperationDefinition/verify' }],
  }));
  const directory = directoryTypes.map((type) => ({
    type,
    interaction: [{ code: 'read' }, { code: 'search-type' }],
    searchParam: DIRECTORY_SEARCH.map((name) => ({ name, type: paramType(name) })),
  }));
  const views = viewTypes.map((type) => ({ type, interaction: type === 'Consent' ? [{ code: 'search-type' }, { code: 'create' }] : [{ code: 'search-type' }], searchParam: [{ name: 'patient', type: 'reference' }, { name: '_count', type: 'number' }] }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date(now).toISOString().slice(0, 10),
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    software: { name: 'Salus' },
    implementation: { description: `FHIR facade of the Salus node of ${orgName}: the resources its organisation may read on the ledger` },
    rest: [
      {
        mode: 'server',
        security: { service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }], description: 'SMART Backend Services (private_key_jwt, EdDSA); see .well-known/smart-configuration' },
        resource: [...clinical, ...directory, ...views],
      },
    ],
  };
}
