import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SalusError } from '@salus/core';
import { PURPOSES, type Purpose } from '@salus/client';
import { keyKey, orgKey, patientKey } from '@salus/identity';
import { RECORDS_TX_TYPES, parseRecordsPayload, type GrantState, type RecordState, type VersionState, allowedRecipients, party, patientRecordsKey, readBasis } from '@salus/records';
import { Overlay } from '@salus/module';

/**
 * The consent rules as pure functions of state, checked against a plain oracle over random grant
 * sets, readers, purposes and times: a read is allowed by a grant exactly when a live grant to the
 * reader (or its organisation) covers the version for that purpose; an envelope recipient is
 * allowed only with such a grant (or as patient or author).
 */
const hex = (c: string) => c.repeat(64);
const PATIENT = 'pat-' + '1'.repeat(32);
const RECORD = 'rec-' + '2'.repeat(32);
const TAGS = [hex('a'), hex('b'), hex('c')];
const keys = { patient: hex('0'), drA: hex('3'), drB: hex('4'), app: hex('5') };
const enc = { patient: hex('6'), orgA: hex('7'), orgB: hex('8'), drA: hex('9'), drB: hex('d'), app: hex('e') };

function world(grants: GrantState[]): Overlay {
  const kv = new Overlay({ getRaw: () => undefined });
  kv.set(patientKey(PATIENT), { signingKey: keys.patient, encryptionKey: enc.patient, onboardedBy: null, since: 1 });
  kv.set(orgKey('org-a'), { id: 'org-a', name: 'A', kind: 'hospital', admin: hex('f'), encryptionKey: enc.orgA, since: 0 });
  kv.set(orgKey('org-b'), { id: 'org-b', name: 'B', kind: 'clinic', admin: hex('f'), encryptionKey: enc.orgB, since: 0 });
  const member = (org: string, e: string) => ({ role: 'practitioner', org, encryptionKey: e, name: 'x', status: 'active', since: 1, patient: null });
  kv.set(keyKey(keys.drA), member('org-a', enc.drA));
  kv.set(keyKey(keys.drB), member('org-b', enc.drB));
  kv.set(patientRecordsKey(PATIENT), { keyring: null, grants, emergency: [], erased: null });
  return kv;
}

const grantArb: fc.Arbitrary<GrantState> = fc.record({
  id: fc.constantFrom('g1', 'g2', 'g3', 'g4'),
  grantee: fc.constantFrom<GrantState['grantee']>({ org: 'org-a' }, { org: 'org-b' }, { key: keys.drB, encryptionKey: enc.drB }, { key: keys.app, encryptionKey: enc.app }),
  scope: fc.oneof(fc.constant({ all: true as const }), fc.record({ tags: fc.subarray(TAGS, { minLength: 1 }) }), fc.record({ records: fc.constantFrom([RECORD], ['rec-' + '9'.repeat(32)]) })),
  actions: fc.subarray(['read', 'write'] as const, { minLength: 1 }),
  purposes: fc.subarray([...PURPOSES], { minLength: 1 }),
  until: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null }),
  status: fc.constantFrom('active' as const, 'revoked' as const),
  since: fc.constant(1),
  revokedAt: fc.constant(null),
});

function oracle(grants: GrantState[], reader: string, readerOrg: string | null, tags: string[], purpose: Purpose, now: number): boolean {
  return grants.some((g) => {
    if (g.status !== 'active' || (g.until !== null && g.until <= now) || !g.actions.includes('read') || !g.purposes.includes(purpose)) return false;
    const who = 'org' in g.grantee ? g.grantee.org === readerOrg : g.grantee.key === reader;
    const covers = 'all' in g.scope ? true : 'records' in g.scope ? g.scope.records.includes(RECORD) : g.scope.tags.some((t) => tags.includes(t));
    return who && covers;
  });
}

describe('records consent rules', () => {
  it('readBasis allows by grant exactly when the oracle does (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(grantArb, { selector: (g) => g.id, maxLength: 4 }),
        fc.constantFrom(['drB', 'org-b'] as const, ['app', null] as const),
        fc.subarray(TAGS),
        fc.constantFrom(...PURPOSES),
        fc.integer({ min: 0, max: 2500 }),
        (grants, [who, org], tags, purpose, now) => {
          const kv = world(grants);
          const rec: RecordState = { patient: PATIENT, org: 'org-a', latest: 1, created: 1 };
          const ver = { tags, emergency: false, org: 'org-a', envelopes: [] } as unknown as VersionState;
          const key = keys[who];
          let allowed: boolean;
          try {
            allowed = readBasis(kv, party(kv, key), RECORD, rec, ver, purpose, now) === 'grant';
          } catch (e) {
            expect(e).toBeInstanceOf(SalusError);
            expect((e as SalusError).code).toBe('CONSENT_REQUIRED');
            allowed = false;
          }
          expect(allowed).toBe(oracle(grants, key, org, tags, purpose, now));
          // an envelope recipient is allowed exactly with a live read grant covering the version (any purpose), or as patient or author
          const rcpt = allowedRecipients(kv, { patient: PATIENT, record: RECORD, tags, emergency: false, org: 'org-a', writer: undefined, now });
          const granted = (match: (g: GrantState) => boolean) => PURPOSES.some((p) => oracle(grants.filter(match), '-', null, tags, p, now) || oracle(grants.filter(match), keys.drB, 'org-b', tags, p, now) || oracle(grants.filter(match), keys.app, null, tags, p, now));
          expect(rcpt.has(enc.orgB)).toBe(granted((g) => 'org' in g.grantee && g.grantee.org === 'org-b'));
          expect(rcpt.has(enc.app)).toBe(granted((g) => 'key' in g.grantee && g.grantee.key === keys.app));
          expect(rcpt.has(enc.drB)).toBe(granted((g) => 'key' in g.grantee && g.grantee.key === keys.drB));
          expect(rcpt.has(enc.patient) && rcpt.has(enc.orgA)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the patient and the author always read; a stranger never', () => {
    const kv = world([]);
    const rec: RecordState = { patient: PATIENT, org: 'org-a', latest: 1, created: 1 };
    const ver = { tags: [], emergency: true, org: 'org-a', envelopes: [] } as unknown as VersionState;
    expect(readBasis(kv, party(kv, keys.patient), RECORD, rec, ver, 'research', 0)).toBe('patient');
    expect(readBasis(kv, party(kv, keys.drA), RECORD, rec, ver, 'treatment', 0)).toBe('author');
    expect(() => readBasis(kv, party(kv, keys.drB), RECORD, rec, ver, 'emergency', 0)).toThrow(expect.objectContaining({ code: 'CONSENT_REQUIRED' }));
  });

  it('any payload either parses or is refused with a typed error, never anything else (fuzz)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RECORDS_TX_TYPES), fc.anything({ maxDepth: 3 }), (type, payload) => {
        try {
          parseRecordsPayload(type, payload as never);
        } catch (e) {
          expect(e).toBeInstanceOf(SalusError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
