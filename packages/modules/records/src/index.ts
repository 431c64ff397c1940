// The records module's one public face: what the node, the FHIR facade and (once records is its own
// package, packages/modules/records) other packages may use. Everything else in this folder is the
// module's own; lint refuses imports of it from outside (eslint.config.js).
export { recordsModule } from './module.js';
export { RecordsService, defaultRecordsOptions, type RecordsOptions } from './service.js';
export { RECORDS_ERRORS } from './errors.js';
export type { RecordsClock } from './disclosures.js';
export { recordsReader, parseGrant, type RecordsReader, type RecordsIndexReader, type DisclosureQueue } from './reader.js';
export { PATIENT_ID, RECORD_ID, type DisclosureEntry, type Grant } from './payloads.js';
export { versionKey, type GrantState, type Party, type ReadBasis, type RecordState, type VersionState } from './state.js';
