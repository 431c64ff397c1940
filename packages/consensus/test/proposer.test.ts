import { describe, expect, it } from 'vitest';
import { createValidatorSet, proposerIndex } from '../src/index.js';
import { makeKeys } from './helpers/fixture.js';

const setOf = (powers: number[]) => createValidatorSet(makeKeys(powers.length, 3).map((k, i) => ({ pubKey: k.pubKey, power: powers[i]! })), 1000);

describe('proposer selection', () => {
  it('is a function of (set, height, round), whatever order the set is given in', () => {
    const keys = makeKeys(5, 3);
    const a = createValidatorSet(keys.map((k, i) => ({ pubKey: k.pubKey, power: i + 1 })), 100);
    const b = createValidatorSet([...keys].reverse().map((k) => ({ pubKey: k.pubKey, power: keys.indexOf(k) + 1 })), 100);
    for (let h = 1; h < 50; h++) for (let r = 0; r < 4; r++) expect(a.validators[proposerIndex(a, h, r)]!.pubKey).toBe(b.validators[proposerIndex(b, h, r)]!.pubKey);
  });
  it('gives each validator a share of slots close to its share of power', () => {
    const powers = [50, 30, 10, 7, 3];
    const set = setOf(powers);
    const counts = new Array(powers.length).fill(0);
    const slots = 100_000;
    for (let k = 1; k <= slots; k++) counts[proposerIndex(set, k, 0)]++;
    set.validators.forEach((v, i) => expect(Math.abs(counts[i] / slots - v.power / 100)).toBeLessThan(0.002));
  });
  it('never gives a validator with less than 38 % of the power two slots in a row', () => {
    const set = setOf([37, 21, 20, 12, 10]);
    for (let k = 1; k < 20_000; k++) {
      const i = proposerIndex(set, k, 0);
      if (set.validators[i]!.power < 38) expect(proposerIndex(set, k + 1, 0)).not.toBe(i);
    }
  });
  it('visits every validator of 4 equal ones within 8 consecutive rounds', () => {
    const set = setOf([1, 1, 1, 1]);
    for (let h = 1; h < 2000; h++) {
      const seen = new Set(Array.from({ length: 8 }, (_, r) => proposerIndex(set, h, r)));
      expect(seen.size).toBe(4);
    }
  });
  it('works for very large powers and heights', () => {
    const set = setOf([2 ** 40, 2 ** 40 + 1, 3]);
    for (const h of [1, 2 ** 32, 2 ** 52]) expect(proposerIndex(set, h, 7)).toBeLessThan(3);
  });
  it('refuses malformed validator sets', () => {
    const [k] = makeKeys(1, 3);
    for (const bad of [[], [{ pubKey: k!.pubKey, power: 0 }], [{ pubKey: k!.pubKey, power: 1 }, { pubKey: k!.pubKey, power: 2 }], [{ pubKey: new Uint8Array(31), power: 1 }], [{ pubKey: k!.pubKey, power: 1.5 }]]) {
      expect(() => createValidatorSet(bad, 10)).toThrowError(expect.objectContaining({ code: 'CONFIG' }));
    }
  });
});
