import { SalusError } from '@salus/core';
import type { KV, OrgKind } from '@salus/module';

/** The keys the identity module owns, and typed access to them. */
export const ROLES = ['admin', 'practitioner', 'service', 'device', 'emergency', 'patient'] as const;
export type Role = (typeof ROLES)[number];
export const MEMBER_ROLES = ['practitioner', 'service', 'device', 'emergency'] as const;

export interface OrgRecord {
  readonly id: string;
  readonly name: string;
  readonly kind: OrgKind;
  readonly admin: string;
  readonly encryptionKey: string;
  readonly since: number;
}

export interface KeyRecord {
  readonly role: Role;
  /** organisation it acts for; absent for patients */
  readonly org: string | null;
  readonly encryptionKey: string;
  readonly name: string | null;
  readonly status: 'active' | 'revoked';
  readonly since: number;
  /** the patient's pseudonymous id, for patient keys */
  readonly patient: string | null;
}

export const orgKey = (id: string) => `identity/org/${id}`;
export const keyKey = (signingHex: string) => `identity/key/${signingHex}`;
export const patientKey = (pseudonym: string) => `identity/patient/${pseudonym}`;

export function getOrg(kv: KV, id: string): OrgRecord | undefined {
  return kv.get(orgKey(id)) as OrgRecord | undefined;
}

export function getKey(kv: KV, signingHex: string): KeyRecord | undefined {
  return kv.get(keyKey(signingHex)) as KeyRecord | undefined;
}

export function activeKey(kv: KV, signingHex: string): KeyRecord | undefined {
  const k = getKey(kv, signingHex);
  return k && k.status === 'active' ? k : undefined;
}

export { patientPseudonym } from '@salus/core';

/** The signer must be the active admin of `org`, else NOT_A_MEMBER / FORBIDDEN. */
export function requireOrgRole(kv: KV, signerHex: string, org: string, roles: readonly Role[]): KeyRecord {
  const rec = activeKey(kv, signerHex);
  if (!rec) throw new SalusError('UNREGISTERED_SIGNER', 'the signer is not an active registered key');
  if (rec.org !== org) throw new SalusError('NOT_A_MEMBER', `the signer does not act for organisation ${org}`, { org });
  if (!roles.includes(rec.role)) throw new SalusError('FORBIDDEN', `role ${rec.role} may not do this for ${org}`, { role: rec.role });
  return rec;
}
