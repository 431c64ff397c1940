import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/**
 * The official HL7 FHIR R4 examples (npm `hl7.fhir.r4.examples@4.0.1`, flat `<Type>-<id>.json`
 * files) of the resource types the FHIR facade writes, and what the conformance test needs to
 * drive them through it: which examples are about one patient of the ledger, the rewrite of their
 * patient references to a test patient, and a structural diff of what was sent and what was read.
 */
export type Resource = Record<string, unknown> & { resourceType: string; id?: string };

export const EXAMPLE_TYPES = ['Patient', 'Observation', 'Condition', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'Procedure', 'Encounter', 'DiagnosticReport', 'DocumentReference'] as const;
export type ExampleType = (typeof EXAMPLE_TYPES)[number];

export interface Example {
  readonly file: string;
  readonly type: ExampleType;
  readonly resource: Resource;
}

/** The package's directory (npm unpacks the tarball's `package/` folder as the package root). */
export function examplesDir(): string {
  const req = createRequire(import.meta.url);
  return dirname(req.resolve('hl7.fhir.r4.examples/package.json'));
}

/** Every example of `type` at the top level of the package, Bundles excluded, sorted by file name. */
export function loadExamples(type: ExampleType, dir = examplesDir()): Example[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${type}-`) && f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, type, resource: JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as Resource }))
    .filter((e) => e.resource.resourceType === type);
}

/**
 * Why an example cannot be a record of one ledger patient, or undefined if it can: the facade
 * stores a clinical resource under the patient named by `subject` or `patient` as a literal
 * `Patient/<id>` reference (the first of the two that holds a reference, as the server reads it).
 */
export function outOfScope(r: Resource): string | undefined {
  if (r.resourceType === 'Patient') return undefined;
  for (const f of ['subject', 'patient']) {
    const ref = (r[f] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref !== 'string') continue;
    if (/^Patient\/[^/]+$/.test(ref)) return undefined;
    if (ref.startsWith('#')) return `${f} is a contained resource (${ref}), not a patient of the ledger`;
    return `${f} is ${ref.split('/')[0]}, not a Patient`;
  }
  const display = ['subject', 'patient'].map((f) => (r[f] as { display?: unknown } | undefined)?.display).find((d) => typeof d === 'string');
  return display === undefined ? 'no subject or patient' : `subject by display only ("${String(display)}")`;
}

/** Replaces every `reference` of the form `Patient/<anything>` (optionally `/_history/<v>`) with `Patient/<patient>`. */
export function rewritePatientRefs<T>(x: T, patient: string): T {
  if (Array.isArray(x)) return x.map((v) => rewritePatientRefs(v, patient)) as T;
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = k === 'reference' && typeof v === 'string' && /^Patient\/[^/?#]+(\/_history\/[^/]+)?$/.test(v) ? `Patient/${patient}` : rewritePatientRefs(v, patient);
    return out as T;
  }
  return x;
}

/** The resource without the fields the server assigns (`id`, `meta`). */
export function content(r: Resource): Record<string, unknown> {
  const { id: _id, meta: _meta, ...rest } = r;
  return rest;
}

/** JSON paths where `a` and `b` differ (object key order ignored, array order kept), at most `max`. */
export function diff(a: unknown, b: unknown, path = '', out: string[] = [], max = 10): string[] {
  if (out.length >= max) return out;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path || '/'}: ${a.length} items sent, ${b.length} read`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) diff(a[i], b[i], `${path}[${i}]`, out, max);
    return out;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      if (!(k in bo)) out.push(`${path}.${k}: sent, not read back`);
      else if (!(k in ao)) out.push(`${path}.${k}: read back, not sent (${JSON.stringify(bo[k]).slice(0, 80)})`);
      else diff(ao[k], bo[k], `${path}.${k}`, out, max);
    }
    return out;
  }
  if (!Object.is(a, b)) out.push(`${path || '/'}: sent ${JSON.stringify(a)?.slice(0, 80)}, read ${JSON.stringify(b)?.slice(0, 80)}`);
  return out;
}

/** The diagnostics of an OperationOutcome, one line. */
export function diagnostics(o: unknown): string {
  const issues = (o as { issue?: { code?: string; diagnostics?: string; details?: { text?: string } }[] } | undefined)?.issue;
  if (!Array.isArray(issues)) return JSON.stringify(o)?.slice(0, 300) ?? String(o);
  return issues.map((i) => [i.code, i.details?.text, i.diagnostics].filter(Boolean).join(': ')).join(' | ');
}
