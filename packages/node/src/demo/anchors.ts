import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnchorsClient, SalusClient, Wallet } from '@salus/client';
import { sha256, toHex, type Canonical } from '@salus/core';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';

/** What the demo anchored (layer 2), for the commands the local network prints. */
export interface DemoAnchors {
  readonly node: string;
  readonly anchorer: string;
  readonly batch: number;
  /** the bedside monitor's key (a `device` member of the hospital) */
  readonly keyFile: string;
  readonly receiptsFile: string;
  readonly proofFile: string;
  readonly items: readonly string[];
}

const ed = createNativeEd25519();

/**
 * A bedside monitor of the hospital anchors a few readings through the hospital's node: only their
 * hashes leave the demo (the readings are synthetic and stay in demo/anchors/readings.json), the
 * node answers with one signed receipt, and once the batch is on the ledger the first reading's
 * proof is written next to the receipts. Undefined when that node anchors nothing.
 */
export async function seedAnchors(o: { url: string; org: string; admin: Wallet; dir: string }): Promise<DemoAnchors | undefined> {
  const client = new SalusClient({ url: o.url, ed });
  // a node that holds no organisation key anchors nothing (a single dev node, say): no demo items then
  if (!(await client.request<{ anchorer: string | null }>('GET', '/v1/anchors/node')).anchorer) return undefined;
  const dir = join(o.dir, 'anchors');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const monitor = Wallet.create(ed);
  await client.send(o.admin, 'identity', 'add_member', { org: o.org, signingKey: monitor.publicKeyHex, encryptionKey: toHex(monitor.encryptionPublicKey), role: 'device', name: 'Bedside monitor 1' } as Canonical);
  const keyFile = join(dir, 'bedside-monitor.json');
  writeFileSync(keyFile, JSON.stringify(monitor.export(), null, 2) + '\n', { mode: 0o600 });
  const readings = Array.from({ length: 5 }, (_, i) => ({ device: 'bedside-monitor-1', heartRate: 60 + i * 3, at: `2026-01-01T09:0${i}:00Z` }));
  writeFileSync(join(dir, 'readings.json'), JSON.stringify(readings, null, 2) + '\n');
  const anchors = new AnchorsClient(client, monitor);
  const r = await anchors.anchor(readings.map((x) => ({ kind: 'reading', label: 'demo', payload: sha256(new TextEncoder().encode(JSON.stringify(x))) })));
  const receiptsFile = join(dir, 'receipts.json');
  writeFileSync(receiptsFile, JSON.stringify(r.receipts, null, 2) + '\n');
  const { verified: _verified, ...proof } = await anchors.proof(r.receipts[0]!.item, { waitMs: 60_000 });
  const proofFile = join(dir, 'proof.json');
  writeFileSync(proofFile, JSON.stringify(proof, null, 2) + '\n');
  return { node: o.url, anchorer: r.anchorer, batch: r.batch, keyFile, receiptsFile, proofFile, items: r.receipts.map((x) => x.item) };
}
