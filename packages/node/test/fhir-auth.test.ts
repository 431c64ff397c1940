import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { parse } from 'node:querystring';
import { SignJWT, decodeJwt, importJWK } from 'jose';
import { Wallet } from '@salus/client';
import { generateIdentityKeys, isSalusError, pureEd25519, signBytes, toHex } from '@salus/core';
import { memberPayload, startTestNode, type TestNode } from './harness.js';
import { fakeClock } from './fake-clock.js';
import { loadHome } from '../src/config/home.js';
import { createApplication } from '../src/app/modules.js';
import { FhirAuth, INTERACTIONS, SCOPE_CONTEXTS, allows, formatScope, formatScopes, parseScope, parseScopes, type Scope } from '@salus/fhir';

/**
 * SMART authorisation of the FHIR facade against a real node's committed state, over HTTP: the
 * client_credentials grant with private_key_jwt assertions minted by jose, the patient challenge,
 * and bearer tokens checked on every request. Scope parsing is checked by properties.
 */
const FORM = 'application/x-www-form-urlencoded';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const CHAIN = 'salus-test';
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
/** the auth endpoints' clock, moved instead of sleeping; `/late/R4` has one of its own */
const clock = fakeClock();
const lateClock = fakeClock();

const party = (keys = generateIdentityKeys()) => ({ keys, w: Wallet.fromSeed(keys.signing.secretKey, keys.encryption.secretKey), id: toHex(keys.signing.publicKey) });
type Party = ReturnType<typeof party>;

let t: TestNode;
let app: FastifyInstance;
let auth: FhirAuth;
let url: string;
let tokenUrl: string;
let foreignParses = 0;
const P = { service: party(), doctor: party(), device: party(), patient: party(), stranger: party(), revoked: party() };

beforeAll(async () => {
  t = await startTestNode();
  for (const [p, role] of [[P.service, 'service'], [P.doctor, 'practitioner'], [P.device, 'device'], [P.revoked, 'service']] as const) {
    await t.client.send(t.admin, 'identity', 'add_member', memberPayload(t.orgId, p.w, role, role));
  }
  await t.client.send(P.patient.w, 'identity', 'register_patient', { encryptionKey: toHex(P.patient.w.encryptionPublicKey) });
  const nodeKeys = loadHome(t.home).nodeKeys;
  // committed state as the node's API reads it
  const committed = createApplication(CHAIN, t.node.ed, t.node.state);
  const common = { chainId: CHAIN, view: () => committed.committedView(), tokenUrl: () => tokenUrl, clock };
  auth = new FhirAuth({ ...common, nodeKeys });
  app = Fastify();
  auth.routes(app);
  // the same node with tiny memories, with a 1 s token lifetime, and another node entirely
  new FhirAuth({ ...common, nodeKeys, rememberedMax: 2 }).routes(app, '/small/R4');
  new FhirAuth({ ...common, nodeKeys, clock: lateClock }).routes(app, '/late/R4');
  // these two sit in a context that already decodes forms (as @fastify/formbody would)
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, done) => {
      foreignParses++;
      done(null, parse(body as string));
    });
    new FhirAuth({ ...common, nodeKeys, tokenTtlS: 1 }).routes(scoped, '/short/R4');
    new FhirAuth({ ...common, nodeKeys: generateIdentityKeys() }).routes(scoped, '/other/R4');
  });
  app.get('/whoami', async (req, reply) => {
    try {
      return await auth.authenticate(req);
    } catch (e) {
      if (isSalusError(e)) return reply.status(e.status).send({ code: e.code });
      throw e;
    }
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  tokenUrl = `${url}/fhir/R4/auth/token`;
});
afterAll(async () => {
  await app?.close();
  await t?.close();
});

async function assertion(signer: Party, over: Record<string, unknown> = {}): Promise<string> {
  const { publicKey, secretKey } = signer.keys.signing;
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: b64(publicKey), d: b64(secretKey) }, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { iss: signer.id, sub: signer.id, aud: tokenUrl, jti: randomUUID(), iat: now, exp: now + 240, ...over };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).sign(key);
}

async function post(path: string, body: string, type = FORM): Promise<{ status: number; body: Record<string, string>; headers: Headers }> {
  const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: r.status, body: (await r.json()) as Record<string, string>, headers: r.headers };
}

const form = (p: Record<string, string | undefined>) => new URLSearchParams(Object.entries(p).filter((e): e is [string, string] => e[1] !== undefined)).toString();

async function requestToken(o: { client?: Party; scope?: string; assertion?: string; base?: string; params?: Record<string, string | undefined> } = {}) {
  const params = { grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, client_assertion: o.assertion ?? (await assertion(o.client ?? P.service)), scope: o.scope ?? 'system/*.rs', ...o.params };
  return post(`${o.base ?? '/fhir/R4'}/auth/token`, form(params));
}

async function whoami(token: string | undefined) {
  const r = await fetch(`${url}/whoami`, { headers: token === undefined ? {} : { authorization: token } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('SMART discovery and the client_credentials grant', () => {
  it('publishes the SMART configuration', async () => {
    const c = (await (await fetch(`${url}/fhir/R4/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
    expect(c).toMatchObject({ token_endpoint: tokenUrl, token_endpoint_auth_methods_supported: ['private_key_jwt'], token_endpoint_auth_signing_alg_values_supported: ['EdDSA'], grant_types_supported: ['client_credentials'] });
    expect(c.capabilities).toEqual(expect.arrayContaining(['client-confidential-asymmetric', 'permission-v2']));
    expect(c.scopes_supported).toContain('system/*.rs');
  });

  it('a service key gets a token with the system scopes it asked for, which authenticates', async () => {
    const r = await requestToken({ scope: 'system/*.rs system/Observation.cruds patient/*.rs openid system/Patient.read' });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ token_type: 'bearer', expires_in: 300, scope: 'system/*.rs system/Observation.cruds system/Patient.rs' });
    const me = await whoami(`Bearer ${r.body.access_token}`);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'system', clientKey: P.service.id, org: t.orgId, patient: null, tokenId: decodeJwt(r.body.access_token!).jti });
    const scopes = me.body.scopes as Scope[];
    expect(scopes.map(formatScope)).toEqual(['system/*.rs', 'system/Observation.cruds', 'system/Patient.rs']);
    expect(allows(scopes, 'Observation', 'c')).toBe(true);
    expect(allows(scopes, 'Condition', 'c')).toBe(false);
  });

  it('a practitioner gets user/ scopes only', async () => {
    const ok = await requestToken({ client: P.doctor, scope: 'user/*.rs system/*.rs' });
    expect(ok.body.scope).toBe('user/*.rs');
    expect((await whoami(`Bearer ${ok.body.access_token}`)).body).toMatchObject({ kind: 'user', clientKey: P.doctor.id, org: t.orgId });
    expect((await requestToken({ client: P.doctor, scope: 'system/*.rs' })).body.error).toBe('invalid_scope');
  });

  it('refuses every bad token request with the RFC 6749 error', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Promise<{ status: number; body: Record<string, string> }>, number, string, RegExp][] = [
      ['wrong grant_type', requestToken({ params: { grant_type: 'authorization_code' } }), 400, 'unsupported_grant_type', /client_credentials/],
      ['no grant_type', requestToken({ params: { grant_type: undefined } }), 400, 'invalid_request', /grant_type is required/],
      ['no scope', requestToken({ params: { scope: undefined } }), 400, 'invalid_request', /scope is required/],
      ['no assertion', requestToken({ params: { client_assertion: undefined } }), 401, 'invalid_client', /client_assertion is required/],
      ['wrong assertion type', requestToken({ params: { client_assertion_type: 'urn:x' } }), 401, 'invalid_client', /client_assertion_type/],
      ['not a JWT', requestToken({ assertion: 'abc.def' }), 401, 'invalid_client', /not a JWT/],
      ['signed by another key', requestToken({ assertion: await assertion(P.stranger, { iss: P.service.id, sub: P.service.id }) }), 401, 'invalid_client', /signature/],
      ['iss ≠ sub', requestToken({ assertion: await assertion(P.service, { sub: P.doctor.id }) }), 401, 'invalid_client', /"sub"/],
      ['client_id ≠ iss', requestToken({ params: { client_id: P.doctor.id } }), 401, 'invalid_client', /client_id/],
      ['wrong aud', requestToken({ assertion: await assertion(P.service, { aud: `${url}/other/R4/auth/token` }) }), 401, 'invalid_client', /"aud"/],
      ['exp more than 5 min ahead', requestToken({ assertion: await assertion(P.service, { exp: now + 600, iat: undefined }) }), 401, 'invalid_client', /300 s/],
      ['exp − iat more than 5 min', requestToken({ assertion: await assertion(P.service, { iat: now - 200, exp: now + 200 }) }), 401, 'invalid_client', /300 s/],
      ['expired', requestToken({ assertion: await assertion(P.service, { iat: now - 120, exp: now - 60 }) }), 401, 'invalid_client', /"exp"/],
      ['no jti', requestToken({ assertion: await assertion(P.service, { jti: undefined }) }), 401, 'invalid_client', /"jti"/],
      ['unknown client', requestToken({ client: P.stranger }), 401, 'invalid_client', /not an active/],
      ['a patient key as client', requestToken({ client: P.patient, scope: 'patient/*.rs' }), 401, 'invalid_client', /not an active/],
      ['a device key as client', requestToken({ client: P.device }), 401, 'invalid_client', /not an active/],
      ['a scope a service may not hold', requestToken({ scope: 'patient/*.rs user/*.rs' }), 400, 'invalid_scope', /system\//],
      ['a malformed scope', requestToken({ scope: 'system/Observation.sr system/*.x system/observation.r' }), 400, 'invalid_scope', /system\//],
      ['bad percent-encoding', post('/fhir/R4/auth/token', `${form({ grant_type: 'client_credentials', scope: 'system/*.rs' })}&client_assertion=%ZZ`), 400, 'invalid_request', /percent/],
      ['a repeated parameter', post('/fhir/R4/auth/token', `${form({ grant_type: 'client_credentials', scope: 'system/*.rs' })}&scope=user/*.rs`), 400, 'invalid_request', /repeated/],
      ['not name=value pairs', post('/fhir/R4/auth/token', 'grant_type'), 400, 'invalid_request', /name=value/],
      ['a JSON body', post('/fhir/R4/auth/token', JSON.stringify({ grant_type: 'client_credentials' }), 'application/json'), 400, 'invalid_request', /x-www-form-urlencoded/],
      ['an unknown content type', post('/fhir/R4/auth/token', 'x', 'text/csv'), 400, 'invalid_request', /Media Type/],
    ];
    for (const [name, p, status, error, why] of cases) {
      const r = await p;
      expect({ name, status: r.status, error: r.body.error }).toEqual({ name, status, error });
      expect(r.body.error_description, name).toMatch(why);
    }
  });

  it('a jti is accepted once, until the assertion expires', async () => {
    const a = await assertion(P.service);
    expect((await requestToken({ assertion: a })).status).toBe(200);
    expect((await requestToken({ assertion: a })).body).toMatchObject({ error: 'invalid_client', error_description: expect.stringContaining('jti') });
    // another client may use the same jti: ids are remembered per client
    expect((await requestToken({ client: P.doctor, scope: 'user/*.rs', assertion: await assertion(P.doctor, { jti: decodeJwt(a).jti }) })).status).toBe(200);
  });

  it('with its memory of assertions full, a node refuses rather than forgets', async () => {
    const small = (a: string) => requestToken({ base: '/small/R4', assertion: a });
    expect((await small(await assertion(P.service))).status).toBe(200);
    expect((await small(await assertion(P.service))).status).toBe(200);
    expect((await small(await assertion(P.service))).status).toBe(429);
  });

  it("revoking a member cuts off its tokens at once, and it gets no more", async () => {
    const r = await requestToken({ client: P.revoked });
    const bearer = `Bearer ${r.body.access_token}`;
    expect((await whoami(bearer)).status).toBe(200);
    await t.client.send(t.admin, 'identity', 'revoke_member', { org: t.orgId, key: P.revoked.id });
    expect(await whoami(bearer)).toEqual({ status: 403, body: { code: 'UNREGISTERED_SIGNER' } });
    expect((await requestToken({ client: P.revoked })).body.error).toBe('invalid_client');
  });
});

describe('the patient challenge', () => {
  const challenge = async (base = '/fhir/R4') => (await (await fetch(`${url}${base}/auth/challenge`)).json()) as { nonce: string; expiresAt: string };
  const answer = (p: Party, nonce: string, aud = tokenUrl) => toHex(pureEd25519.sign(p.keys.signing.secretKey, signBytes('challenge', CHAIN, { nonce, aud })));
  const patientToken = (body: unknown, base = '/fhir/R4') => post(`${base}/auth/patient-token`, JSON.stringify(body), 'application/json');

  it('a patient signs a challenge and gets patient/*.rs (and Consent creation) for its own pseudonym, once per nonce', async () => {
    const { nonce, expiresAt } = await challenge();
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);
    const body = { key: P.patient.id, nonce, signature: answer(P.patient, nonce) };
    const r = await patientToken(body);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'bearer', scope: 'patient/*.rs patient/Consent.c' });
    expect((await whoami(`Bearer ${r.body.access_token}`)).body).toMatchObject({ kind: 'patient', clientKey: P.patient.id, org: null, patient: P.patient.w.patientId });
    expect(await patientToken(body)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses wrong signatures, other audiences, non-patient keys, unknown nonces and bad bodies', async () => {
    const n1 = (await challenge()).nonce;
    expect((await patientToken({ key: P.patient.id, nonce: n1, signature: answer(P.stranger, n1) })).body.error).toBe('invalid_client');
    // a wrong answer spends the nonce
    expect((await patientToken({ key: P.patient.id, nonce: n1, signature: answer(P.patient, n1) })).body.error).toBe('invalid_grant');
    const n2 = (await challenge()).nonce;
    expect((await patientToken({ key: P.patient.id, nonce: n2, signature: answer(P.patient, n2, `${url}/other/R4/auth/token`) })).status).toBe(401);
    for (const p of [P.service, P.stranger]) {
      const n = (await challenge()).nonce;
      expect(await patientToken({ key: p.id, nonce: n, signature: answer(p, n) })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    }
    expect((await patientToken({ key: P.patient.id, nonce: 'made-up', signature: answer(P.patient, 'made-up') })).body.error).toBe('invalid_grant');
    for (const bad of [{}, { key: P.patient.id, nonce: 1, signature: 'ab' }, [1]]) expect((await patientToken(bad)).body.error).toBe('invalid_request');
    expect((await post('/fhir/R4/auth/patient-token', '{', 'application/json')).body.error).toBe('invalid_request');
  });

  it('a node remembers a bounded number of challenges, the oldest dropped first', async () => {
    const first = (await challenge('/small/R4')).nonce;
    await challenge('/small/R4');
    const third = (await challenge('/small/R4')).nonce;
    expect((await patientToken({ key: P.patient.id, nonce: first, signature: answer(P.patient, first) }, '/small/R4')).body.error).toBe('invalid_grant');
    expect((await patientToken({ key: P.patient.id, nonce: third, signature: answer(P.patient, third) }, '/small/R4')).status).toBe(200);
  });
});

describe('bearer tokens', () => {
  it('refuses missing, forged, altered, expired and other nodes’ tokens', async () => {
    const good = (await requestToken()).body.access_token!;
    const [h, , s] = good.split('.');
    const claims = decodeJwt(good);
    const widened = `${h}.${b64(Buffer.from(JSON.stringify({ ...claims, scope: 'system/*.cruds' })))}.${s}`;
    const forgerKeys = generateIdentityKeys().signing;
    const forger = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: b64(forgerKeys.publicKey), d: b64(forgerKeys.secretKey) }, 'EdDSA');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' }).sign(forger);
    const other = (await requestToken({ base: '/other/R4' })).body.access_token!;
    expect(decodeJwt(other).sub).toBe(P.service.id);
    expect(foreignParses).toBeGreaterThan(0);
    expect((await post('/other/R4/auth/token', `${form({ grant_type: 'client_credentials', scope: 'system/*.rs' })}&scope=x`)).body.error).toBe('invalid_request');
    for (const bad of [undefined, '', 'Bearer', `Basic ${good}`, `Bearer ${widened}`, `Bearer ${forged}`, `Bearer ${other}`, `Bearer ${good}x`, `Bearer ${h}..${s}`]) {
      expect(await whoami(bad)).toEqual({ status: 401, body: { code: 'BAD_SIGNATURE' } });
    }
    const short = (await requestToken({ base: '/short/R4' })).body;
    expect(short.expires_in).toBe(1);
    clock.advance(2100); // the node's clock passes the token's expiry: nothing sleeps
    expect(await whoami(`Bearer ${short.access_token}`)).toEqual({ status: 401, body: { code: 'REQUEST_EXPIRED' } });
    expect((await whoami(`bearer ${good}`)).status).toBe(200);
  });
});

describe("expiry on the node's clock", () => {
  it('an assertion is refused once the clock passes its exp and the allowed skew', async () => {
    const now = Math.floor(lateClock.now() / 1000);
    const late = (a: string) => requestToken({ base: '/late/R4', assertion: a });
    expect((await late(await assertion(P.service, { iat: now, exp: now + 60 }))).status).toBe(200);
    const a = await assertion(P.service, { iat: now, exp: now + 60 });
    lateClock.advance(75_000); // past exp + 10 s of skew
    const r = await late(a);
    expect(r).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(r.body.error_description).toMatch(/"exp"/);
  });
});

describe('scopes (properties)', () => {
  const resourceType = fc.oneof(fc.constant('*'), fc.stringMatching(/^[A-Z][A-Za-z]{0,20}$/));
  const scope = fc.record({ context: fc.constantFrom(...SCOPE_CONTEXTS), resourceType, interactions: fc.subarray([...INTERACTIONS], { minLength: 1 }) });

  it('a v2 scope survives formatting and parsing', () => {
    fc.assert(
      fc.property(scope, (s) => {
        expect(parseScope(formatScope(s))).toEqual(s);
      }),
    );
  });

  it('permissions are letters of cruds, each once, in that order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...INTERACTIONS, 'x' as never), { minLength: 0, maxLength: 7 }), (letters) => {
        const idx = letters.map((l) => INTERACTIONS.indexOf(l));
        const valid = letters.length > 0 && idx.every((i, k) => i >= 0 && (k === 0 || i > idx[k - 1]!));
        expect(parseScope(`system/Observation.${letters.join('')}`) !== null).toBe(valid);
      }),
    );
  });

  it('v1 suffixes map to their v2 letters', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCOPE_CONTEXTS), resourceType, (c, rt) => {
        expect(parseScope(`${c}/${rt}.read`)).toEqual(parseScope(`${c}/${rt}.rs`));
        expect(parseScope(`${c}/${rt}.write`)).toEqual(parseScope(`${c}/${rt}.cud`));
        expect(parseScope(`${c}/${rt}.*`)).toEqual(parseScope(`${c}/${rt}.cruds`));
      }),
    );
  });

  it('parsing never throws, and only resource scopes parse', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const p = parseScope(s);
        if (p) expect(formatScope(p).split('/')[0]).toBe(s.split('/')[0]);
        const all = parseScopes(s);
        expect(all.scopes.length + all.other.length).toBeLessThanOrEqual(s.split(' ').length);
      }),
    );
    for (const s of ['launch', 'openid', 'offline_access', 'system/Observation.rs?category=laboratory', 'admin/*.rs', 'system/*.', 'system/.rs']) expect(parseScope(s)).toBeNull();
  });

  it('allows is exactly: some scope covers the type (or *) and the interaction', () => {
    const type = fc.constantFrom('Observation', 'Patient', 'Condition');
    const scopes = fc.array(fc.record({ context: fc.constantFrom(...SCOPE_CONTEXTS), resourceType: fc.constantFrom('*', 'Observation', 'Patient', 'Condition'), interactions: fc.subarray([...INTERACTIONS], { minLength: 1 }) }));
    fc.assert(
      fc.property(scopes, scopes, type, fc.constantFrom(...INTERACTIONS), (a, b, rt, i) => {
        const expected = a.some((s) => (s.resourceType === rt || s.resourceType === '*') && s.interactions.includes(i));
        expect(allows(a, rt, i)).toBe(expected);
        // adding scopes never takes a permission away
        if (expected) expect(allows([...a, ...b], rt, i)).toBe(true);
        expect(parseScopes(formatScopes(a)).scopes.map(formatScope)).toEqual([...new Set(a.map(formatScope))]);
      }),
    );
    expect(allows([], 'Observation', 'r')).toBe(false);
  });
});
