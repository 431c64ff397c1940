import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SalusClient, SupplyClient } from '@salus/client';
import { seedSupply, supplyDemoLines, type DemoSupply } from '../src/demo/supply.js';
import { startTestNode, tempDir, type TestNode } from './harness.js';

/**
 * `npm start`'s traceability demo on a node started here (one founding organisation, so the
 * regulator, manufacturer, wholesaler and pharmacy are added by governance), and the printed
 * `salus supply` commands run as real processes (the built CLI): the good pack verifies, the
 * counterfeit, the clone and the recalled pack do not, each with its reason.
 */
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
let t: TestNode;
let dir: string;
let demo: DemoSupply;

beforeAll(async () => {
  t = await startTestNode();
  dir = tempDir('salus-supply-demo-');
  demo = await seedSupply([{ id: t.orgId, kind: 'hospital', url: t.url, admin: t.admin }], { dir, packs: 200 });
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

function salus(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 40_000);
  return new Promise((resolve) => proc.on('close', (code) => (clearTimeout(timer), resolve({ code, ...out }))));
}

describe("npm start's traceability demo", () => {
  it('plants a good pack, a counterfeit, a cloned code and a recalled lot, and prints commands that tell them apart', async () => {
    const lines = supplyDemoLines(demo);
    const verify = lines.filter((l) => l.includes('supply verify'));
    expect(verify).toHaveLength(4);
    const outcomes: { valid: boolean; reason?: string; code: number | null }[] = [];
    for (const line of verify) {
      const args = line.replace(/#.*$/, '').trim().split(/\s+/).slice(2);
      const r = await salus(args);
      outcomes.push({ ...(JSON.parse(r.stdout) as { valid: boolean; reason?: string }), code: r.code });
    }
    expect(outcomes.map((o) => [o.valid, o.reason, o.code])).toEqual([
      [true, undefined, 0],
      [false, 'unknown-serial', 2],
      [false, 'already-dispensed', 2],
      [false, 'recalled', 2],
    ]);
    const trace = await salus(lines.find((l) => l.includes('supply trace'))!.trim().split(/\s+/).slice(2));
    expect(trace.code, trace.stderr).toBe(0);
    expect(JSON.parse(trace.stdout)).toMatchObject({ verified: true, pack: { status: 'packed', owner: demo.pharmacy } });
    const all = await new SupplyClient(new SalusClient({ url: t.url })).allEvents({ EQ_bizStep: 'shipping', perPage: 1 });
    expect(all).toHaveLength(2);
  });

  it('captures a document from a file with `salus supply capture` and recalls with `salus supply recall`', async () => {
    const key = join(demo.keysDir, 'demo-manufacturer-admin.json');
    const file = join(dir, 'observe.jsonld');
    writeFileSync(file, JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2026-01-01T00:00:00Z', epcisBody: { eventList: [{ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'inspecting', eventTime: new Date(Date.now() - 60_000).toISOString(), eventTimeZoneOffset: '+00:00', epcList: [`urn:epc:id:sgtin:0355555.012345.${demo.good}`] }] } }));
    const cap = await salus(['supply', 'capture', file, '--key', key, '--node', t.url]);
    expect(cap.code, cap.stderr).toBe(0);
    expect(JSON.parse(cap.stdout)).toMatchObject({ success: true });
    const again = await salus(['supply', 'recall', '--gtin', demo.gtin, '--lot', demo.recalled.lot, '--reason', 'twice', '--key', key, '--node', t.url]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('CONFLICT');
  });
});
