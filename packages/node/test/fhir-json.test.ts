import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RawJson, parseFhir, rawOf, stringifyFhir, writeAnswer } from '@salus/fhir';

describe('FHIR answers as JSON text', () => {
  it('writes what lossless-json writes, decimals as they came (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = JSON.stringify(v);
        const parsed = parseFhir(text);
        expect(writeAnswer(parsed)).toBe(stringifyFhir(parsed));
        expect(JSON.parse(writeAnswer(parsed))).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
    const decimals = parseFhir('{"valueQuantity":{"value":1.50,"unit":"mg"},"n":[1e3,-0.0,12345678901234567890]}');
    expect(writeAnswer(decimals)).toBe('{"valueQuantity":{"value":1.50,"unit":"mg"},"n":[1e3,-0.0,12345678901234567890]}');
  });

  it('splices a cached resource as it is, and leaves out what JSON leaves out', () => {
    const resource = parseFhir('{"resourceType":"Observation","id":"x","valueQuantity":{"value":72.0}}') as object;
    expect(rawOf(resource)).toBe(rawOf(resource)); // written once
    const bundle = { resourceType: 'Bundle', entry: [{ resource: rawOf(resource), search: { mode: 'match' } }], skipped: undefined, at: new Date(0) };
    expect(writeAnswer(bundle)).toBe('{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"x","valueQuantity":{"value":72.0}},"search":{"mode":"match"}}],"at":"1970-01-01T00:00:00.000Z"}');
    expect(writeAnswer([undefined, new RawJson('1.10')])).toBe('[null,1.10]');
  });
});
