import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { SignJWT, decodeJwt, errors as jose, importJWK, jwtVerify, type JWTPayload } from 'jose';
import { type Ed25519, type IdentityKeys, SalusError, fromHex, pureEd25519, signBytes, toHex } from '@salus/core';
import { activeKey, type KeyRecord } from '@salus/identity';
import { formatScopes, inContexts, parseScope, parseScopes, type Scope, type ScopeContext } from './scopes.js';
import { evictOldest, type KV, type WallClock } from '@salus/module';

/**
 * SMART Backend Services authorisation for the FHIR facade (ADR 0006). Clients are organisation
 * members whose registered Ed25519 key signs a `private_key_jwt` assertion (RFC 7523); patients sign
 * a single-use challenge with their wallet key. Either way the node answers with a short-lived
 * access token signed by its own key, whose scopes only narrow what the ledger lets the caller's
 * organisation (or the patient) do. Every token is re-checked against committed state on use, so
 * revoking a member on the ledger cuts off its tokens at once rather than at their expiry.
 */

export interface FhirCaller {
  readonly kind: 'system' | 'user' | 'patient';
  /** the caller's registered signing key (hex): the client id */
  readonly clientKey: string;
  readonly org: string | null;
  /** the patient's pseudonym, for patient tokens */
  readonly patient: string | null;
  readonly scopes: Scope[];
  /** the access token's jti */
  readonly tokenId: string;
}

export interface FhirAuthOptions {
  readonly chainId: string;
  /** the node's keys: its Ed25519 key signs the access tokens */
  readonly nodeKeys: IdentityKeys;
  /** committed state */
  readonly view: () => KV;
  /** the absolute URL of the token endpoint: the audience of assertions and challenges */
  readonly tokenUrl: () => string;
  /** the node's clock: assertions, challenges and tokens expire by it (jose is given its time too) */
  readonly clock: WallClock;
  readonly tokenTtlS?: number;
  readonly ed?: Ed25519;
  /** how many assertion ids and challenges are remembered at once (each kind) */
  readonly rememberedMax?: number;
}

const FORM = 'application/x-www-form-urlencoded';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART Backend Services: an assertion's exp is at most five minutes in the future. */
const ASSERTION_LIFETIME_MAX_S = 300;
/** Clock difference tolerated between a client and this node. */
const SKEW_S = 10;
const CHALLENGE_TTL_MS = 5 * 60_000;
const TOKEN_BODY_MAX = 16 * 1024;
const HEX_KEY = /^[0-9a-f]{64}$/;
/** What each role may hold: scopes never reach beyond the role's SMART context. */
const CONTEXT_OF: Partial<Record<KeyRecord['role'], { kind: FhirCaller['kind']; context: ScopeContext }>> = {
  service: { kind: 'system', context: 'system' },
  practitioner: { kind: 'user', context: 'user' },
  patient: { kind: 'patient', context: 'patient' },
};
/** A patient's app reads the patient's compartment and posts Consents the patient signed (grants). */
const PATIENT_SCOPES = [parseScope('patient/*.rs')!, parseScope('patient/Consent.c')!];

/** An RFC 6749 §5.2 error response. */
class OAuthError extends Error {
  constructor(readonly status: 400 | 401 | 429, readonly error: string, description: string) {
    super(description);
  }
}
const badRequest = (d: string) => new OAuthError(400, 'invalid_request', d);
const badClient = (d: string) => new OAuthError(401, 'invalid_client', d);

/**
 * Keys remembered until they expire, at most `max` at once. When full of live entries it either
 * refuses (assertion ids: forgetting one early would let it be replayed) or drops the oldest tenth
 * (challenges: forgetting one early only makes its answer fail).
 */
class Expiring {
  private readonly m = new Map<string, number>();
  private sweptAt = 0;
  constructor(private readonly max: number, private readonly whenFull: 'refuse' | 'evict') {}

  add(key: string, expiresAt: number, now: number): boolean {
    // expiry order is not insertion order, so a sweep is a full pass: at most once a second
    if (this.m.size >= this.max && now - this.sweptAt >= 1000) {
      this.sweptAt = now;
      for (const [k, e] of this.m) if (e <= now) this.m.delete(k);
    }
    if (this.m.size >= this.max) {
      if (this.whenFull === 'refuse') return false;
      evictOldest(this.m, Math.max(1, Math.ceil(this.max / 10)));
    }
    this.m.set(key, expiresAt);
    return true;
  }

  has(key: string, now: number): boolean {
    return (this.m.get(key) ?? 0) > now;
  }

  /** Removes the key; true when it was there and unexpired (single use). */
  take(key: string, now: number): boolean {
    const e = this.m.get(key);
    this.m.delete(key);
    return e !== undefined && e > now;
  }
}

/** Strict form decoding: a repeated parameter or a bad percent-escape is invalid_request (RFC 6749 §3.2). */
function parseForm(body: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
    // decoded by a form parser the app had before these routes: a repeated name comes as an array
    for (const [k, v] of Object.entries(body)) {
      if (typeof v !== 'string') throw badRequest(`parameter ${k} is repeated`);
      out.set(k, v);
    }
    return out;
  }
  const text = String(body ?? '');
  if (text === '') return out;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw badRequest('the form body is not valid percent-encoding');
    }
  };
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw badRequest('the form body is not name=value pairs joined by &');
    const name = decode(pair.slice(0, eq));
    if (out.has(name)) throw badRequest(`parameter ${name} is repeated`);
    out.set(name, decode(pair.slice(eq + 1)));
  }
  return out;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const okpKey = (pub: Uint8Array, secret?: Uint8Array) =>
  importJWK({ kty: 'OKP', crv: 'Ed25519', x: b64url(pub), ...(secret ? { d: b64url(secret) } : {}) }, 'EdDSA');

export class FhirAuth {
  readonly nodeId: string;
  private readonly ttlS: number;
  private readonly ed: Ed25519;
  private readonly signingKey: ReturnType<typeof okpKey>;
  private readonly verifyingKey: ReturnType<typeof okpKey>;
  private readonly assertionIds: Expiring;
  private readonly challenges: Expiring;

  constructor(private readonly o: FhirAuthOptions) {
    const { publicKey, secretKey } = o.nodeKeys.signing;
    this.nodeId = toHex(publicKey);
    this.ttlS = o.tokenTtlS ?? 300;
    if (!Number.isInteger(this.ttlS) || this.ttlS < 1) throw new SalusError('CONFIG', 'the FHIR token lifetime must be a positive whole number of seconds');
    this.ed = o.ed ?? pureEd25519;
    [this.signingKey, this.verifyingKey] = [okpKey(publicKey, secretKey), okpKey(publicKey)];
    this.assertionIds = new Expiring(o.rememberedMax ?? 100_000, 'refuse');
    this.challenges = new Expiring(o.rememberedMax ?? 100_000, 'evict');
  }

  /** The discovery document, the token endpoints and the patient challenge, under `base`. */
  routes(app: FastifyInstance, base = '/fhir/R4'): void {
    // A child context, so the form parser and the OAuth error shape stay with these routes.
    app.register(
      async (r) => {
        if (!r.hasContentTypeParser(FORM)) r.addContentTypeParser(FORM, { parseAs: 'string' }, (_req, body, done) => done(null, body));
        // tokens and nonces must not be cached (RFC 6749 §5.1)
        r.addHook('onRequest', async (_req, reply) => void reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }));
        r.setErrorHandler((err: FastifyError, req, reply) => {
          const e = err instanceof OAuthError ? err : (err.statusCode ?? 500) < 500 ? badRequest(err.message) : undefined;
          if (!e) req.log.error({ err }, 'FHIR auth: internal error');
          return reply.status(e?.status ?? 500).send({ error: e?.error ?? 'server_error', error_description: e?.message ?? 'internal error' });
        });
        r.get('/.well-known/smart-configuration', async () => ({
          token_endpoint: this.o.tokenUrl(),
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
          token_endpoint_auth_signing_alg_values_supported: ['EdDSA'],
          grant_types_supported: ['client_credentials'],
          scopes_supported: ['system/*.rs', 'system/*.cruds', 'user/*.rs', 'user/*.cruds', 'patient/*.rs'],
          capabilities: ['client-confidential-asymmetric', 'permission-v2', 'permission-v1', 'permission-user', 'permission-patient'],
        }));
        r.post('/auth/token', { bodyLimit: TOKEN_BODY_MAX }, async (req) => {
          if (!req.headers['content-type']?.toLowerCase().startsWith(FORM)) throw badRequest(`the token request must be ${FORM}`);
          return this.clientCredentials(parseForm(req.body));
        });
        r.get('/auth/challenge', async () => {
          const nonce = randomBytes(32).toString('base64url');
          const now = this.o.clock.now();
          const expiresAt = now + CHALLENGE_TTL_MS;
          this.challenges.add(nonce, expiresAt, now);
          return { nonce, expiresAt: new Date(expiresAt).toISOString() };
        });
        r.post('/auth/patient-token', { bodyLimit: TOKEN_BODY_MAX }, async (req) => this.patientToken(req.body));
      },
      { prefix: base },
    );
  }

  /** The client_credentials grant with a private_key_jwt assertion (SMART Backend Services). */
  private async clientCredentials(p: Map<string, string>) {
    const grant = p.get('grant_type');
    if (grant === undefined) throw badRequest('grant_type is required');
    if (grant !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    const scope = p.get('scope');
    if (scope === undefined) throw badRequest('scope is required');
    if (p.get('client_assertion_type') !== ASSERTION_TYPE) throw badClient(`client authentication must be client_assertion_type=${ASSERTION_TYPE}`);
    const assertion = p.get('client_assertion');
    if (!assertion) throw badClient('client_assertion is required');
    const clientKey = await this.verifyAssertion(assertion, p.get('client_id'));
    const rec = activeKey(this.o.view(), clientKey);
    const role = rec && rec.org !== null ? CONTEXT_OF[rec.role] : undefined;
    if (!rec || !role || role.kind === 'patient') throw badClient('the client is not an active service or practitioner key of an organisation');
    const granted = inContexts(parseScopes(scope).scopes, [role.context]);
    if (granted.length === 0) throw new OAuthError(400, 'invalid_scope', `a ${rec.role} key may hold ${role.context}/ resource scopes only, e.g. ${role.context}/*.rs`);
    return this.issue({ kind: role.kind, clientKey, org: rec.org, patient: null, scopes: granted });
  }

  /** Verifies the assertion (RFC 7523 §3) and remembers its jti; returns the client key. */
  private async verifyAssertion(assertion: string, clientId: string | undefined): Promise<string> {
    let iss: unknown;
    try {
      iss = decodeJwt(assertion).iss;
    } catch {
      throw badClient('client_assertion is not a JWT');
    }
    if (typeof iss !== 'string' || !HEX_KEY.test(iss)) throw badClient('the assertion iss must be the client id: its signing key in lower-case hex');
    if (clientId !== undefined && clientId !== iss) throw badClient('client_id differs from the assertion iss');
    let claims: JWTPayload;
    const now = this.o.clock.now();
    try {
      const expect = { algorithms: ['EdDSA'], issuer: iss, subject: iss, audience: this.o.tokenUrl(), requiredClaims: ['exp', 'jti'], clockTolerance: SKEW_S, currentDate: new Date(now) };
      ({ payload: claims } = await jwtVerify(assertion, await okpKey(fromHex(iss, 32)), expect));
    } catch (e) {
      throw badClient(`the assertion is not valid: ${e instanceof jose.JOSEError ? e.message : 'bad key'}`);
    }
    const nowS = now / 1000;
    const exp = claims.exp!;
    if (exp > nowS + ASSERTION_LIFETIME_MAX_S + SKEW_S || (typeof claims.iat === 'number' && exp - claims.iat > ASSERTION_LIFETIME_MAX_S)) {
      throw badClient(`the assertion exp is more than ${ASSERTION_LIFETIME_MAX_S} s ahead`);
    }
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) throw badClient('the assertion jti must be a string of 1-256 characters');
    const id = `${iss}:${claims.jti}`;
    if (this.assertionIds.has(id, now)) throw badClient('the assertion jti was already used');
    if (!this.assertionIds.add(id, (exp + SKEW_S) * 1000, now)) throw new OAuthError(429, 'invalid_request', 'this node holds the most unexpired assertions it remembers; retry shortly');
    return iss;
  }

  /** A patient's app answers a challenge with the patient's wallet key and gets patient/*.rs. */
  private async patientToken(body: unknown) {
    const { key, nonce, signature } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof key !== 'string' || !HEX_KEY.test(key) || typeof nonce !== 'string' || typeof signature !== 'string' || !/^[0-9a-fA-F]{128}$/.test(signature)) {
      throw badRequest('send JSON {key: 64 hex, nonce: from GET auth/challenge, signature: 128 hex}');
    }
    // consumed before the signature is checked: a nonce gets one answer, right or wrong
    if (!this.challenges.take(nonce, this.o.clock.now())) throw new OAuthError(400, 'invalid_grant', 'the nonce is unknown, expired or already used');
    const msg = signBytes('challenge', this.o.chainId, { nonce, aud: this.o.tokenUrl() });
    if (!this.ed.verify(fromHex(key, 32), msg, fromHex(signature, 64))) throw badClient('the signature does not verify for this key, nonce and token endpoint');
    const rec = activeKey(this.o.view(), key);
    if (!rec || rec.role !== 'patient' || !rec.patient) throw badClient('the key is not an active patient key');
    return this.issue({ kind: 'patient', clientKey: key, org: null, patient: rec.patient, scopes: PATIENT_SCOPES });
  }

  private async issue(c: Omit<FhirCaller, 'tokenId'>) {
    const scope = formatScopes(c.scopes);
    const nowS = Math.floor(this.o.clock.now() / 1000);
    // RFC 9068 access-token claims; aud is this node: only its FHIR server accepts its tokens
    const token = await new SignJWT({ scope, client_id: c.clientKey, kind: c.kind, org: c.org, patient: c.patient, chain: this.o.chainId })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt' })
      .setIssuer(this.nodeId).setAudience(this.nodeId).setSubject(c.clientKey).setJti(randomUUID())
      .setIssuedAt(nowS).setExpirationTime(nowS + this.ttlS)
      .sign(await this.signingKey);
    return { access_token: token, token_type: 'bearer', expires_in: this.ttlS, scope };
  }

  /**
   * The caller of a FHIR request, from its bearer token. BAD_SIGNATURE: no token, or not one this
   * node signed; REQUEST_EXPIRED: expired; UNREGISTERED_SIGNER: the client's key is no longer
   * active (or no longer in the role and organisation the token was issued for).
   */
  async authenticate(req: FastifyRequest): Promise<FhirCaller> {
    const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new SalusError('BAD_SIGNATURE', `send Authorization: Bearer <access token>, from ${this.o.tokenUrl()}`);
    let claims: JWTPayload;
    try {
      const expect = { algorithms: ['EdDSA'], typ: 'at+jwt', issuer: this.nodeId, audience: this.nodeId, requiredClaims: ['exp', 'jti', 'sub'], currentDate: new Date(this.o.clock.now()) };
      ({ payload: claims } = await jwtVerify(m[1]!, await this.verifyingKey, expect));
    } catch (e) {
      // jose checks the signature before the claims, so only this node's own tokens reach "expired"
      if (e instanceof jose.JWTExpired) throw new SalusError('REQUEST_EXPIRED', 'the access token has expired; request a new one');
      throw new SalusError('BAD_SIGNATURE', 'the access token was not issued by this node');
    }
    const { sub, kind, org, patient, scope, jti, chain } = claims as Record<string, unknown>;
    const scopes = typeof scope === 'string' ? parseScopes(scope) : undefined;
    if (chain !== this.o.chainId || typeof sub !== 'string' || typeof jti !== 'string' || !scopes || scopes.other.length > 0) {
      throw new SalusError('BAD_SIGNATURE', 'the access token is not one this node issues');
    }
    const rec = activeKey(this.o.view(), sub);
    const role = rec ? CONTEXT_OF[rec.role] : undefined;
    if (!rec || !role || role.kind !== kind || rec.org !== org || (kind === 'patient' && rec.patient !== patient)) {
      throw new SalusError('UNREGISTERED_SIGNER', 'the client key of this access token is no longer active');
    }
    return { kind: role.kind, clientKey: sub, org: rec.org, patient: rec.patient, scopes: scopes.scopes, tokenId: jti };
  }
}
