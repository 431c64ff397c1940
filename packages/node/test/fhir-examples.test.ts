import { fhirTokenFor } from '../src/cli/fhir.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'fhir-kit-client';
import { Wallet } from '@salus/client';
import { memberPayload } from './harness.js';
import { recordsWorld, type RecordsWorld } from './records-fixture.js';
import { EXAMPLE_TYPES, content, diagnostics, diff, loadExamples, outOfScope, rewritePatientRefs, type ExampleType, type Resource } from './fhir-examples-lib.js';

/**
 * Conformance with the official HL7 FHIR R4 examples (npm `hl7.fhir.r4.examples@4.0.1`): every
 * example of the types the facade writes is created with POST through fhir-kit-client and read
 * back equal (but for the server's `id` and `meta`). The examples' patients do not exist on our
 * ledger, so every `Patient/<anything>` reference is rewritten to a patient who granted the
 * hospital read and write; Patient examples are created as new, onboarded patients. Examples that
 * are not about one patient of the ledger (a Group, a contained patient, a subject by display only
 * or none) cannot be records here: they must be refused with a 422 naming subject/patient.
 */
let w: RecordsWorld;
const service = Wallet.create();

const tokenFor = async (wallet: Wallet, scope: string) => (await fhirTokenFor(w.t.url, wallet, scope)).access_token;

interface HttpError {
  response?: { status: number; data?: unknown };
  message?: string;
}

/** The examples of the package that are not about one ledger patient (the package is pinned: 4.0.1). */
const EXPECTED_OUT_OF_SCOPE = 11;

const counts = new Map<ExampleType, { accepted: number; outOfScope: number; failed: number }>();
const failures: { file: string; status: number | string; diagnostics: string }[] = [];
const outside: { file: string; why: string; status: number; diagnostics: string }[] = [];
const started = Date.now();

beforeAll(async () => {
  w = await recordsWorld();
  await w.t.client.send(w.t.admin, 'identity', 'add_member', memberPayload(w.t.orgId, service, 'service', 'EHR integration'));
  await w.patient.grant({ id: 'care', grantee: { org: 'founding-hospital' }, scope: 'all', actions: ['read', 'write'] });
});
afterAll(async () => {
  await w?.t.close();
});

describe('the HL7 FHIR R4 examples through the facade', () => {
  it('the helpers: patient references rewritten, scope decided as the server reads it, differences found', () => {
    const r = { resourceType: 'Observation', subject: { reference: 'Patient/example' }, performer: [{ reference: 'Practitioner/f005' }, { reference: 'Patient/x/_history/2' }], focus: [{ reference: '#p' }] };
    expect(rewritePatientRefs(r, 'pat-1')).toEqual({ ...r, subject: { reference: 'Patient/pat-1' }, performer: [{ reference: 'Practitioner/f005' }, { reference: 'Patient/pat-1' }] });
    expect(outOfScope(r)).toBeUndefined();
    expect(outOfScope({ resourceType: 'Observation', subject: { reference: 'Group/herd1' } })).toMatch(/Group/);
    expect(outOfScope({ resourceType: 'Observation', subject: { reference: '#newborn' } })).toMatch(/contained/);
    expect(outOfScope({ resourceType: 'Procedure', subject: { display: 'Jane Doe' } })).toMatch(/display only/);
    expect(outOfScope({ resourceType: 'Observation' })).toBe('no subject or patient');
    expect(diff({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toEqual([]);
    expect(diff({ a: 1, b: [1, { c: 'x' }], d: true }, { a: 1.5, b: [1, { c: 'y' }, 3], e: 0 })).toHaveLength(5);
  });

  for (const type of EXAMPLE_TYPES) {
    it(`${type}: every example is created (201) and read back as sent, or refused as not about one ledger patient`, { timeout: 300_000 }, async () => {
      const examples = loadExamples(type);
      expect(examples.length).toBeGreaterThan(0);
      const fhir = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: await tokenFor(service, 'system/*.cruds') });
      const c = { accepted: 0, outOfScope: 0, failed: 0 };
      counts.set(type, c);
      const fail = (file: string, status: number | string, diag: string) => {
        c.failed++;
        failures.push({ file, status, diagnostics: diag });
      };
      for (const { file, resource } of examples) {
        const why = outOfScope(resource);
        const body = type === 'Patient' || why ? resource : rewritePatientRefs(resource, w.pid);
        let created: Resource;
        try {
          created = (await fhir.create({ resourceType: type, body })) as Resource;
        } catch (e) {
          const res = (e as HttpError).response;
          const diag = res ? diagnostics(res.data) : String((e as HttpError).message ?? e);
          // the facade's refusal of a resource that names no patient of the ledger
          if (why && res?.status === 422 && /\b(subject|patient)\b.*Patient\/<pat-/.test(diag)) {
            c.outOfScope++;
            outside.push({ file, why, status: res.status, diagnostics: diag });
          } else fail(file, res?.status ?? 'no response', why ? `${diag} [not about one ledger patient (${why}), but refused for another reason]` : diag);
          continue;
        }
        const status = (Client.httpFor(created) as { response?: { status: number } } | undefined)?.response?.status;
        if (why) {
          fail(file, status ?? '?', `accepted although not about one ledger patient (${why})`);
          continue;
        }
        if (status !== 201) {
          fail(file, status ?? '?', 'created, but not with 201');
          continue;
        }
        const read = (await fhir.read({ resourceType: type, id: created.id! }).catch((e: HttpError) => e)) as Resource | HttpError;
        if ('response' in read && !('resourceType' in read)) {
          fail(file, read.response?.status ?? '?', `read back failed: ${diagnostics(read.response?.data)}`);
          continue;
        }
        const got = read as Resource;
        const d = diff(content(body), content(got));
        if (got.id !== created.id || d.length > 0) fail(file, 'read back differs', [got.id !== created.id ? `id ${String(got.id)} ≠ ${String(created.id)}` : '', ...d].filter(Boolean).join('; '));
        else c.accepted++;
      }
      expect(failures.filter((f) => examples.some((x) => x.file === f.file))).toEqual([]);
    });
  }

  it('what is not about one patient of the ledger is refused with 422 naming subject/patient, and nothing else is', () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const table = [...counts].map(([t, c]) => `  ${t.padEnd(20)} accepted ${String(c.accepted).padStart(3)}  out of scope ${String(c.outOfScope).padStart(2)}  failed ${c.failed}`);
    console.log(
      [
        `HL7 R4 examples through the FHIR facade (${seconds} s):`,
        ...table,
        `out of scope: not about one patient (${outside.length}):`,
        ...outside.map((o) => `  ${o.file}: ${o.why} → ${o.status} ${o.diagnostics}`),
        ...(failures.length > 0 ? [`failures (${failures.length}):`, ...failures.map((f) => `  ${f.file}: ${f.status} ${f.diagnostics}`)] : []),
      ].join('\n'),
    );
    expect(counts.size).toBe(EXAMPLE_TYPES.length);
    expect(outside.length).toBe(EXPECTED_OUT_OF_SCOPE);
    expect(failures).toEqual([]);
  });
});
