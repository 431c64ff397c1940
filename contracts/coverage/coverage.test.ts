import type { SalusError } from '@salus/core';
import { createContractHarness, type ContractHarness } from '@salus/contracts/harness';
import { beforeEach, describe, expect, it } from 'vitest';

const provider = 'a'.repeat(64);
const entry = new URL('./coverage.ts', import.meta.url).pathname;

describe('coverage contract', () => {
  let h: ContractHarness;
  beforeEach(async () => {
    h = await createContractHarness({ entry, name: 'coverage', signer: provider, roles: ['hospital'], height: 10, time: 1_700_000_000_000 });
  });

  it('adjudicates lines (covered, capped, excluded), pays a claim once and keeps what is owed', () => {
    const lines = [
      { code: '99213', diagnosis: ['J20.9'], amount: 12_000 },
      { code: '27447', diagnosis: ['M17.11'], amount: 900_000 },
      { code: '15780', diagnosis: ['Z41.1'], amount: 300_000 },
    ];
    const out = h.call('submit', { id: 'c-1', patient: 'Patient/1', lines });
    expect(out.value).toEqual({ claim: 'c-1', payable: 512_000 });
    expect(out.events).toEqual([{ contract: 'coverage', type: 'claim.adjudicated', attributes: { claim: 'c-1', payable: 512_000 } }]);
    expect((h.query('claim', { id: 'c-1' }).value as { decisions: { reason: string }[] }).decisions.map((d) => d.reason)).toEqual(['covered', 'capped', 'excluded']);
    expect(h.query('owed', { provider }).value).toBe(512_000);
    const again = (() => {
      try {
        h.call('submit', { id: 'c-1', patient: 'Patient/1', lines });
      } catch (e) {
        return e as SalusError;
      }
    })();
    expect(again?.meta.reason).toBe('DUPLICATE');
    expect(h.query('owed', { provider }).value).toBe(512_000);
  });

  it('refuses a claim from an organisation that is not a provider, and malformed claims', () => {
    const reason = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as SalusError).meta.reason;
      }
    };
    expect(reason(() => h.call('submit', { id: 'c-2', patient: 'P', lines: [{ code: '1', diagnosis: [], amount: 1 }] }, { signer: 'b'.repeat(64), roles: ['insurer'] }))).toBe('FORBIDDEN');
    expect(reason(() => h.call('submit', { id: 'c 2', patient: 'P', lines: [] }))).toBe('INVALID_ARGS');
    expect(reason(() => h.call('submit', { id: 'c-3', patient: 'P', lines: [{ code: '1', diagnosis: ['x'], amount: 1 }] }))).toBe('INVALID_ARGS');
  });
});
