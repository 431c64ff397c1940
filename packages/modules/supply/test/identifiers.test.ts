import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkDigit, parseId } from '../src/epcis/identifiers.js';

/**
 * GS1 identifiers in both spellings: check digits (GS1's mod-10), EPC URNs and Digital Link URIs
 * meeting in one key, and malformed ones refused with EPCIS_INVALID naming the field.
 */
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));

describe('GS1 identifiers', () => {
  it('computes the check digits of known keys', () => {
    // published keys: a GTIN-13 from a retail pack, GS1's example SSCC and GTIN-14
    expect(checkDigit('400638133393')).toBe(1);
    expect(checkDigit('10614141234567890')).toBe(8);
    expect(checkDigit('0061414112345')).toBe(2);
  });

  it('gives an SGTIN the same key as EPC URN and as Digital Link, and refuses any other check digit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 6, max: 12 }), digits(13), fc.stringMatching(/^[A-Za-z0-9]{1,20}$/), (cpLen, body, serial) => {
        const cp = body.slice(1, 1 + cpLen);
        const ref = body[0] + body.slice(1 + cpLen);
        const gtin = body + checkDigit(body);
        const urn = parseId(`urn:epc:id:sgtin:${cp}.${ref}.${serial}`, 'epc');
        const dl = parseId(`https://id.gs1.org/01/${gtin}/21/${serial}`, 'epc');
        expect(urn).toMatchObject({ kind: 'sgtin', digits: gtin, serial, companyPrefix: cp });
        expect(dl.key).toBe(urn.key);
        const wrong = (Number(gtin.slice(-1)) + 1) % 10;
        expect(() => parseId(`https://id.gs1.org/01/${body}${wrong}/21/${serial}`, 'epcList[0]')).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID', meta: expect.objectContaining({ field: 'epcList[0]' }) }));
      }),
    );
  });

  it('reads SSCC, SGLN, LGTIN and PGLN in both spellings', () => {
    expect(parseId('urn:epc:id:sscc:0614141.1234567890', 'x')).toMatchObject({ kind: 'sscc', digits: '106141412345678908' });
    expect(parseId('https://id.gs1.org/00/106141412345678908', 'x').key).toBe('sscc:106141412345678908');
    expect(parseId('urn:epc:id:sgln:0614141.00777.0', 'x').key).toBe(parseId('https://id.gs1.org/414/0614141007776', 'x').key);
    expect(parseId('urn:epc:id:sgln:0614141.00888.1', 'x').key).toBe(parseId('https://id.gs1.org/414/0614141008889/254/1', 'x').key);
    expect(parseId('urn:epc:class:lgtin:4012345.012345.998877', 'x')).toMatchObject({ kind: 'lgtin', digits: '04012345123456', lot: '998877' });
    expect(parseId('urn:epc:id:pgln:0614141.00001', 'x').key).toBe(parseId('https://id.gs1.org/417/0614141000012', 'x').key);
    expect(parseId('urn:epc:id:grai:0614141.12345.400', 'x').kind).toBe('other');
  });

  it('refuses malformed GS1 identifiers with the field named', () => {
    for (const bad of ['urn:epc:id:sgtin:0614141.107346', 'urn:epc:id:sgtin:0614141.10734.2017', 'urn:epc:id:sgtin:06141.1073467.1', 'urn:epc:id:sscc:0614141.12345', 'https://id.gs1.org/01/12345/21/1', 'https://id.gs1.org/01/04012345123457/21/1', 'https://id.gs1.org/01/04012345123456/21/' + 'x'.repeat(21), 'urn:epc:id:sgtin:0614141.107346.a#b']) {
      expect(() => parseId(bad, 'epcList[2]'), bad).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID', meta: expect.objectContaining({ field: 'epcList[2]' }) }));
    }
  });
});
