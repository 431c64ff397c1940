// The flags of the FHIR benchmark: the full run's defaults and what --quick replaces.
import { join } from 'node:path';
import { OUT_DIR } from '../lib/paths.js';

export const fhirDefaults = {
  patients: 50,
  resources: 3000,
  // the first measurement, at a smaller size (0: none)
  smallN: 300,
  fhirCreates: 60,
  writers: 4,
  practitioners: 4,
  batch: 50,
  connections: 8,
  readS: 10,
  searchS: 10,
  metadataS: 5,
  smallS: 4,
  singleS: 2,
  cpuProfNode: -1,
  cpuProfDir: join(OUT_DIR, 'prof-fhir'),
  patientConcurrency: 25,
  // the node's per-client FHIR rate limit (fhir.requestsPerSecond, default 200): raised so that it does not cap one benchmark client
  clientRps: 1_000_000,
  logLevel: 'warn',
  targetReadP50Ms: 5,
  targetSearchP50Ms: 20,
  targetResources: 100_000,
  out: OUT_DIR,
  keep: false,
};
export const fhirQuickDefaults = { resources: 300, smallN: 0, fhirCreates: 30, readS: 4, searchS: 4, metadataS: 3 };
export type FhirFlags = { quick: boolean } & typeof fhirDefaults;
