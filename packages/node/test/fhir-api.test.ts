import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'fhir-kit-client';
import { MedplumClient } from '@medplum/core';
import { RecordsClient, Wallet, grantTransaction, verifyStateResponse, verifyTxResponse, type StateResponse, type TxResponse } from '@salus/client';
import { pureEd25519, signBytes, toHex } from '@salus/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { memberPayload, tempDir } from './harness.js';
import { fhirToken, fhirTokenFor } from '../src/cli/fhir.js';
import { waitFor } from './net-harness.js';
import { allergy, observation, recordsWorld, type RecordsWorld } from './records-fixture.js';

/**
 * The FHIR facade of a node that holds its organisation's key, driven by off-the-shelf clients
 * (fhir-kit-client, Medplum's MedplumClient): SMART Backend Services token, then read, vread,
 * history and search of what the organisation may read; OperationOutcome errors; every resource
 * served is a disclosure in the patient's accounting.
 */
let w: RecordsWorld;
let fhir: InstanceType<typeof Client>;
let token: string;
const service = Wallet.create();
let obs: string;
let alg: string;
let other: { rc: RecordsClient; pid: string; record: string };

const tokenFor = async (wallet: Wallet, scope: string) => (await fhirTokenFor(w.t.url, wallet, scope)).access_token;

beforeAll(async () => {
  w = await recordsWorld();
  await w.t.client.send(w.t.admin, 'identity', 'add_member', memberPayload(w.t.orgId, service, 'service', 'EHR integration'));
  await w.patient.grant({ id: 'care', grantee: { org: 'founding-hospital' }, scope: 'all', actions: ['read', 'write'] });
  await w.patient.write(w.pid, { resourceType: 'Patient', id: w.pid, name: [{ family: 'Rossi', given: ['Anna'] }], gender: 'female' });
  obs = (await w.drA.write(w.pid, observation('v1'))).record;
  await w.drA.write(w.pid, observation('v2'), { record: obs });
  alg = (await w.drA.write(w.pid, allergy())).record;
  // a patient who never granted the hospital anything: a record of theirs the clinic wrote
  const rc = new RecordsClient(w.t.client, Wallet.create());
  const pid = await rc.registerPatient();
  other = { rc, pid, record: (await rc.write(pid, observation('private'))).record };
  token = await tokenFor(service, 'system/*.rs');
  fhir = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: token });
});
afterAll(async () => {
  await w.t.close();
});

describe('FHIR facade', () => {
  it('serves a CapabilityStatement that names SMART and the resources it serves', async () => {
    const cs = (await fhir.capabilityStatement()) as { fhirVersion: string; rest: { resource: { type: string }[]; security: { service: { coding: { code: string }[] }[] } }[] };
    expect(cs.fhirVersion).toBe('4.0.1');
    expect(cs.rest[0]!.resource.map((r) => r.type)).toEqual(expect.arrayContaining(['Observation', 'Patient', 'Organization']));
    expect(cs.rest[0]!.security.service[0]!.coding[0]!.code).toBe('SMART-on-FHIR');
  });

  it('fhir-kit-client reads, vreads, lists history and searches what the organisation may read', async () => {
    const r = (await fhir.read({ resourceType: 'Observation', id: obs })) as { id: string; meta: { versionId: string; extension: { extension: { url: string }[] }[] }; note: { text: string }[] };
    expect(r.id).toBe(obs);
    expect(r.meta.versionId).toBe('2');
    expect(r.note[0]!.text).toBe('v2');
    expect(r.meta.extension[0]!.extension.map((e) => e.url)).toEqual(['height', 'transaction']);
    const v1 = (await fhir.vread({ resourceType: 'Observation', id: obs, version: '1' })) as { note: { text: string }[] };
    expect(v1.note[0]!.text).toBe('v1');
    const hist = (await fhir.history({ resourceType: 'Observation', id: obs })) as { total: number; entry: { resource: { meta: { versionId: string } } }[] };
    expect(hist.entry.map((e) => e.resource.meta.versionId)).toEqual(['2', '1']);
    const found = (await fhir.search({ resourceType: 'Observation', searchParams: { patient: `Patient/${w.pid}`, code: 'http://loinc.org|8867-4' } })) as { total: number; entry: { resource: { id: string } }[] };
    expect(found.entry.map((e) => e.resource.id)).toEqual([obs]);
    const none = (await fhir.search({ resourceType: 'Observation', searchParams: { patient: w.pid, code: 'http://loinc.org|0000-0' } })) as { total: number };
    expect(none.total).toBe(0);
    const patient = (await fhir.read({ resourceType: 'Patient', id: w.pid })) as { id: string; name: { family: string }[] };
    expect(patient).toMatchObject({ id: w.pid, name: [{ family: 'Rossi' }] });
    const org = (await fhir.read({ resourceType: 'Organization', id: 'founding-hospital' })) as { name: string };
    expect(org.name).toBe('Founding Hospital');
    expect(((await fhir.search({ resourceType: 'AllergyIntolerance', searchParams: { patient: w.pid } })) as { entry: { resource: { id: string } }[] }).entry.map((e) => e.resource.id)).toEqual([alg]);
  });

  it("Medplum's client reads and searches with caching off", async () => {
    const medplum = new MedplumClient({ baseUrl: `${w.t.url}/`, fhirUrlPath: 'fhir/R4/', fetch: (u: string, i: RequestInit) => fetch(u, i), cacheTime: 0 });
    medplum.setAccessToken(token);
    const r = await medplum.readResource('Observation', obs);
    expect(r.meta?.versionId).toBe('2');
    const list = await medplum.searchResources('Observation', `patient=${w.pid}`);
    expect(list.map((x) => x.id)).toEqual([obs]);
  });

  it('errors are OperationOutcomes with the right status; a patient who granted nothing stays unreadable', async () => {
    const get = async (path: string, auth: string | null = token, prefer?: string) => {
      const res = await fetch(`${w.t.url}/fhir/R4/${path}`, { headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(prefer ? { prefer } : {}) } });
      const body = (await res.json()) as { resourceType: string; issue?: { code: string }[] };
      return { status: res.status, type: res.headers.get('content-type'), body };
    };
    const noToken = await get(`Observation/${obs}`, null);
    expect([noToken.status, noToken.body.resourceType, noToken.body.issue?.[0]?.code]).toEqual([401, 'OperationOutcome', 'login']);
    expect(noToken.type).toContain('application/fhir+json');
    expect((await get(`Observation/${obs}`, token.slice(0, -3) + 'AAA')).status).toBe(401);
    expect((await get(`Observation/${other.record}`)).status).toBe(403); // the clinic wrote nothing of it and holds no grant
    expect((await get('Observation/rec-' + '9'.repeat(32))).status).toBe(404);
    expect((await get(`Condition/${obs}`)).status).toBe(404); // the id is an Observation
    expect((await get('Spaceship/1')).status).toBe(404);
    expect((await get(`Observation?foo=bar`, token, 'handling=strict')).status).toBe(400);
    const lenient = await get(`Observation?foo=bar&patient=${w.pid}`);
    expect(lenient.status).toBe(200);
    expect(JSON.stringify(lenient.body)).toContain('ignored search parameters: foo');
    expect((await get(`Observation?date=yesterday`)).status).toBe(400); // a parameter of the wrong type
    expect((await get(`Observation?_sort=colour`)).status).toBe(400);
    expect((await get(`Observation?_count=ten`)).status).toBe(400);
    expect((await get(`Observation?patient=bob`)).status).toBe(400);
    expect((await get(`Observation?_count=100000`)).status).toBe(400);
    // the CLI's client side of the token exchange gives the same kind of token
    const file = join(tempDir('salus-fhir-'), 'ehr.json');
    writeFileSync(file, JSON.stringify(service.export()), { mode: 0o600 });
    const viaCli = await fhirToken(w.t.url, file, 'system/Observation.rs');
    expect(viaCli.scope).toBe('system/Observation.rs');
    expect((await get(`Observation/${obs}`, viaCli.access_token)).status).toBe(200);
    const narrow = await tokenFor(service, 'system/Patient.rs');
    expect((await get(`Observation/${obs}`, narrow)).status).toBe(403); // scopes narrow the organisation's rights
    expect((await get(`Patient/${w.pid}`, narrow)).status).toBe(200);
  });

  it("a patient's token sees the patient's own compartment, and nothing of anyone else", async () => {
    const { nonce } = (await (await fetch(`${w.t.url}/fhir/R4/auth/challenge`)).json()) as { nonce: string };
    const aud = `${w.t.url}/fhir/R4/auth/token`;
    const secret = Buffer.from(w.wallets.patient.export().signing.secretKey, 'hex');
    const signature = toHex(pureEd25519.sign(secret, signBytes('challenge', 'salus-test', { nonce, aud })));
    const res = await fetch(`${w.t.url}/fhir/R4/auth/patient-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: w.wallets.patient.publicKeyHex, nonce, signature }) });
    const mine = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: ((await res.json()) as { access_token: string }).access_token });
    expect(((await mine.read({ resourceType: 'Observation', id: obs })) as { id: string }).id).toBe(obs);
    const all = (await mine.search({ resourceType: 'Observation', searchParams: {} })) as { entry: { resource: { id: string } }[] };
    expect(all.entry.map((e) => e.resource.id)).toEqual([obs]);
    const foreign = (await mine.search({ resourceType: 'Observation', searchParams: { patient: other.pid } })) as { total: number };
    expect(foreign.total).toBe(0);
    const e = (await mine.read({ resourceType: 'Observation', id: other.record }).catch((x: { response: { status: number } }) => x)) as { response: { status: number } };
    expect([403, 404]).toContain(e.response.status);
  });

  it('search: status, dates with prefixes, _lastUpdated, _sort, _summary=count, _include, paging', async () => {
    const writer = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: await tokenFor(service, 'system/*.cruds') });
    const at = (day: string, status = 'final') => ({ resourceType: 'Observation', status, code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] }, subject: { reference: `Patient/${w.pid}` }, effectiveDateTime: `${day}T08:00:00Z`, identifier: [{ system: 'urn:lab', value: `w-${day}` }] });
    const ids: string[] = [];
    for (const [day, status] of [['2024-01-10', 'final'], ['2024-02-10', 'amended'], ['2024-03-10', 'final']] as const) ids.push(((await writer.create({ resourceType: 'Observation', body: at(day, status) })) as { id: string }).id);
    const s = async (params: Record<string, string>) => (await fhir.search({ resourceType: 'Observation', searchParams: { patient: w.pid, code: 'http://loinc.org|29463-7', ...params } })) as { total: number; link: { relation: string; url: string }[]; entry?: { resource: { id: string; resourceType: string }; search: { mode: string } }[] };
    expect((await s({})).total).toBe(3);
    expect((await s({ date: 'ge2024-02' })).entry!.map((e) => e.resource.id)).toEqual([ids[1], ids[2]]);
    expect((await s({ date: '2024-02-10' })).entry!.map((e) => e.resource.id)).toEqual([ids[1]]);
    expect((await s({ date: ['ge2024-01-15', 'lt2024-03'] as unknown as string })).entry!.map((e) => e.resource.id)).toEqual([ids[1]]);
    expect((await s({ status: 'amended' })).entry!.map((e) => e.resource.id)).toEqual([ids[1]]);
    expect((await s({ identifier: 'urn:lab|w-2024-03-10' })).entry!.map((e) => e.resource.id)).toEqual([ids[2]]);
    expect((await s({ _sort: '-date' })).entry!.map((e) => e.resource.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect((await s({ _lastUpdated: `ge${new Date(Date.now() - 60_000).toISOString().slice(0, 16)}Z`.replace('Z', '') })).total).toBeGreaterThanOrEqual(3);
    const counted = await s({ _summary: 'count' });
    expect([counted.total, counted.entry]).toEqual([3, undefined]);
    const page1 = await s({ _count: '2', _sort: 'date' });
    expect(page1.entry!.map((e) => e.resource.id)).toEqual([ids[0], ids[1]]);
    const next = page1.link.find((l) => l.relation === 'next')!.url;
    const page2 = (await fhir.request(next.replace(/^\/fhir\/R4\//, ''))) as { entry: { resource: { id: string } }[]; link: { relation: string }[] };
    expect(page2.entry.map((e) => e.resource.id)).toEqual([ids[2]]);
    expect(page2.link.some((l) => l.relation === 'next')).toBe(false);
    const withPatient = await s({ _include: 'Observation:patient', _count: '1' });
    expect(withPatient.entry!.map((e) => [e.resource.resourceType, e.search.mode])).toEqual([['Observation', 'match'], ['Patient', 'include']]);
  });

  it('transaction Bundles are all or nothing, in one block, with urn:uuid references rewritten; batches run entry by entry', async () => {
    const writer = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: await tokenFor(service, 'system/*.cruds') });
    const subject = { reference: `Patient/${w.pid}` };
    const enc = { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject };
    const ob = (v: number) => ({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8310-5' }] }, subject, encounter: { reference: 'urn:uuid:enc-1' }, valueQuantity: { value: v, unit: 'Cel' } });
    const tx = (entries: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry: entries });
    const post = (fullUrl: string, resource: unknown) => ({ fullUrl, resource, request: { method: 'POST', url: (resource as { resourceType: string }).resourceType } });
    const r = (await writer.transaction({ body: tx([post('urn:uuid:enc-1', enc), post('urn:uuid:o-1', ob(37.2)), post('urn:uuid:o-2', ob(38.4))]) })) as { type: string; entry: { response: { status: string; location: string } }[] };
    expect(r.type).toBe('transaction-response');
    expect(r.entry.map((e) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);
    const encId = r.entry[0]!.response.location.split('/')[1]!;
    const o1 = (await writer.read({ resourceType: 'Observation', id: r.entry[1]!.response.location.split('/')[1]! })) as { encounter: { reference: string }; meta: { extension: { extension: { url: string; valueUnsignedInt?: number }[] }[] } };
    expect(o1.encounter.reference).toBe(`Encounter/${encId}`);
    const heights = await Promise.all(r.entry.map(async (e) => ((await writer.read({ resourceType: e.response.location.split('/')[0]!, id: e.response.location.split('/')[1]! })) as typeof o1).meta.extension[0]!.extension[0]!.valueUnsignedInt));
    expect(new Set(heights).size).toBe(1); // one block
    // all or nothing: an invalid entry, or one the ledger refuses, and nothing is written
    const count = async () => ((await writer.search({ resourceType: 'Observation', searchParams: { patient: w.pid, _summary: 'count' } })) as { total: number }).total;
    const before = await count();
    const invalid = await writer.transaction({ body: tx([post('urn:uuid:a', ob(36.6)), post('urn:uuid:b', { ...ob(36.7), status: 'nonsense-but-typed', valueQuantity: 'warm' })]) }).catch((e: { response: { status: number } }) => e.response.status);
    expect(invalid).toBe(422);
    const refused = await writer.transaction({ body: tx([post('urn:uuid:a', { ...ob(36.6), encounter: undefined }), post('urn:uuid:b', { ...ob(36.8), encounter: undefined, subject: { reference: `Patient/${other.pid}` } })]) }).catch((e: { response: { status: number } }) => e.response.status);
    expect(refused).toBe(403); // the hospital may not write for the other patient: the whole transaction fails
    const dangling = await writer.transaction({ body: tx([post('urn:uuid:a', ob(36.6))]) }).catch((e: { response: { status: number } }) => e.response.status);
    expect(dangling).toBe(422); // urn:uuid:enc-1 is not in this Bundle
    expect(await count()).toBe(before);
    // a transaction of 100 entries: one ledger transaction, one block
    const hundred = Array.from({ length: 100 }, (_, i) => post(`urn:uuid:h-${i}`, { ...ob(36 + i / 100), encounter: undefined }));
    const big = (await writer.transaction({ body: tx(hundred) })) as { entry: { response: { status: string; location: string } }[] };
    expect(big.entry.filter((e) => e.response.status === '201 Created')).toHaveLength(100);
    const bigHeights = new Set<number>();
    for (const e of [big.entry[0]!, big.entry[50]!, big.entry[99]!]) {
      bigHeights.add(((await writer.read({ resourceType: 'Observation', id: e.response.location.split('/')[1]! })) as typeof o1).meta.extension[0]!.extension[0]!.valueUnsignedInt!);
    }
    expect(bigHeights.size).toBe(1);
    expect(await count()).toBe(before + 100);
    // a batch: each entry on its own
    const b = (await writer.batch({ body: { resourceType: 'Bundle', type: 'batch', entry: [{ resource: { ...ob(36.9), encounter: undefined }, request: { method: 'POST', url: 'Observation' } }, { resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } }, { request: { method: 'GET', url: `Observation/${obs}` } }] } })) as { type: string; entry: { response: { status: string } }[] };
    expect([b.type, ...b.entry.map((e) => e.response.status)]).toEqual(['batch-response', '201', '422', '200']);
    expect(await count()).toBe(before + 101);
    // the base URL without the trailing slash takes Bundles too; anything but a batch or transaction is refused
    const bare = await fetch(`${w.t.url}/fhir/R4`, { method: 'POST', body: JSON.stringify(tx([])), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` } });
    expect(bare.status).toBe(200);
    const coll = await fetch(`${w.t.url}/fhir/R4`, { method: 'POST', body: JSON.stringify({ resourceType: 'Bundle', type: 'collection' }), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` } });
    expect(coll.status).toBe(422);
  });

  it('$verify gives the proofs of a version, which the SDK checks offline against the validators', async () => {
    const p = (await fhir.request(`Observation/${obs}/$verify`)) as { resourceType: string; parameter: { name: string; valueString?: string }[] };
    expect(p.resourceType).toBe('Parameters');
    const part = (n: string) => JSON.parse(p.parameter.find((x) => x.name === n)!.valueString!) as never;
    const validators = (await w.t.client.request<{ validators: { pubKey: string; power: number }[] }>('GET', '/v1/validators')).validators.map((v) => ({ pubKey: Buffer.from(v.pubKey, 'hex'), power: v.power }));
    const tx = part('transaction') as TxResponse;
    verifyTxResponse(pureEd25519, tx, validators);
    expect((tx.decoded as { payload: { record: string } }).payload.record).toBe(obs);
    verifyStateResponse(pureEd25519, part('state') as StateResponse, validators);
    // a changed byte in the proof is caught
    const forged = { ...tx, proof: { ...tx.proof, leafIndex: tx.proof.leafIndex + 1 } };
    expect(() => verifyTxResponse(pureEd25519, forged, validators)).toThrow();
  });

  it('writes: create, conditional create, update with If-Match, delete; validation and bad input', async () => {
    const writerToken = await tokenFor(service, 'system/*.cruds');
    const writer = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: writerToken });
    const hr = { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${w.pid}` }, valueQuantity: { value: 88, unit: '/min' } };
    const created = (await writer.create({ resourceType: 'Observation', body: hr })) as { id: string; meta: { versionId: string }; valueQuantity: { value: number } };
    expect(created.meta.versionId).toBe('1');
    expect(created.valueQuantity.value).toBe(88);
    const { response } = Client.httpFor(created) as { response: { status: number; headers: Headers } };
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/fhir/R4/Observation/${created.id}/_history/1`);
    expect(response.headers.get('etag')).toBe('W/"1"');
    // the client's profiles and security labels are kept; the server's own delete tag cannot be smuggled in
    const labelled = (await writer.create({ resourceType: 'Observation', body: { ...hr, meta: { profile: ['http://hl7.org/fhir/StructureDefinition/vitalsigns'], security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'TBOO' }], tag: [{ system: 'https://salus.health/fhir/CodeSystem/record-state', code: 'deleted' }] } } })) as { id: string; meta: { profile: string[]; security: { code: string }[]; tag?: unknown[]; versionId: string } };
    expect(labelled.meta.profile).toEqual(['http://hl7.org/fhir/StructureDefinition/vitalsigns']);
    expect(labelled.meta.security[0]!.code).toBe('TBOO');
    expect(labelled.meta.tag).toBeUndefined();
    expect(((await writer.read({ resourceType: 'Observation', id: labelled.id })) as { meta: { versionId: string } }).meta.versionId).toBe('1');
    // update with the current version, then a stale If-Match
    const updated = (await writer.update({ resourceType: 'Observation', id: created.id, body: { ...hr, id: created.id, valueQuantity: { value: 90, unit: '/min' } }, options: { headers: { 'If-Match': 'W/"1"' } } })) as { meta: { versionId: string } };
    expect(updated.meta.versionId).toBe('2');
    const stale = await writer.update({ resourceType: 'Observation', id: created.id, body: { ...hr, id: created.id }, options: { headers: { 'If-Match': 'W/"1"' } } }).catch((e: { response: { status: number } }) => e.response.status);
    expect(stale).toBe(412);
    const mismatch = await writer.update({ resourceType: 'Observation', id: created.id, body: { ...hr, id: 'rec-' + '7'.repeat(32) } }).catch((e: { response: { status: number } }) => e.response.status);
    expect(mismatch).toBe(400);
    // invalid resources are 422 with an OperationOutcome; nothing is written
    const before = (await fhir.search({ resourceType: 'Observation', searchParams: { patient: w.pid } })) as { total: number };
    for (const bad of [{ ...hr, status: undefined }, { ...hr, foo: 1 }, { ...hr, subject: { reference: 'Patient/someone-else' } }, { ...hr, subject: undefined }]) {
      const e = await writer.create({ resourceType: 'Observation', body: bad }).catch((x: { response: { status: number; data: { resourceType: string } } }) => x.response);
      expect([e.status, e.data.resourceType]).toEqual([422, 'OperationOutcome']);
    }
    expect(((await fhir.search({ resourceType: 'Observation', searchParams: { patient: w.pid } })) as { total: number }).total).toBe(before.total);
    const notJson = await fetch(`${w.t.url}/fhir/R4/Observation`, { method: 'POST', body: '{oops', headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${token}` } });
    expect(notJson.status).toBe(400);
    const xml = await fetch(`${w.t.url}/fhir/R4/Observation`, { method: 'POST', body: '<Observation/>', headers: { 'content-type': 'application/fhir+xml', authorization: `Bearer ${token}` } });
    expect(xml.status).toBe(415);
    const org = await fetch(`${w.t.url}/fhir/R4/Organization/founding-hospital`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(org.status).toBe(405);
    // a read-only token may not write
    expect(await fhir.create({ resourceType: 'Observation', body: hr }).catch((e: { response: { status: number } }) => e.response.status)).toBe(403);
    // conditional create: a match returns it, no new record
    const again = await fetch(`${w.t.url}/fhir/R4/Observation`, { method: 'POST', body: JSON.stringify(hr), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${await tokenFor(service, 'system/*.cruds')}`, 'if-none-exist': `_id=${created.id}` } });
    expect(again.status).toBe(200);
    // decimals keep their precision (R4): 1.50 reads back 1.50, in a resource and in a search
    const precise = `{"resourceType":"Observation","status":"final","code":{"text":"precise"},"subject":{"reference":"Patient/${w.pid}"},"valueQuantity":{"value":1.50,"unit":"mmol/L"}}`;
    const made = await fetch(`${w.t.url}/fhir/R4/Observation`, { method: 'POST', body: precise, headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${writerToken}` } });
    const madeText = await made.text();
    expect(madeText).toContain('"value":1.50');
    const readText = await (await fetch(`${w.t.url}/fhir/R4/Observation/${(JSON.parse(madeText) as { id: string }).id}`, { headers: { authorization: `Bearer ${writerToken}` } })).text();
    expect(readText).toContain('"value":1.50');
    // two conditional creates at once: one creates, the other finds it (they share the write queue)
    const cond = { ...hr, identifier: [{ system: 'urn:lab', value: 'once-only' }] };
    const both = await Promise.all([0, 1].map(async () => (await fetch(`${w.t.url}/fhir/R4/Observation`, { method: 'POST', body: JSON.stringify(cond), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${writerToken}`, 'if-none-exist': `identifier=urn:lab|once-only&patient=${w.pid}` } })).status));
    expect(both.sort()).toEqual([200, 201]);
    // searches arriving together see the same, whole index
    const counts = await Promise.all([0, 1, 2].map(async () => ((await writer.search({ resourceType: 'Observation', searchParams: { patient: w.pid, _summary: 'count' } })) as { total: number }).total));
    expect(new Set(counts).size).toBe(1);
    // conditional update: none matches → created; one → updated; several → 412
    const cu = { ...hr, identifier: [{ system: 'urn:lab', value: 'cu-1' }] };
    const put = (body: unknown) => fetch(`${w.t.url}/fhir/R4/Observation?identifier=urn:lab|cu-1&patient=${w.pid}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${writerToken}` } });
    const first = await put(cu);
    expect(first.status).toBe(201);
    const second = await put({ ...cu, valueQuantity: { value: 99, unit: '/min' } });
    expect([second.status, ((await second.json()) as { meta: { versionId: string } }).meta.versionId]).toEqual([200, '2']);
    await writer.create({ resourceType: 'Observation', body: cu });
    expect((await put(cu)).status).toBe(412);
    // type history: every version of the type, newest first
    const th = (await writer.request('Observation/_history?_count=3')) as { type: string; total: number; entry: unknown[] };
    expect([th.type, th.entry.length, th.total > 3]).toEqual(['history', 3, true]);
    // Prefer: return=minimal answers with headers only
    const minimal = await fetch(`${w.t.url}/fhir/R4/Observation`, { method: 'POST', body: JSON.stringify(hr), headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${writerToken}`, prefer: 'return=minimal' } });
    expect([minimal.status, await minimal.text(), minimal.headers.get('location')?.endsWith('/_history/1')]).toEqual([201, '', true]);
    // delete: 204, then 410 Gone, and the history keeps every version
    await writer.delete({ resourceType: 'Observation', id: created.id });
    expect(await writer.read({ resourceType: 'Observation', id: created.id }).catch((e: { response: { status: number } }) => e.response.status)).toBe(410);
    const hist = (await writer.history({ resourceType: 'Observation', id: created.id })) as { entry: { request?: { method: string } }[] };
    expect(hist.entry).toHaveLength(3);
    expect(hist.entry[0]!.request?.method).toBe('DELETE');
  });

  it('a Patient created over FHIR is onboarded with a custodial wallet and readable by its id', async () => {
    const writer = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: await tokenFor(service, 'system/*.cruds') });
    const p = (await writer.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Novak', given: ['Ines'] }], gender: 'female', birthDate: '1984-02-29' } })) as { id: string };
    expect(p.id).toMatch(/^pat-[0-9a-f]{32}$/);
    expect((await w.t.client.request<{ onboardedBy: string }>('GET', `/v1/identity/patients/${p.id}`)).onboardedBy).toBe('founding-hospital');
    expect(((await writer.read({ resourceType: 'Patient', id: p.id })) as { name: { family: string }[] }).name[0]!.family).toBe('Novak');
    const obs2 = (await writer.create({ resourceType: 'Observation', body: { resourceType: 'Observation', status: 'final', code: { text: 'weight' }, subject: { reference: `Patient/${p.id}` } } })) as { id: string };
    expect(((await writer.search({ resourceType: 'Observation', searchParams: { patient: p.id } })) as { entry: { resource: { id: string } }[] }).entry.map((e) => e.resource.id)).toEqual([obs2.id]);
  });

  it('Consent and AuditEvent are views of the grants and of the accounting', async () => {
    const cs = (await fhir.search({ resourceType: 'Consent', searchParams: { patient: `Patient/${w.pid}` } })) as { entry: { resource: { status: string; provision: { actor: { reference: { reference: string } }[] } } }[] };
    expect(cs.entry.map((e) => e.resource.provision.actor[0]!.reference.reference)).toContain('Organization/founding-hospital');
    expect(cs.entry.every((e) => e.resource.status === 'active')).toBe(true);
    const denied = await fhir.search({ resourceType: 'AuditEvent', searchParams: { patient: w.pid } }).catch((e: { response: { status: number } }) => e.response.status);
    expect(denied).toBe(403); // the accounting is the patient's
    const { nonce } = (await (await fetch(`${w.t.url}/fhir/R4/auth/challenge`)).json()) as { nonce: string };
    const secret = Buffer.from(w.wallets.patient.export().signing.secretKey, 'hex');
    const signature = toHex(pureEd25519.sign(secret, signBytes('challenge', 'salus-test', { nonce, aud: `${w.t.url}/fhir/R4/auth/token` })));
    const res = await fetch(`${w.t.url}/fhir/R4/auth/patient-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: w.wallets.patient.publicKeyHex, nonce, signature }) });
    const mine = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: ((await res.json()) as { access_token: string }).access_token });
    await waitFor(async () => ((await mine.search({ resourceType: 'AuditEvent', searchParams: { patient: w.pid, _count: '200' } })) as { entry?: unknown[] }).entry?.some((e) => JSON.stringify(e).includes(service.publicKeyHex)) ?? false, 10_000, 'the EHR client in the AuditEvents');
    const ae = (await mine.search({ resourceType: 'AuditEvent', searchParams: { patient: w.pid, _count: '200' } })) as { entry: { resource: { action: string; subtype: { code: string }[] } }[] };
    expect(ae.entry.some((e) => e.resource.action === 'R')).toBe(true);
    expect(ae.entry.some((e) => e.resource.subtype.some((s) => s.code === 'grant'))).toBe(true);
    expect(await mine.search({ resourceType: 'AuditEvent', searchParams: { patient: other.pid } }).catch((e: { response: { status: number } }) => e.response.status)).toBe(403);
  });

  it('a Consent the patient signed is a grant; without the patient\'s signature nothing is granted', async () => {
    const { nonce } = (await (await fetch(`${w.t.url}/fhir/R4/auth/challenge`)).json()) as { nonce: string };
    const secret = Buffer.from(w.wallets.patient.export().signing.secretKey, 'hex');
    const signature = toHex(pureEd25519.sign(secret, signBytes('challenge', 'salus-test', { nonce, aud: `${w.t.url}/fhir/R4/auth/token` })));
    const res = await fetch(`${w.t.url}/fhir/R4/auth/patient-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: w.wallets.patient.publicKeyHex, nonce, signature }) });
    const app = new Client({ baseUrl: `${w.t.url}/fhir/R4`, bearerToken: ((await res.json()) as { access_token: string }).access_token });
    const consentFor = (signed: { base64: string }, org = 'clinic-b') => ({
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: { reference: `Patient/${w.pid}` },
      provision: { type: 'permit', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: `Organization/${org}` } }] },
      extension: [{ url: 'https://salus.health/fhir/StructureDefinition/signed-grant', valueBase64Binary: signed.base64 }],
    });
    const signed = await grantTransaction(w.patient, { id: 'fhir-consent', grantee: { org: 'clinic-b' }, scope: { types: ['Observation'] }, purposes: ['treatment'] });
    const created = (await app.create({ resourceType: 'Consent', body: consentFor(signed) })) as { id: string; status: string };
    expect([created.id, created.status]).toEqual([`${w.pid}.fhir-consent`, 'active']);
    const grants = (await w.t.client.request<{ grants: { id: string; status: string }[] }>('GET', `/v1/records/patients/${w.pid}`)).grants;
    expect(grants.find((g) => g.id === 'fhir-consent')?.status).toBe('active');
    const status = (p: Promise<unknown>) => p.then(() => 0, (e: { response: { status: number } }) => e.response.status);
    const another = await grantTransaction(w.patient, { id: 'fhir-consent-2', grantee: { org: 'clinic-b' }, scope: 'all' });
    expect(await status(app.create({ resourceType: 'Consent', body: consentFor(another, 'founding-hospital') }))).toBe(422); // says another grantee than it signs
    expect(await status(app.create({ resourceType: 'Consent', body: { ...consentFor(another), extension: [] } }))).toBe(422); // no signed grant
    const forged = Buffer.from(another.base64, 'base64');
    forged[forged.length - 3]! ^= 1;
    expect(await status(app.create({ resourceType: 'Consent', body: consentFor({ base64: forged.toString('base64') }) }))).toBe(401); // the signature does not verify
    const byDoctor = await grantTransaction(new RecordsClient(w.t.client, w.wallets.drA, { patient: w.pid }), { id: 'sneaky', grantee: { org: 'clinic-b' }, scope: 'all' });
    expect(await status(app.create({ resourceType: 'Consent', body: consentFor(byDoctor) }))).toBe(403); // not the patient's key
    expect((await w.t.client.request<{ grants: { id: string }[] }>('GET', `/v1/records/patients/${w.pid}`)).grants.map((g) => g.id)).not.toContain('sneaky');
  });

  it('every resource served is in the patient’s accounting, read by the client under its token', async () => {
    await waitFor(async () => (await w.patient.disclosures({ verify: false })).some((e) => e.kind === 'read:grant'), 10_000, 'the FHIR reads to be disclosed');
    const log = await w.patient.disclosures();
    const viaToken = log.filter((e) => e.detail?.via === 'token');
    expect(viaToken.length).toBeGreaterThan(5);
    expect(viaToken.every((e) => e.detail?.servedBy === w.t.node.nodeId && e.detail?.readerSigned === false)).toBe(true);
    expect(viaToken.filter((e) => e.detail?.reader === service.publicKeyHex).length).toBeGreaterThan(5); // the EHR client
    expect(viaToken.some((e) => e.detail?.reader === w.wallets.patient.publicKeyHex && e.detail?.purpose === 'patient-request')).toBe(true); // the patient's app
  });

  it('search follows the ledger: a new version is matched by its new code, a revoked grant empties search and read', async () => {
    const rc = new RecordsClient(w.t.client, Wallet.create());
    const pid = await rc.registerPatient();
    // the patient writes: the hospital reads by the grant alone (an author keeps what it wrote)
    await rc.grant({ id: 'care', grantee: { org: 'founding-hospital' }, scope: 'all' });
    const record = (await rc.write(pid, observation('first'))).record;
    const bySystemCode = async (code: string) => ((await fhir.search({ resourceType: 'Observation', searchParams: { patient: pid, code: `http://loinc.org|${code}` } })) as { total: number }).total;
    // plaintext the ledger cannot check: a writer's text that is not a FHIR resource is left out, not fatal to the index
    const junk = (await rc.write(pid, observation('junk'), { json: 'this is not json' })).record;
    await rc.write(pid, observation('null'), { json: 'null' });
    const code = observation().code.coding[0]!.code;
    expect(await bySystemCode(code)).toBe(1);
    const junkRead = await fetch(`${w.t.url}/fhir/R4/Observation/${junk}`, { headers: { authorization: `Bearer ${token}` } });
    expect([junkRead.status, ((await junkRead.json()) as { issue: { details: { text: string } }[] }).issue[0]!.details.text]).toEqual([422, 'INVALID_RESOURCE']);
    await rc.write(pid, { ...observation('second'), code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose' }] } }, { record });
    expect([await bySystemCode(code), await bySystemCode('2339-0')]).toEqual([0, 1]);
    await rc.revoke('care');
    expect(await bySystemCode('2339-0')).toBe(0);
    expect(((await fhir.search({ resourceType: 'Observation', searchParams: { patient: pid, _summary: 'count' } })) as { total: number }).total).toBe(0);
    const read = await fetch(`${w.t.url}/fhir/R4/Observation/${record}`, { headers: { authorization: `Bearer ${token}` } });
    expect(read.status).toBe(403);
  });
});
