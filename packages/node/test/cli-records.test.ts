import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestNode, tempDir, type TestNode } from './harness.js';
import { waitFor } from './net-harness.js';
import { observation } from './records-fixture.js';

/**
 * `salus records …` as real processes (the built CLI, packages/node/dist/cli/main.js) against a
 * node in this process: a patient registers and grants the founding hospital, a practitioner added
 * with `salus tx` writes from a file, the patient reads, lists, reads the accounting and revokes;
 * bad input exits 1 with "error CODE: sentence".
 */
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const running = new Set<ChildProcess>();
let dir: string;
let t: TestNode;
let url: string;
let adminKey: string;
const keyFile = (name: string) => join(dir, `${name}.json`);

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `salus …` to its end (killed after 20 s). */
function salus(...args: string[]): Promise<Exit> {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  running.add(proc);
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    proc.on('close', (code) => {
      clearTimeout(timer);
      running.delete(proc);
      resolve({ code, ...out });
    });
  });
}

/** `salus records <cmd> --node URL …`, expecting success, parsed. */
async function records<T = Record<string, unknown>>(cmd: string, ...args: string[]): Promise<T> {
  const r = await salus('records', cmd, '--node', url, ...args);
  expect(r.code, `records ${cmd}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as T;
}

function expectError(e: Exit, code: string, text?: string): void {
  expect(e.code, e.stderr).toBe(1);
  expect(e.stderr).toMatch(new RegExp(`^error ${code}: \\S.*$`, 'm'));
  if (text) expect(e.stderr).toContain(text);
}

beforeAll(async () => {
  if (!existsSync(MAIN)) expect.fail(`${MAIN} is missing: build with "npx tsc -b" first`);
  dir = tempDir('salus-cli-records-');
  t = await startTestNode();
  url = t.url;
  adminKey = join(t.home, 'keys', 'founding-hospital-admin.json');
});
afterAll(async () => {
  for (const p of running) p.kill('SIGKILL');
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('salus records', () => {
  let pid: string;
  let record: string;
  let dr: { signingKey: string; encryptionKey: string };
  let app: { signingKey: string; encryptionKey: string };

  it('a patient registers, grants the hospital; a practitioner added with salus tx writes from a file', async () => {
    const [p, d, a] = await Promise.all(['patient', 'dr', 'app'].map((k) => salus('keys', 'new', '--out', keyFile(k))));
    expect(p!.code, p!.stderr).toBe(0);
    dr = JSON.parse(d!.stdout) as typeof dr;
    app = JSON.parse(a!.stdout) as typeof app;
    const member = JSON.stringify({ org: 'founding-hospital', signingKey: dr.signingKey, encryptionKey: dr.encryptionKey, role: 'practitioner', name: 'Dr CLI' });
    const [added, reg] = await Promise.all([
      salus('tx', '--node', url, '--key', adminKey, '--module', 'identity', '--type', 'add_member', '--payload', member),
      records<{ patient: string }>('register', '--key', keyFile('patient')),
    ]);
    expect(added.code, added.stderr).toBe(0);
    pid = reg.patient;
    expect(pid).toMatch(/^pat-[0-9a-f]{32}$/);

    const g = await records<{ id: string; hash: string; rewrapped: number }>(
      'grant', '--key', keyFile('patient'), '--org', 'founding-hospital', '--scope', 'all', '--actions', 'read,write', '--purposes', 'treatment', '--until', '2099-12-31', '--id', 'hospital-care',
    );
    expect(g).toMatchObject({ id: 'hospital-care', hash: expect.stringMatching(/^[0-9a-f]{64}$/), rewrapped: 0 });

    writeFileSync(join(dir, 'obs.json'), JSON.stringify(observation('from the CLI')));
    const w = await records<{ record: string; version: number; hash: string; height: number }>('write', '--key', keyFile('dr'), '--org-key', adminKey, '--patient', pid, '--file', join(dir, 'obs.json'));
    expect(w).toMatchObject({ record: expect.stringMatching(/^rec-/), version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(w.height).toBeGreaterThan(0);
    record = w.record;
  });

  it('the patient reads the resource back and lists; the author reads; a grant by code lets an app read', async () => {
    const [r, l, byDr] = await Promise.all([
      records<{ resource: unknown; basis: string; version: number; tx: string; height: number }>('read', record, '--key', keyFile('patient'), '--purpose', 'patient-request'),
      records<{ patient: string; versions: { record: string; version: number }[] }>('list', '--key', keyFile('patient'), '--purpose', 'patient-request'),
      records<{ resource: unknown; basis: string }>('read', record, '--key', keyFile('dr'), '--org-key', adminKey, '--version', '1'),
    ]);
    expect(r.resource).toEqual(observation('from the CLI'));
    expect(r).toMatchObject({ basis: 'patient', version: 1, tx: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(l).toMatchObject({ patient: pid, versions: [{ record, version: 1 }] });
    expect(byDr).toMatchObject({ basis: 'author', resource: { note: [{ text: 'from the CLI' }] } });
    // the practitioner lists the patient's records by --patient
    const dl = await records<{ versions: { record: string }[] }>('list', '--key', keyFile('dr'), '--patient', pid);
    expect(dl.versions.map((v) => v.record)).toEqual([record]);
    // a grant to an application's key by code: the patient's wallet wraps the matching Observation for it
    const byCode = await records<{ id: string; rewrapped: number }>(
      'grant', '--key', keyFile('patient'), '--grantee-key', app.signingKey, '--grantee-enc', app.encryptionKey, '--scope', 'code:Observation|http://loinc.org|8867-4',
    );
    expect(byCode).toMatchObject({ id: expect.stringMatching(/^g-/), rewrapped: 1 });
    expect(await records('read', record, '--key', keyFile('app'))).toMatchObject({ basis: 'grant', resource: { note: [{ text: 'from the CLI' }] } });
  });

  it('revoke ends the grant; break-glass needs the emergency role; disclosures are verified and show who read', async () => {
    expect(await records('revoke', 'hospital-care', '--key', keyFile('patient'))).toMatchObject({ id: 'hospital-care', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const refused = await salus('records', 'write', '--node', url, '--key', keyFile('dr'), '--org-key', adminKey, '--patient', pid, '--file', join(dir, 'obs.json'));
    expectError(refused, 'CONSENT_REQUIRED');
    expectError(await salus('records', 'break-glass', '--node', url, '--key', keyFile('dr'), '--patient', pid, '--reason', 'unconscious', '--minutes', '30'), 'FORBIDDEN');

    await waitFor(() => t.node.records.index.pendingCount === 0, 10_000, 'read disclosures to commit');
    const d = await records<{ patient: string; verified: boolean; entries: { kind: string; height: number; tx: string; detail?: Record<string, unknown> }[] }>('disclosures', '--key', keyFile('patient'));
    expect(d).toMatchObject({ patient: pid, verified: true });
    const kinds = d.entries.map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['write', 'revoke']));
    const drRead = d.entries.find((e) => e.kind.startsWith('read:') && e.detail?.reader === dr.signingKey);
    expect(drRead?.detail).toMatchObject({ record, purpose: 'treatment' });
    for (const e of d.entries) expect(e.tx).toMatch(/^[0-9a-f]{64}$/);
  });

  it('bad input: exit 1 with a typed error and a sentence', async () => {
    writeFileSync(join(dir, 'bad.json'), '{"resourceType": ');
    writeFileSync(join(dir, 'array.json'), '[1, 2]');
    const pk = keyFile('patient');
    const n = ['--node', url];
    const cases: [string[], string, string?][] = [
      [['grant', ...n, '--key', pk, '--org', 'founding-hospital', '--scope', 'tag:Observation'], 'INVALID_FIELD', 'tag'],
      [['grant', ...n, '--key', pk, '--org', 'founding-hospital', '--scope', 'type:Observation,record:rec-1'], 'INVALID_FIELD', 'mixes'],
      [['grant', ...n, '--key', pk, '--org', 'founding-hospital', '--scope', 'code:Observation|8867-4'], 'INVALID_FIELD', 'type|system|code'],
      [['grant', ...n, '--key', pk, '--org', 'founding-hospital', '--scope', 'all', '--actions', 'read,delete'], 'INVALID_FIELD', 'delete'],
      [['grant', ...n, '--key', pk, '--org', 'founding-hospital', '--scope', 'all', '--until', 'soon'], 'INVALID_FIELD', 'soon'],
      [['grant', ...n, '--key', pk, '--scope', 'all'], 'CONFIG', 'grantee'],
      [['grant', ...n, '--key', pk, '--grantee-key', 'abc', '--grantee-enc', 'abc', '--scope', 'all'], 'INVALID_FIELD', '--grantee-key'],
      [['write', ...n, '--key', keyFile('dr'), '--patient', pid, '--file', join(dir, 'missing.json')], 'CONFIG', 'missing.json'],
      [['write', ...n, '--key', keyFile('dr'), '--patient', pid, '--file', join(dir, 'bad.json')], 'MALFORMED_ENCODING', 'bad.json'],
      [['write', ...n, '--key', keyFile('dr'), '--patient', pid, '--file', join(dir, 'array.json')], 'INVALID_FIELD', 'array.json'],
      [['write', ...n, '--key', keyFile('dr'), '--file', join(dir, 'obs.json')], 'CONFIG', '--patient'],
      [['read', record, ...n, '--key', pk, '--version', 'two'], 'INVALID_FIELD', '--version'],
      [['read', record, ...n, '--key', pk, '--purpose', 'curiosity'], 'INVALID_FIELD', 'curiosity'],
      [['list', ...n], 'CONFIG', '--key'],
      [['list', ...n, '--key', keyFile('nobody')], 'CONFIG', 'nobody.json'],
      [['erase', ...n, '--key', pk], 'CONFIG', '--yes'],
    ];
    const results = await Promise.all(cases.map(([args]) => salus('records', ...args)));
    cases.forEach(([args, code, text], i) => {
      const r = results[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expectError(r, code, text);
    });
  });

  it('erase --yes shreds the records: a read then fails with ERASED', async () => {
    expect(await records('erase', '--key', keyFile('patient'), '--yes')).toMatchObject({ patient: pid, erased: true });
    expectError(await salus('records', 'read', record, '--node', url, '--key', keyFile('patient')), 'ERASED');
  });
});
