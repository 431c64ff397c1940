import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureDocument } from '../src/epcis/document.js';
import { EXAMPLES, exampleFiles } from './examples.js';

/**
 * GS1's 47 official example documents through capture's stateless checks (schema, identifiers,
 * CBV); the query document is refused as not a capture document. Broken copies of them are refused
 * with the event and field named.
 */
describe("GS1's examples through capture's document checks", () => {
  it('reads all 46 capture documents and refuses the query document', () => {
    const files = exampleFiles();
    expect(files).toHaveLength(47);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (f.endsWith('EPCISQueryDocument.jsonld')) expect(() => readCaptureDocument(text)).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID' }));
      else expect(readCaptureDocument(text).events.length, f).toBeGreaterThan(0);
    }
  });

  it('names the event and field of a schema failure, a bad check digit and a non-CBV value', () => {
    const doc = JSON.parse(readFileSync(join(EXAMPLES, 'Example_9.6.1-ObjectEvent.jsonld'), 'utf8'));
    const broken = (f: (d: typeof doc) => void) => {
      const d = structuredClone(doc);
      f(d);
      return JSON.stringify(d);
    };
    expect(() => readCaptureDocument(broken((d) => delete d.epcisBody.eventList[1].eventTime))).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID', meta: expect.objectContaining({ event: 1 }) }));
    expect(() => readCaptureDocument(broken((d) => (d.epcisBody.eventList[0].action = 'SHIP')))).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID', meta: expect.objectContaining({ event: 0 }) }));
    expect(() => readCaptureDocument(broken((d) => (d.epcisBody.eventList[1].epcList = ['https://id.gs1.org/01/00614141777779/21/1'])))).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID', meta: expect.objectContaining({ event: 1, field: 'epcList[0]' }) }));
    expect(() => readCaptureDocument(broken((d) => (d.epcisBody.eventList[0].bizStep = 'https://ref.gs1.org/cbv/BizStep-teleporting')))).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID', meta: expect.objectContaining({ event: 0, field: 'bizStep' }) }));
    expect(() => readCaptureDocument('{"type": "EPCISDocument"')).toThrow(expect.objectContaining({ code: 'EPCIS_INVALID' }));
    const many = broken((d) => (d.epcisBody.eventList = Array.from({ length: 501 }, () => d.epcisBody.eventList[0])));
    expect(() => readCaptureDocument(many)).toThrow(expect.objectContaining({ code: 'EPCIS_CAPTURE_LIMIT' }));
  });
});
