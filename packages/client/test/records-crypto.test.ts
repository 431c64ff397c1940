import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SalusError, randomBytes, toHex } from '@salus/core';
import { Wallet, blobHash, decodeEnvelope, openBlobs, recordAad, resourceLabels, rewrap, sealBlobs, sealKeyring, tag } from '../src/index.js';

/** Record cryptography in the client: envelopes bound to record/version/patient, re-wrapping, keyrings, tags. */
describe('record crypto', () => {
  it('every recipient opens; a changed record id, version or patient does not (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 3 }), async (plaintext, version, n) => {
        const ws = Array.from({ length: n }, () => Wallet.create());
        const record = `rec-${toHex(randomBytes(16))}`;
        const patient = `pat-${toHex(randomBytes(16))}`;
        const aad = recordAad(record, version, patient);
        const s = await sealBlobs(plaintext, ws.map((w) => w.encryptionPublicKey), aad);
        for (let i = 0; i < n; i++) expect(await ws[i]!.openRecord(s.content, s.envelopes[i]!.bytes, aad)).toEqual(plaintext);
        for (const other of [recordAad(record, version + 1, patient), recordAad(`rec-${toHex(randomBytes(16))}`, version, patient), recordAad(record, version, `pat-${toHex(randomBytes(16))}`)]) {
          await expect(ws[0]!.openRecord(s.content, s.envelopes[0]!.bytes, other)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
        }
      }),
      { numRuns: 25 },
    );
  });

  it('re-wrapping gives a new recipient the same data key, and only a holder can re-wrap', async () => {
    const [patient, grantee, stranger] = [Wallet.create(), Wallet.create(), Wallet.create()];
    const aad = recordAad(`rec-${'a'.repeat(32)}`, 1, `pat-${'b'.repeat(32)}`);
    const s = await sealBlobs(new TextEncoder().encode('{"resourceType":"Condition"}'), [patient.encryptionPublicKey], aad);
    const env = await patient.rewrap(s.envelopes[0]!.bytes, grantee.encryptionPublicKey, aad);
    expect(toHex(decodeEnvelope(env).recipient)).toBe(toHex(grantee.encryptionPublicKey));
    expect(new TextDecoder().decode(await grantee.openRecord(s.content, env, aad))).toContain('Condition');
    await expect(stranger.rewrap(s.envelopes[0]!.bytes, stranger.encryptionPublicKey, aad)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(rewrap(s.envelopes[0]!.bytes, randomBytes(32), grantee.encryptionPublicKey, aad)).rejects.toBeInstanceOf(SalusError);
  });

  it('malformed blobs give typed errors', async () => {
    const w = Wallet.create();
    const aad = recordAad(`rec-${'a'.repeat(32)}`, 1, `pat-${'b'.repeat(32)}`);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), async (a, b) => {
        const e = await openBlobs(a, b, randomBytes(32), aad).then(() => undefined, (x: unknown) => x);
        expect(e).toBeInstanceOf(SalusError);
      }),
      { numRuns: 100 },
    );
    expect(await w.openKeyring(await sealKeyring(randomBytes(32), [w.encryptionPublicKey], 'pat-x'), 'pat-x')).toHaveLength(32);
    await expect(w.openKeyring(await sealKeyring(randomBytes(32), [w.encryptionPublicKey], 'pat-x'), 'pat-y')).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    await expect(Wallet.create().openKeyring(await sealKeyring(randomBytes(32), [w.encryptionPublicKey], 'pat-x'), 'pat-x')).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
  });

  it('labels name the type and each coding of code and category; tags are keyed, so two patients differ', () => {
    const obs = {
      resourceType: 'Observation',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }, { system: 'http://snomed.info/sct', code: '364075005' }] },
    };
    expect(resourceLabels(obs)).toEqual([
      'type:Observation',
      'code:Observation|http://loinc.org|8867-4',
      'code:Observation|http://snomed.info/sct|364075005',
      'category:Observation|http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
    ]);
    expect(resourceLabels({ resourceType: 'Immunization', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '207' }] } })).toContain('code:Immunization|http://hl7.org/fhir/sid/cvx|207');
    expect(() => resourceLabels({ resourceType: 'not a type' })).toThrow(SalusError);
    expect(() => resourceLabels({})).toThrow(SalusError);
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    expect(tag(k1, 'type:Observation')).toBe(tag(k1, 'type:Observation'));
    expect(tag(k1, 'type:Observation')).not.toBe(tag(k2, 'type:Observation'));
    expect(tag(k1, 'type:Observation')).not.toBe(tag(k1, 'type:Condition'));
    expect(blobHash(new Uint8Array([1]))).toMatch(/^[0-9a-f]{64}$/);
  });
});
