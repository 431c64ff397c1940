import { isSalusError, type SalusError } from '@salus/core';
import { createContractHarness, type ContractHarness } from '@salus/contracts/harness';
import { beforeEach, describe, expect, it } from 'vitest';

const provider = 'a'.repeat(64);
const payer = 'b'.repeat(64);
const stranger = 'c'.repeat(64);
const entry = new URL('./invoices.ts', import.meta.url).pathname;

function rejects(f: () => unknown, code: string, reason?: string): SalusError {
  try {
    f();
  } catch (e) {
    expect(isSalusError(e)).toBe(true);
    expect((e as SalusError).code).toBe(code);
    if (reason) expect((e as SalusError).meta.reason).toBe(reason);
    return e as SalusError;
  }
  return expect.fail(`expected ${code}`);
}

describe('invoices contract', () => {
  let h: ContractHarness;
  const asPayer = { signer: payer, roles: [] };
  beforeEach(async () => {
    h = await createContractHarness({ entry, name: 'invoices', signer: provider, roles: ['hospital'], height: 10, time: 1_700_000_000_000 });
  });

  it('issues, approves and pays an invoice, keeping the pair balance and emitting events', () => {
    const issued = h.call('issue', { id: 'inv-1', payer, amount: 12_500, ref: 'PO-77' });
    expect(issued.value).toMatchObject({ id: 'inv-1', provider, payer, amount: 12_500, status: 'issued', issuedAt: 1_700_000_000_000 });
    expect(issued.events).toEqual([{ contract: 'invoices', type: 'invoice.issued', attributes: { id: 'inv-1', provider, payer, amount: 12_500 } }]);
    expect(h.query('balance', { provider, payer }).value).toEqual({ outstanding: 12_500, paid: 0, invoices: 1 });
    expect(h.query('open', { payer }).value).toEqual([{ id: 'inv-1', amount: 12_500 }]);

    expect(h.call('approve', { id: 'inv-1' }, asPayer).events[0]!.type).toBe('invoice.approved');
    const paid = h.call('pay', { id: 'inv-1' }, asPayer);
    expect(paid.value).toMatchObject({ status: 'paid' });
    expect(h.query('balance', { provider, payer }).value).toEqual({ outstanding: 0, paid: 12_500, invoices: 1 });
    expect(h.query('open', { payer }).value).toEqual([]);
  });

  it('settles a dispute at a lower amount, then takes payment of it', () => {
    h.call('issue', { id: 'inv-2', payer, amount: 10_000 });
    expect(h.call('dispute', { id: 'inv-2', note: 'two items were not delivered' }, asPayer).value).toMatchObject({ status: 'disputed', note: 'two items were not delivered' });
    rejects(() => h.call('settle', { id: 'inv-2', amount: 20_000 }), 'CONTRACT_FAILED', 'INVALID_ARGS');
    h.call('settle', { id: 'inv-2', amount: 8_000 });
    expect(h.query('balance', { provider, payer }).value).toMatchObject({ outstanding: 8_000 });
    h.call('pay', { id: 'inv-2' }, asPayer);
    expect(h.query('balance', { provider, payer }).value).toEqual({ outstanding: 0, paid: 8_000, invoices: 1 });
  });

  it('cancels an issued invoice', () => {
    h.call('issue', { id: 'inv-3', payer, amount: 500 });
    h.call('cancel', { id: 'inv-3' });
    expect(h.query('invoice', { id: 'inv-3' }).value).toMatchObject({ status: 'cancelled' });
    expect(h.query('balance', { provider, payer }).value).toMatchObject({ outstanding: 0 });
  });

  it('checks roles and parties', () => {
    rejects(() => h.call('issue', { id: 'x', payer, amount: 1 }, { roles: [] }), 'CONTRACT_FAILED');
    h.call('issue', { id: 'inv-4', payer, amount: 100 });
    rejects(() => h.call('approve', { id: 'inv-4' }, { signer: stranger }), 'CONTRACT_FORBIDDEN');
    rejects(() => h.call('approve', { id: 'inv-4' }), 'CONTRACT_FORBIDDEN'); // the provider is not the payer
    rejects(() => h.call('cancel', { id: 'inv-4' }, asPayer), 'CONTRACT_FORBIDDEN');
  });

  it('refuses bad transitions and arguments, and leaves state untouched when it does', () => {
    h.call('issue', { id: 'inv-5', payer, amount: 100 });
    const before = h.entries();
    rejects(() => h.call('pay', { id: 'inv-5' }, asPayer), 'CONTRACT_FAILED', 'BAD_TRANSITION');
    rejects(() => h.call('issue', { id: 'inv-5', payer, amount: 100 }), 'CONTRACT_FAILED', 'EXISTS');
    rejects(() => h.call('issue', { id: 'inv-6', payer, amount: -1 }), 'CONTRACT_FAILED', 'INVALID_ARGS');
    rejects(() => h.call('issue', { id: 'inv-6', payer: provider, amount: 1 }), 'CONTRACT_FAILED', 'INVALID_ARGS');
    rejects(() => h.call('issue', { id: 'inv-6', payer, amount: 1.5 }), 'CONTRACT_VALUE');
    rejects(() => h.call('dispute', { id: 'inv-5', note: '' }, asPayer), 'CONTRACT_FAILED', 'INVALID_ARGS');
    rejects(() => h.query('invoice', { id: 'nope' }), 'CONTRACT_FAILED', 'NOT_FOUND');
    expect(h.entries()).toEqual(before);
  });

  it('pages the payer s open invoices in id order', () => {
    for (let i = 0; i < 60; i++) h.call('issue', { id: `n-${String(i).padStart(3, '0')}`, payer, amount: 100 + i });
    const first = h.query('open', { payer }).value as { id: string }[];
    expect(first).toHaveLength(50);
    expect(first[0]!.id).toBe('n-000');
    const rest = h.query('open', { payer, after: first[49]!.id }).value as { id: string }[];
    expect(rest.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `n-${String(50 + i).padStart(3, '0')}`));
  });

  it('refuses writes in a query', () => {
    rejects(() => h.query('issue', { id: 'q', payer, amount: 1 }), 'CONTRACT_FORBIDDEN');
  });

  it('uses the same gas for the same call on the same state', async () => {
    const other = await createContractHarness({ entry, name: 'invoices', signer: provider, roles: ['hospital'], runtime: h.runtime });
    const a = h.call('issue', { id: 'g-1', payer, amount: 1 }).gasUsed;
    expect(other.call('issue', { id: 'g-1', payer, amount: 1 }).gasUsed).toBe(a);
    expect(h.call('approve', { id: 'g-1' }, asPayer).gasUsed).toBe(other.call('approve', { id: 'g-1' }, asPayer).gasUsed);
  });
});
