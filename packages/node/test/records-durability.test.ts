import { describe, expect, it } from 'vitest';
import { RecordsClient, Wallet } from '@salus/client';
import { startTestNode } from './harness.js';
import { observation } from './records-fixture.js';
import { waitFor } from './net-harness.js';

/** A read served just before the node stops is still disclosed on the ledger after it restarts. */
describe('records: disclosures survive a restart', () => {
  it('queued disclosures are committed after a restart, none lost', async () => {
    // a flush interval longer than the test: the served reads stay in the durable queue
    const t = await startTestNode({ options: { records: { flushMs: 600_000 } } });
    const patient = new RecordsClient(t.client, Wallet.create());
    const pid = await patient.registerPatient();
    const { record } = await patient.write(pid, observation('kept'));
    for (let i = 0; i < 5; i++) await patient.read(record, { version: 1 });
    expect(t.node.records.index.pendingCount).toBe(5);
    await t.node.stop();
    const t2 = await startTestNode({ home: t.home }, true);
    try {
      await waitFor(() => t2.node.records.index.pendingCount === 0, 10_000, 'the queued disclosures to commit');
      const again = new RecordsClient(t2.client, patient.wallet);
      const reads = (await again.disclosures()).filter((e) => e.kind === 'read:patient');
      expect(reads).toHaveLength(5);
      expect(new Set(reads.map((e) => e.detail?.nonce)).size).toBe(5);
    } finally {
      await t2.close();
    }
  });
});
