import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Wallet } from '@salus/client';
import { SalusError, generateIdentityKeys, toHex } from '@salus/core';
import { SalusNode } from '../src/node.js';
import { loadHome } from '../src/config/home.js';
import { mergeOptions } from '../src/config/options.js';
import { verifyDataDir, type VerifyOptions, type VerifyReport } from '../src/ledger/verify.js';
import { createNativeEd25519 } from '../src/crypto/native-ed25519.js';
import { openDb } from '../src/storage/db.js';
import { memberPayload, startTestNode, tempDir } from './harness.js';
import { contentDigest, createRng, locateValues, pagesByObject, type ValueRange } from './tamper.js';

/**
 * Immutability on disk: a chain of a few dozen transactions of several kinds, then one-byte flips
 * of its SQLite file. Every flip must be found by `verify` (ok:false, naming where) or make the
 * node refuse to start with CORRUPT_DATA; `verify` may say ok:true only when the flip changed no
 * stored content (unused space in a page, or a stale copy SQLite left there), and the node never
 * fails with anything but a typed error. Seeded: SALUS_TAMPER_SEED replays a run.
 */
const SEED = Number(process.env.SALUS_TAMPER_SEED ?? 20240611);
const FLIPS = 200;

let home: string;
let work: string;
let dbFile: string;
let vopts: VerifyOptions;
let lastHeight: number;
let original: Buffer;
let originalDigest: string;
let ranges: ValueRange[];

const ed = createNativeEd25519();

beforeAll(async () => {
  const t = await startTestNode({ options: { solo: { blockIntervalMs: 2, emptyBlockIntervalMs: 50 } } });
  home = t.home;
  try {
    const { client, admin, orgId, node } = t;
    const send = (w: Wallet, module: string, type: string, payload: unknown) => client.send(w, module, type, payload as never);
    // members of the founding organisation, one block each
    const members: Wallet[] = [];
    for (let i = 0; i < 10; i++) {
      const m = Wallet.create();
      members.push(m);
      await send(admin, 'identity', 'add_member', memberPayload(orgId, m, i % 2 === 0 ? 'practitioner' : 'service', `Member ${i}`));
    }
    // self-registered patients, submitted together so blocks hold several transactions
    const pending: string[] = [];
    for (let i = 0; i < 12; i++) {
      const p = Wallet.create();
      const { bytes } = p.buildTx({ chainId: 'salus-test', nonce: 0, module: 'identity', type: 'register_patient', payload: { encryptionKey: toHex(p.encryptionPublicKey) } });
      pending.push((await client.submit(bytes, 'none')).hash);
    }
    for (const h of pending) expect((await node.chain.waitForCommit(h, 10_000)).result.code).toBe('OK');
    // patients onboarded by a practitioner
    for (let i = 0; i < 6; i++) {
      const k = generateIdentityKeys();
      await send(members[0]!, 'identity', 'onboard_patient', { org: orgId, signingKey: toHex(k.signing.publicKey), encryptionKey: toHex(k.encryption.publicKey) });
    }
    // key rotation and revocation
    const rotated = Wallet.create();
    await send(admin, 'identity', 'rotate_key', { org: orgId, key: members[1]!.publicKeyHex, newSigningKey: rotated.publicKeyHex, newEncryptionKey: toHex(rotated.encryptionPublicKey) });
    await send(admin, 'identity', 'revoke_member', { org: orgId, key: members[2]!.publicKeyHex });
    // governance: the founding organisation is the only voter, so its proposal passes at once
    const newAdmin = generateIdentityKeys();
    const r = await send(admin, 'governance', 'propose', {
      action: { kind: 'add_org', org: { id: 'city-insurer', name: 'City Insurer', kind: 'insurer', adminKey: toHex(newAdmin.signing.publicKey), encryptionKey: toHex(newAdmin.encryption.publicKey) } },
    });
    expect(r.result.events.map((e) => e.type)).toContain('governance.org_added');
    // re-weighting the one validator changes the stored validator set two blocks later
    const h = loadHome(home);
    await send(admin, 'governance', 'propose', { action: { kind: 'set_validator', validator: { ...h.genesis.validators[0]!, power: 20 } } });
    for (let i = 0; i < 3; i++) await send(members[3]!, 'identity', 'onboard_patient', { org: orgId, signingKey: toHex(generateIdentityKeys().signing.publicKey), encryptionKey: toHex(generateIdentityKeys().encryption.publicKey) });
    expect(node.chain.validatorsFor(node.chain.lastHeight() + 1)[0]!.power).toBe(20);
  } finally {
    await t.node.stop();
  }
  const h = loadHome(home);
  const opts = mergeOptions(h.options);
  vopts = { genesis: h.genesis, ed, chain: opts.chain, state: opts.state };
  dbFile = h.paths.db;
  original = readFileSync(dbFile);
  originalDigest = contentDigest(dbFile)!;
  ranges = locateValues(dbFile);
  lastHeight = loadHeight();
  work = tempDir('salus-tamper-');
});

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

function loadHeight(): number {
  const db = openDb(dbFile, { readonly: true });
  try {
    return db.prepare<[], { h: number }>('SELECT MAX(height) AS h FROM blocks').get()!.h;
  } finally {
    db.close();
  }
}

/**
 * The occurrence of a value that the database reads: SQLite leaves stale copies of rows in the
 * free space of a page after it moves them, and a flip there changes nothing.
 */
function liveRange(what: string): ValueRange {
  for (const r of ranges.filter((x) => x.what === what)) {
    const file = flippedCopy(9_999, r.start + Math.floor(r.length / 2), 0x01);
    const live = contentDigest(file) !== originalDigest;
    rmSync(join(file, '..'), { recursive: true, force: true });
    if (live) return r;
  }
  expect.fail(`no live copy of ${what} in the file`);
}

/** Writes the original file with one byte changed into a fresh directory; returns the file. */
function flippedCopy(n: number, pos: number, xor: number): string {
  const dir = join(work, `flip-${n}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'salus.db');
  const b = Buffer.from(original);
  b[pos] = b[pos]! ^ xor;
  writeFileSync(file, b);
  return file;
}

/**
 * Opens a node on a data file and, when `full`, starts it (block producer and API; the producer
 * first reads the validator set, which is read here in any case): 'started' or the SalusError
 * code it refused with.
 */
async function tryStart(dir: string, file: string, full = true): Promise<string> {
  const h = loadHome(home);
  let node: SalusNode | undefined;
  try {
    node = new SalusNode({
      genesis: h.genesis,
      nodeKeys: h.nodeKeys,
      dataDir: dir,
      dbFile: file,
      options: { api: { port: 0 }, solo: { blockIntervalMs: 600_000, emptyBlockIntervalMs: 600_000 } },
      logger: pino({ level: 'silent' }),
    });
    if (full) await node.start();
    else node.chain.validatorsFor(node.chain.lastHeight() + 1);
    return 'started';
  } catch (e) {
    if (e instanceof SalusError) return e.code;
    return `crash: ${(e as Error).stack ?? String(e)}`;
  } finally {
    await node?.stop();
  }
}

describe('verify', () => {
  it('reports a good chain as ok, with every block and transaction counted', () => {
    const report = verifyDataDir(dbFile, vopts);
    expect(report).toEqual({ ok: true, height: lastHeight, txs: 35 });
    expect(lastHeight).toBeGreaterThan(20);
  });

  it('finds the stored values of every table in the file', () => {
    const tables = new Set(ranges.map((r) => r.table));
    for (const t of ['blocks', 'txs', 'state', 'smt_nodes', 'tx_index', 'valsets', 'smt_roots', 'smt_stale', 'meta']) expect(tables).toContain(t);
  });

  it('a flipped byte in a stored block header is reported at that height', async () => {
    for (const height of [3, Math.floor(lastHeight / 2), lastHeight]) {
      const header = liveRange(`blocks.header@${height}`);
      // the middle of the header encoding lies inside one of its 32-byte hashes
      const file = flippedCopy(1_000 + height, header.start + Math.floor(header.length / 2), 0x01);
      const report = verifyDataDir(file, vopts);
      expect(report.ok).toBe(false);
      expect(report.error).toMatchObject({ height, object: 'header' });
      expect(report.height).toBe(height - 1); // blocks before it verified
      // the last block is read when the node opens, so the node refuses to start as well
      const started = await tryStart(join(file, '..'), file);
      expect(started).toBe(height === lastHeight ? 'CORRUPT_DATA' : 'started');
    }
  });

  it('a flipped byte in a stored transaction is reported at its block', () => {
    const tx = liveRange(ranges.filter((r) => r.table === 'txs' && r.what.startsWith('txs.tx@'))[5]!.what);
    const file = flippedCopy(2_000, tx.start + tx.length - 70, 0x80); // inside the signature
    const report = verifyDataDir(file, vopts);
    expect(report.ok).toBe(false);
    expect(report.error?.height).toBe(tx.height);
  });

  it(`${FLIPS} seeded one-byte flips are each detected, refused, or change nothing (seed ${SEED})`, async () => {
    const rng = createRng(SEED);
    const { pageSize, owner } = pagesByObject(dbFile);
    const targeted = ['blocks', 'txs', 'state', 'smt_nodes'];
    const others = [...new Set(ranges.map((r) => r.table))].filter((t) => !targeted.includes(t));
    const pick = (table: string | undefined): { pos: number; what: string; height: number | null } => {
      if (table === undefined) return { pos: rng.int(original.length), what: 'anywhere', height: null };
      const rs = ranges.filter((r) => r.table === table);
      const r = rs[rng.int(rs.length)]!;
      return { pos: r.start + rng.int(r.length), what: r.what, height: r.height };
    };
    const genesisCopy = ranges.find((r) => r.what === 'meta.genesis')!;
    const inGenesis = (pos: number) => pos >= genesisCopy.start && pos < genesisCopy.start + genesisCopy.length;
    const counts = { detected: 0, refused: 0, harmless: 0, changed: 0 };
    const problems: string[] = [];
    const hitTables = new Map<string, number>();
    for (let n = 0; n < FLIPS; n++) {
      // 160 inside stored values of the four main tables, 15 in the other tables' values, 25 anywhere
      const table = n < 160 ? targeted[n % 4] : n < 175 ? others[n % others.length] : undefined;
      const { pos, what, height } = pick(table);
      const xor = 1 + rng.int(255);
      const page = Math.floor(pos / pageSize) + 1;
      const where = `flip ${n} (seed ${SEED}): byte ${pos} ^ 0x${xor.toString(16)} on page ${page} (${owner.get(page) ?? 'header/free'}), ${what}`;
      hitTables.set(owner.get(page) ?? '-', (hitTables.get(owner.get(page) ?? '-') ?? 0) + 1);

      const file = flippedCopy(n, pos, xor);
      const report: VerifyReport = verifyDataDir(file, vopts);
      const digest = contentDigest(file);
      const started = await tryStart(join(file, '..'), file, n % 4 === 0);
      rmSync(join(file, '..'), { recursive: true, force: true });
      if (digest !== originalDigest) counts.changed++;
      if (!report.ok) counts.detected++;
      else if (started !== 'started') counts.refused++;
      else counts.harmless++;

      const problem = (msg: string) => problems.push(`${where}: ${msg}`);
      if (report.ok) {
        // allowed only when nothing stored changed
        if (digest !== originalDigest) problem('verify says ok but the stored content changed');
        if (report.height !== lastHeight) problem(`verify says ok at height ${report.height}`);
      } else {
        if (!report.error?.object) problem('verify names no object');
        if (/is not a function|Cannot read propert|is not iterable/.test(report.error?.message ?? '')) problem(`verify failed by a bug: ${report.error?.message}`);
        // a changed row of a block or transaction is named at its height
        if (height !== null && report.error?.height !== null && report.error?.object !== 'database' && report.error?.height !== height) {
          problem(`verify names height ${report.error?.height}, the flip is at ${height}`);
        }
      }
      if (started.startsWith('crash')) problem(`the node crashed: ${started}`);
      // the one refusal is CORRUPT_DATA (CONFIG when the stored copy of the genesis itself changed)
      else if (started !== 'started' && started !== 'CORRUPT_DATA' && !(started === 'CONFIG' && inGenesis(pos))) {
        problem(`the node refused with ${started}, not CORRUPT_DATA`);
      }
    }
    expect(problems).toEqual([]);
    for (const t of targeted) expect(hitTables.get(t) ?? 0).toBeGreaterThanOrEqual(30);
    // most flips land on live stored values (the rest on stale copies or unused space)
    expect(counts.changed).toBeGreaterThanOrEqual(120);
    expect(counts.detected + counts.refused).toBeGreaterThanOrEqual(counts.changed);
  });
});
