// The records module's one public face: what the node, the FHIR facade and other packages may use.
// Everything else in this package is the module's own.
export { recordsModule } from './module.js';
export { RecordsService, defaultRecordsOptions, type RecordsOptions, type RecordsServiceDeps, type RecordsMetrics } from './service.js';
export { RECORDS_ERRORS } from './errors.js';
export type { RecordsClock, RecordsApp, LedgerParts } from './disclosures.js';
export { recordsReader, parseGrant, type RecordsReader, type RecordsIndexReader, type DisclosureQueue } from './reader.js';
export { PATIENT_ID, RECORD_ID, type DisclosureEntry, type Grant } from './payloads.js';
export { versionKey, type GrantState, type Party, type ReadBasis, type RecordState, type VersionState } from './state.js';
export { blobHolders } from './placement.js';

// For the unit tests of the consent and payload rules (packages/node/test/records-state.test.ts),
// which check them directly rather than through a running node.
export { RECORDS_TX_TYPES, parseRecordsPayload } from './payloads.js';
export { allowedRecipients, party, patientRecordsKey, readBasis } from './state.js';
