// The FHIR facade's public face: what the node's composition root wires (ADR 0006). The facade
// reads records only through @salus/records' RecordsReader and the ledger through the module
// contract's narrow faces (LedgerView, BlockReader), never through the node.
export { FhirAuth, type FhirAuthOptions, type FhirCaller } from './auth.js';
export { FhirResources } from './resources.js';
export { FhirWriter } from './writes.js';
export { fhirRoutes, CLINICAL_TYPES, type FhirDeps } from './server.js';
export { FHIR_ERRORS } from './errors.js';
export { SIGNED_GRANT } from './consent-write.js';

// For the unit tests of the facade's parts (packages/node/test/fhir-auth, fhir-json, fhir-search
// and slices tests), which check them directly rather than through a running node.
export { INTERACTIONS, SCOPE_CONTEXTS, allows, formatScope, formatScopes, parseScope, parseScopes, type Scope } from './scopes.js';
export { RawJson, parseFhir, rawOf, stringifyFhir, writeAnswer } from './json.js';
export { matches, order, parseCriteria, parseDateParam } from './search.js';
export { Slices } from './slices.js';
