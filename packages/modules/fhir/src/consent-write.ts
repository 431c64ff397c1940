import { SalusError, decodeTx, toHex, type Canonical } from '@salus/core';
import { parseGrant, type RecordsReader } from '@salus/records';
import { consents } from './ledger-views.js';
import type { Served } from './directory.js';
import type { KV, LedgerView } from '@salus/module';

/**
 * Creating a Consent is a grant (ADR 0006), and only the patient can grant: the Consent carries the
 * patient's signed `records/grant` transaction (built and signed by the patient's wallet,
 * `RecordsClient.grantTransaction`) in an extension. The node checks that the Consent says what the
 * signed grant does, submits the transaction, and answers with the Consent view of the committed
 * grant. Without a valid signature by the patient's key, nothing is granted.
 */
export const SIGNED_GRANT = 'https://salus.health/fhir/StructureDefinition/signed-grant';

type Resource = Record<string, unknown> & { resourceType: string };

export async function createConsent(o: { chain: LedgerView; view: () => KV; records: RecordsReader; commitWaitMs: number }, body: Resource): Promise<Served> {
  const ext = ((body.extension ?? []) as { url?: string; valueBase64Binary?: string }[]).find((e) => e.url === SIGNED_GRANT);
  if (!ext?.valueBase64Binary) throw new SalusError('INVALID_RESOURCE', `a Consent here is a grant signed by the patient: add the extension ${SIGNED_GRANT} with the signed records/grant transaction`);
  const bytes = Uint8Array.from(Buffer.from(ext.valueBase64Binary, 'base64'));
  const tx = decodeTx(bytes);
  if (tx.module !== 'records' || tx.type !== 'grant') throw new SalusError('INVALID_RESOURCE', 'the signed transaction is not a records/grant');
  const g = parseGrant(tx.payload as Canonical);
  // the Consent must say what the signature grants
  const patientRef = (body.patient as { reference?: string } | undefined)?.reference;
  if (patientRef !== `Patient/${g.patient}`) throw new SalusError('INVALID_RESOURCE', `Consent.patient must be Patient/${g.patient}, the patient of the signed grant`);
  if (body.status !== 'active') throw new SalusError('INVALID_RESOURCE', 'a Consent created here is active (a grant); revoke through the ledger');
  const actor = ((body.provision as { actor?: { reference?: { reference?: string; identifier?: { value?: string } } }[] } | undefined)?.actor ?? [])[0]?.reference;
  const named = 'org' in g.grantee ? actor?.reference === `Organization/${g.grantee.org}` : actor?.identifier?.value === g.grantee.key;
  if (!named) throw new SalusError('INVALID_RESOURCE', 'Consent.provision.actor must name the grantee of the signed grant');
  if (o.records.patient(o.view(), g.patient).signingKey !== toHex(tx.signer)) throw new SalusError('NOT_THE_PATIENT', "the grant is not signed by the patient's current key");
  const hash = o.chain.submit(bytes);
  const receipt = await o.chain.waitForCommit(hash, o.commitWaitMs);
  if (receipt.result.code !== 'OK') throw new SalusError(receipt.result.code as 'FORBIDDEN', receipt.result.log);
  const view = consents(o.records, o.view(), g.patient).find((c) => c.id === `${g.patient}.${g.id}`);
  if (!view) throw new SalusError('CORRUPT_DATA', 'invariant failed: the committed grant is not in the state');
  return view;
}
