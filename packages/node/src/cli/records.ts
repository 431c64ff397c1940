import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { SalusError } from '@salus/core';
import { PURPOSES, type Purpose } from '@salus/client';
import { RecordsClient, SalusClient, type GranteeInput, type ScopeInput } from '@salus/client';
import { createNativeEd25519 } from '../crypto/native-ed25519.js';
import { print } from './keys.js';
import { DEFAULT_NODE, loadWallet } from './tx.js';

/**
 * `salus records …`: patient-controlled encrypted records through the SDK's RecordsClient. Content
 * is encrypted and decrypted in this process; the node only sees ciphertext (docs/records.md).
 *
 * Scopes (`records grant --scope`) are a comma-separated list of items of one kind:
 *   all                                       every record of the patient
 *   type:Observation,type:Condition           records of these FHIR resource types
 *   record:rec-1,rec-2                        these records
 *   code:Observation|http://loinc.org|8867-4  resources of a type carrying a coded value (type|system|code)
 *   category:Observation|<system>|<code>      resources of a type in a category (type|system|code)
 * An item without a `kind:` prefix has the kind of the item before it (`type:Observation,Condition`).
 */

interface Common {
  node: string;
  key?: string;
  orgKey?: string;
}

const SCOPE_KINDS = ['type', 'record', 'code', 'category'] as const;
type ScopeKind = (typeof SCOPE_KINDS)[number];
const SCOPE_HELP = 'all | type:T[,T…] | record:rec-…[,rec-…] | code:T|system|code[,…] | category:T|system|code[,…]';

/** Parses the --scope syntax above into the SDK's scope. */
export function parseScope(text: string): ScopeInput {
  const s = text.trim();
  if (s === 'all') return 'all';
  let kind: ScopeKind | undefined;
  const values: string[] = [];
  for (const raw of s.split(',')) {
    const item = raw.trim();
    if (!item) throw new SalusError('INVALID_FIELD', `--scope "${text}" has an empty item; the syntax is ${SCOPE_HELP}`);
    const m = /^([A-Za-z-]+):(.*)$/.exec(item);
    let value = item;
    if (m) {
      if (!(SCOPE_KINDS as readonly string[]).includes(m[1]!)) throw new SalusError('INVALID_FIELD', `--scope kind "${m[1]}" is unknown; the syntax is ${SCOPE_HELP}`);
      if (kind && kind !== m[1]) throw new SalusError('INVALID_FIELD', `--scope mixes "${kind}" and "${m[1]}"; one grant has one kind of scope`);
      kind = m[1] as ScopeKind;
      value = m[2]!;
    } else if (!kind) {
      throw new SalusError('INVALID_FIELD', `--scope "${text}" is not understood; the syntax is ${SCOPE_HELP}`);
    }
    if (!value) throw new SalusError('INVALID_FIELD', `--scope item "${item}" has no value`);
    values.push(value);
  }
  if (kind === 'type' || kind === 'record') {
    const bad = values.find((v) => /[\s:|]/.test(v));
    if (bad !== undefined) throw new SalusError('INVALID_FIELD', `--scope ${kind} "${bad}" is not a valid ${kind === 'type' ? 'resource type' : 'record id'}`);
    return kind === 'type' ? { types: values } : { records: values };
  }
  const coded = values.map((v) => {
    const parts = v.split('|');
    if (parts.length !== 3 || parts.some((p) => !p)) throw new SalusError('INVALID_FIELD', `--scope ${kind} "${v}" must be type|system|code, e.g. Observation|http://loinc.org|8867-4`);
    return { type: parts[0]!, system: parts[1]!, code: parts[2]! };
  });
  return kind === 'code' ? { codes: coded } : { categories: coded };
}

function parseList<T extends string>(text: string, allowed: readonly T[], option: string): T[] {
  const items = text.split(',').map((x) => x.trim());
  for (const x of items) {
    if (!(allowed as readonly string[]).includes(x)) throw new SalusError('INVALID_FIELD', `${option} "${x}" is not one of ${allowed.join(', ')}`);
  }
  return [...new Set(items)] as T[];
}

function parsePurpose(p: string | undefined): Purpose | undefined {
  if (p !== undefined && !(PURPOSES as readonly string[]).includes(p)) throw new SalusError('INVALID_FIELD', `--purpose "${p}" is not one of ${PURPOSES.join(', ')}`);
  return p as Purpose | undefined;
}

function positiveInt(text: string, option: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new SalusError('INVALID_FIELD', `${option} must be a positive whole number, not "${text}"`);
  return n;
}

function hexKey(text: string | undefined, option: string): string {
  if (!text || !/^[0-9a-f]{64}$/i.test(text)) throw new SalusError('INVALID_FIELD', `${option} must be a 32-byte key in hex (64 characters)`);
  return text.toLowerCase();
}

/** Reads a FHIR resource from a JSON file. */
export function readResource(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new SalusError('CONFIG', `cannot read resource file ${file}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SalusError('MALFORMED_ENCODING', `resource file ${file} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SalusError('INVALID_FIELD', `resource file ${file} must hold one JSON object (a FHIR resource)`);
  const rt = (json as Record<string, unknown>).resourceType;
  if (typeof rt !== 'string' || !/^[A-Z][A-Za-z]+$/.test(rt)) throw new SalusError('INVALID_FIELD', `resource file ${file} has no valid "resourceType" (e.g. "Observation")`);
  return json as Record<string, unknown>;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined || v === '') throw new SalusError('CONFIG', `${what} is required`);
  return v;
}

/** The acting party's RecordsClient: --key, with --org-key for organisation envelopes. */
function open(cmd: string, o: Common, purpose?: Purpose): RecordsClient {
  const wallet = loadWallet(need(o.key, `records ${cmd}: --key <file>`));
  const client = new SalusClient({ url: o.node, ed: createNativeEd25519() });
  return new RecordsClient(client, wallet, { ...(o.orgKey ? { orgWallet: loadWallet(o.orgKey) } : {}), ...(purpose ? { purpose } : {}) });
}

function sub(records: Command, name: string, description: string, orgKey = false): Command {
  const c = records
    .command(name)
    .description(description)
    .option('--node <url>', 'node API', DEFAULT_NODE)
    .option('--key <file>', 'key file of the acting party (patient, practitioner or application)');
  if (orgKey) c.option('--org-key <file>', "key file of the party's organisation, to open organisation envelopes and keyrings");
  return c;
}

export function registerRecords(program: Command): void {
  // The program's own options (-V, --version) are read only before a subcommand's name, so that
  // `records read <record> --version N` reaches the subcommand instead of printing the CLI version.
  program.enablePositionalOptions();
  const records = program
    .command('records')
    .description('Encrypted health records: register a patient, grant and revoke access, write, read, list, break-glass, the accounting of disclosures, erasure');

  sub(records, 'register', 'Register the key as a patient (its pseudonym, encryption key and keyring go on the ledger)').action(async (o: Common) => {
    const r = open('register', o);
    print({ patient: await r.registerPatient() });
  });

  sub(records, 'write', 'Encrypt a FHIR resource from a JSON file and write it for a patient, as a new record or a new version of --record', true)
    .option('--patient <pat-id>', 'the patient (pat-…)')
    .option('--file <resource.json>', 'the FHIR resource, as JSON')
    .option('--record <rec-id>', 'write a new version of this record')
    .option('--emergency', 'put it in the emergency data set (default: by resource type)')
    .option('--no-emergency', 'keep it out of the emergency data set')
    .action(async (o: Common & { patient?: string; file?: string; record?: string; emergency?: boolean }) => {
      const patient = need(o.patient, 'records write: --patient <pat-id>');
      const resource = readResource(need(o.file, 'records write: --file <resource.json>'));
      const r = open('write', o);
      const w = await r.write(patient, resource, { ...(o.record ? { record: o.record } : {}), ...(o.emergency !== undefined ? { emergency: o.emergency } : {}) });
      print({ record: w.record, version: w.version, hash: w.receipt.hash, height: w.receipt.height });
    });

  sub(records, 'read', 'Read and decrypt a record version (the node discloses the read to the patient first)', true)
    .argument('<record>', 'record id (rec-…)')
    .option('--version <n>', 'version (default: the latest)')
    .option('--purpose <purpose>', `purpose of use: ${PURPOSES.join(', ')} (default: treatment)`)
    .action(async (record: string, o: Common & { version?: string; purpose?: string }) => {
      const version = o.version === undefined ? undefined : positiveInt(o.version, '--version');
      const r = open('read', o, parsePurpose(o.purpose));
      const x = await r.read(record, version === undefined ? {} : { version });
      print({ record: x.record, version: x.version, latest: x.latest, patient: x.patient, basis: x.basis, emergency: x.emergency, height: x.height, tx: x.tx, resource: x.resource });
    });

  sub(records, 'list', "List the record versions of a patient that this party may read (the patient's own, by default)")
    .option('--patient <pat-id>', "the patient (default: the key's own patient id)")
    .option('--purpose <purpose>', `purpose of use: ${PURPOSES.join(', ')} (default: treatment)`)
    .action(async (o: Common & { patient?: string; purpose?: string }) => {
      const purpose = parsePurpose(o.purpose);
      const r = open('list', o, purpose);
      const patient = o.patient ?? r.patientId;
      print({ patient, ...(await r.list(patient)) });
    });

  sub(records, 'grant', `Grant access to your records (as the patient). --scope: ${SCOPE_HELP}`)
    .option('--org <id>', 'grantee: an organisation')
    .option('--grantee-key <hex>', 'grantee: a single key (signing key, hex), with --grantee-enc')
    .option('--grantee-enc <hex>', "the grantee key's encryption key (hex)")
    .option('--scope <scope>', `what it covers: ${SCOPE_HELP}`)
    .option('--actions <list>', 'read and/or write, comma-separated', 'read')
    .option('--purposes <list>', `purposes of use, comma-separated: ${PURPOSES.join(', ')}`, 'treatment')
    .option('--until <ISO date>', 'when the grant lapses (default: never)')
    .option('--id <grant id>', 'grant id (default: a fresh g-…); an existing id narrows that grant')
    .action(async (o: Common & { org?: string; granteeKey?: string; granteeEnc?: string; scope?: string; actions: string; purposes: string; until?: string; id?: string }) => {
      let grantee: GranteeInput;
      if (o.org !== undefined && (o.granteeKey !== undefined || o.granteeEnc !== undefined)) throw new SalusError('CONFIG', 'records grant takes either --org or --grantee-key with --grantee-enc, not both');
      if (o.org !== undefined) grantee = { org: need(o.org, 'records grant: --org <id>') };
      else if (o.granteeKey !== undefined || o.granteeEnc !== undefined) grantee = { key: hexKey(o.granteeKey, '--grantee-key'), encryptionKey: hexKey(o.granteeEnc, '--grantee-enc') };
      else throw new SalusError('CONFIG', 'records grant needs a grantee: --org <id>, or --grantee-key <hex> with --grantee-enc <hex>');
      const scope = parseScope(need(o.scope, `records grant: --scope (${SCOPE_HELP})`));
      const actions = parseList(o.actions, ['read', 'write'] as const, '--actions');
      const purposes = parseList(o.purposes, PURPOSES, '--purposes');
      let until: number | undefined;
      if (o.until !== undefined) {
        until = Date.parse(o.until);
        if (Number.isNaN(until)) throw new SalusError('INVALID_FIELD', `--until "${o.until}" is not an ISO date, e.g. 2026-12-31 or 2026-12-31T18:00:00Z`);
      }
      const r = open('grant', o);
      const g = await r.grant({ grantee, scope, actions, purposes, ...(until !== undefined ? { until } : {}), ...(o.id ? { id: o.id } : {}) });
      print({ id: g.id, hash: g.receipt.hash, height: g.receipt.height, rewrapped: g.rewrapped });
    });

  sub(records, 'revoke', 'Revoke a grant (as the patient); it ends at the next block')
    .argument('<grant-id>', 'grant id')
    .action(async (id: string, o: Common) => {
      const receipt = await open('revoke', o).revoke(id);
      print({ id, hash: receipt.hash, height: receipt.height });
    });

  sub(records, 'break-glass', "Open time-limited emergency access to a patient's emergency data set (a key with the emergency role)")
    .option('--patient <pat-id>', 'the patient (pat-…)')
    .option('--reason <text>', 'why (recorded on the ledger and disclosed to the patient)')
    .option('--minutes <n>', 'how long access lasts', '240')
    .action(async (o: Common & { patient?: string; reason?: string; minutes: string }) => {
      const patient = need(o.patient, 'records break-glass: --patient <pat-id>');
      const reason = need(o.reason, 'records break-glass: --reason <text>');
      const minutes = positiveInt(o.minutes, '--minutes');
      const receipt = await open('break-glass', o).breakGlass(patient, reason, minutes * 60_000);
      print({ patient, minutes, hash: receipt.hash, height: receipt.height });
    });

  sub(records, 'disclosures', "The patient's accounting of disclosures, each entry's transaction proven against the validators' commit")
    .option('--from-height <n>', 'only entries from this height', '0')
    .action(async (o: Common & { fromHeight: string }) => {
      const fromHeight = o.fromHeight === '0' ? 0 : positiveInt(o.fromHeight, '--from-height');
      const r = open('disclosures', o);
      const entries = await r.disclosures({ fromHeight });
      print({
        patient: r.patientId,
        verified: true,
        entries: entries.map((e) => ({ kind: e.kind, height: e.height, tx: e.tx, ...(e.detail ? { detail: e.detail } : {}) })),
      });
    });

  sub(records, 'erase', 'Erase all your records (as the patient): every node deletes their ciphertexts and envelopes. Needs --yes')
    .option('--yes', 'confirm: this cannot be undone')
    .action(async (o: Common & { yes?: boolean }) => {
      if (!o.yes) throw new SalusError('CONFIG', 'records erase deletes every record of the patient for good; add --yes to confirm');
      const r = open('erase', o);
      const receipt = await r.erase();
      print({ patient: r.patientId, erased: true, hash: receipt.hash, height: receipt.height });
    });
}
