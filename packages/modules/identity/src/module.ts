import { IDENTITY_ERRORS } from './errors.js';
import { SalusError, fromHex, type Canonical } from '@salus/core';
import {
  type IdentityTxType,
  parseIdentityPayload,
  type AddMember,
  type HandoverPatient,
  type OnboardPatient,
  type RegisterPatient,
  type RevokeMember,
  type RotateKey,
} from './payloads.js';
import { type KeyRecord, type OrgRecord, activeKey, getKey, getOrg, keyKey, orgKey, patientKey, patientPseudonym, requireOrgRole } from './state.js';
import { identityRoutes } from './routes.js';
import type { AppModule, TxContext, TxTypeDoc, KV, Genesis } from '@salus/module';

/**
 * Identity: organisations (created by genesis or governance), their members' keys (added, rotated
 * and revoked by the organisation's admin), and patients (self-registered, or onboarded by a
 * provider). Every signer of every other transaction must be an active key registered here.
 */
function requireFreshKey(kv: KV, signingHex: string): void {
  if (getKey(kv, signingHex)) throw new SalusError('CONFLICT', `key ${signingHex.slice(0, 12)}… is already registered`);
}

function registerPatient(ctx: TxContext, signingHex: string, encryptionKey: string, onboardedBy: string | null): string {
  requireFreshKey(ctx.state, signingHex);
  const pseudonym = patientPseudonym(fromHex(signingHex));
  const rec: KeyRecord = { role: 'patient', org: null, encryptionKey, name: null, status: 'active', since: ctx.height, patient: pseudonym };
  ctx.state.set(keyKey(signingHex), rec);
  ctx.state.set(patientKey(pseudonym), { signingKey: signingHex, encryptionKey, onboardedBy, since: ctx.height });
  ctx.emit('identity.patient_registered', { patient: pseudonym, onboardedBy });
  return pseudonym;
}

export function createOrg(kv: KV, org: Omit<OrgRecord, 'since'>, height: number): void {
  if (getOrg(kv, org.id)) throw new SalusError('CONFLICT', `organisation ${org.id} already exists`);
  requireFreshKey(kv, org.admin);
  kv.set(orgKey(org.id), { ...org, since: height });
  const admin: KeyRecord = { role: 'admin', org: org.id, encryptionKey: org.encryptionKey, name: `${org.name} admin`, status: 'active', since: height, patient: null };
  kv.set(keyKey(org.admin), admin);
}

const TX_TYPES: Record<IdentityTxType, TxTypeDoc> = {
  register_patient: { summary: 'A patient registers its own keys and gets a pseudonym', open: true },
  onboard_patient: { summary: "A provider's member registers a patient's custodial keys" },
  add_member: { summary: "An organisation's admin adds a member key with a role" },
  rotate_key: { summary: 'The admin (or the member itself) replaces a key' },
  revoke_member: { summary: "The admin revokes a member's key" },
  handover_patient: { summary: "The patient's key hands control to new keys" },
};

function deliver(ctx: TxContext, type: string, payload: Canonical): void {
  const p = parseIdentityPayload(type, payload);
  switch (type) {
    case 'register_patient':
      registerPatient(ctx, ctx.signerHex, (p as RegisterPatient).encryptionKey, null);
      return;
    case 'onboard_patient': {
      const o = p as OnboardPatient;
      requireOrgRole(ctx.state, ctx.signerHex, o.org, ['admin', 'practitioner', 'service']);
      registerPatient(ctx, o.signingKey, o.encryptionKey, o.org);
      return;
    }
    case 'add_member': {
      const m = p as AddMember;
      requireOrgRole(ctx.state, ctx.signerHex, m.org, ['admin']);
      requireFreshKey(ctx.state, m.signingKey);
      const rec: KeyRecord = { role: m.role, org: m.org, encryptionKey: m.encryptionKey, name: m.name, status: 'active', since: ctx.height, patient: null };
      ctx.state.set(keyKey(m.signingKey), rec);
      ctx.emit('identity.member_added', { org: m.org, key: m.signingKey, role: m.role });
      return;
    }
    case 'rotate_key': {
      const r = p as RotateKey;
      // The admin rotates any key of the organisation; a member may rotate its own.
      if (r.key !== ctx.signerHex) requireOrgRole(ctx.state, ctx.signerHex, r.org, ['admin']);
      const old = activeKey(ctx.state, r.key);
      if (!old || old.org !== r.org) throw new SalusError('NOT_FOUND', `no active key ${r.key.slice(0, 12)}… in ${r.org}`);
      requireFreshKey(ctx.state, r.newSigningKey);
      ctx.state.set(keyKey(r.key), { ...old, status: 'revoked' });
      ctx.state.set(keyKey(r.newSigningKey), { ...old, encryptionKey: r.newEncryptionKey, since: ctx.height });
      if (old.role === 'admin') {
        const org = getOrg(ctx.state, r.org)!;
        ctx.state.set(orgKey(r.org), { ...org, admin: r.newSigningKey, encryptionKey: r.newEncryptionKey });
      }
      ctx.emit('identity.key_rotated', { org: r.org, old: r.key, new: r.newSigningKey });
      return;
    }
    case 'revoke_member': {
      const r = p as RevokeMember;
      requireOrgRole(ctx.state, ctx.signerHex, r.org, ['admin']);
      const old = activeKey(ctx.state, r.key);
      if (!old || old.org !== r.org) throw new SalusError('NOT_FOUND', `no active key ${r.key.slice(0, 12)}… in ${r.org}`);
      if (old.role === 'admin') throw new SalusError('FORBIDDEN', 'the admin key is rotated, not revoked');
      ctx.state.set(keyKey(r.key), { ...old, status: 'revoked' });
      ctx.emit('identity.member_revoked', { org: r.org, key: r.key });
      return;
    }
    case 'handover_patient': {
      const h = p as HandoverPatient;
      const old = activeKey(ctx.state, ctx.signerHex);
      if (!old || old.role !== 'patient' || !old.patient) throw new SalusError('NOT_THE_PATIENT', 'only an active patient key hands over control');
      requireFreshKey(ctx.state, h.newSigningKey);
      const pat = ctx.state.get(patientKey(old.patient)) as { onboardedBy: string | null };
      ctx.state.set(keyKey(ctx.signerHex), { ...old, status: 'revoked' });
      ctx.state.set(keyKey(h.newSigningKey), { ...old, encryptionKey: h.newEncryptionKey, since: ctx.height });
      ctx.state.set(patientKey(old.patient), { signingKey: h.newSigningKey, encryptionKey: h.newEncryptionKey, onboardedBy: pat.onboardedBy, since: ctx.height });
      ctx.emit('identity.patient_handed_over', { patient: old.patient, key: h.newSigningKey });
      return;
    }
  }
}

export const identityModule: AppModule = {
  name: 'identity',
  txs: { types: TX_TYPES, check: (type, payload) => void parseIdentityPayload(type, payload), deliver },
  genesis: {
    // the founding organisations are the chain's own (genesis.organisations), already validated with it
    validate: () => undefined,
    init(kv: KV, _section: unknown, genesis: Genesis) {
      for (const o of genesis.organisations) {
        createOrg(kv, { id: o.id, name: o.name, kind: o.kind, admin: o.adminKey, encryptionKey: o.encryptionKey }, 0);
      }
    },
  },
  // every signer of a transaction that is not open must be an active key registered here
  authenticate: (kv, signerHex) => activeKey(kv, signerHex) !== undefined,
  errors: IDENTITY_ERRORS,
  events: [
    { type: 'identity.patient_registered', attributes: ['patient', 'onboardedBy'] },
    { type: 'identity.member_added', attributes: ['org', 'key', 'role'] },
    { type: 'identity.key_rotated', attributes: ['org', 'old', 'new'] },
    { type: 'identity.member_revoked', attributes: ['org', 'key'] },
    { type: 'identity.patient_handed_over', attributes: ['patient', 'key'] },
  ],
  routes: identityRoutes,
};
