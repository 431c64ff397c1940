import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode } from '@salus/core';
import { Overlay, compareKeys, type ListOptions, type RawReader } from '../src/index.js';

/** Ordered iteration through stacked overlays equals iteration over the model of all their writes. */
class Sorted implements RawReader {
  constructor(readonly values: Map<string, Uint8Array>) {}
  getRaw(key: string) {
    return this.values.get(key);
  }
  listRaw(prefix: string, o: ListOptions): [string, Uint8Array][] {
    return [...this.values.entries()]
      .filter(([k]) => k.startsWith(prefix) && (o.after === undefined || compareKeys(k, o.after) > 0))
      .sort(([a], [b]) => compareKeys(a, b))
      .slice(0, o.limit);
  }
}

const key = fc.stringMatching(/^[ab]{0,3}$/).map((s) => `m/${s}`);
const op = fc.oneof(fc.record({ set: key, value: fc.integer({ min: 0, max: 9 }) }), fc.record({ del: key }));

describe('KV.list through overlays', () => {
  it('agrees with a model of the committed state plus every overlay write, for any prefix, start and limit (property)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), fc.array(op, { maxLength: 8 }), fc.array(op, { maxLength: 8 }), fc.stringMatching(/^m\/[ab]{0,2}$/), fc.option(key, { nil: undefined }), fc.integer({ min: 0, max: 10 }), (base, mid, top, prefix, after, limit) => {
        const model = new Map<string, number>();
        const committed = new Map<string, Uint8Array>();
        for (const o of base) {
          if ('set' in o) {
            committed.set(o.set, encode(o.value));
            model.set(o.set, o.value);
          } else {
            committed.delete(o.del);
            model.delete(o.del);
          }
        }
        const block = new Overlay(new Sorted(committed));
        const tx = new Overlay(block);
        for (const [kv, ops] of [[block, mid], [tx, top]] as const) {
          for (const o of ops) {
            if ('set' in o) {
              kv.set(o.set, o.value);
              model.set(o.set, o.value);
            } else {
              kv.delete(o.del);
              model.delete(o.del);
            }
          }
        }
        const expected = [...model.entries()]
          .filter(([k]) => k.startsWith(prefix) && (after === undefined || compareKeys(k, after) > 0))
          .sort(([a], [b]) => compareKeys(a, b))
          .slice(0, limit);
        expect(tx.list(prefix, { ...(after === undefined ? {} : { after }), limit })).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('compares keys as UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 sorts after U+1F600 in UTF-16 units but before it in UTF-8 bytes
    expect(compareKeys('\uff61', '\u{1f600}')).toBeLessThan(0);
    expect('\uff61' < '\u{1f600}').toBe(false);
  });
});
