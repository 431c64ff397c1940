import { SalusError, v, type Canonical } from '@salus/core';
import { MEMBER_ROLES } from './state.js';
import { HEX32, ORG_ID } from '@salus/module';

/** Transaction types of the identity module and their stateless checks. */
export const IDENTITY_TX_TYPES = ['register_patient', 'onboard_patient', 'add_member', 'rotate_key', 'revoke_member', 'handover_patient'] as const;
export type IdentityTxType = (typeof IDENTITY_TX_TYPES)[number];

export interface RegisterPatient {
  encryptionKey: string;
}
export interface OnboardPatient {
  org: string;
  signingKey: string;
  encryptionKey: string;
}
export interface AddMember {
  org: string;
  signingKey: string;
  encryptionKey: string;
  role: (typeof MEMBER_ROLES)[number];
  name: string;
}
export interface RotateKey {
  org: string;
  key: string;
  newSigningKey: string;
  newEncryptionKey: string;
}
/** The patient's current key hands control to new keys (a provider-onboarded patient taking over, or a lost device). */
export interface HandoverPatient {
  newSigningKey: string;
  newEncryptionKey: string;
}
export interface RevokeMember {
  org: string;
  key: string;
}

const hex = (r: Record<string, unknown>, f: string) => v.str(r[f], f, 64, HEX32);
const org = (r: Record<string, unknown>) => v.str(r.org, 'org', 63, ORG_ID);

export function parseIdentityPayload(type: string, payload: Canonical): unknown {
  const r = v.record(payload, 'payload');
  switch (type) {
    case 'register_patient':
      v.onlyKeys(r, ['encryptionKey'], 'payload');
      return { encryptionKey: hex(r, 'encryptionKey') } satisfies RegisterPatient;
    case 'onboard_patient':
      v.onlyKeys(r, ['org', 'signingKey', 'encryptionKey'], 'payload');
      return { org: org(r), signingKey: hex(r, 'signingKey'), encryptionKey: hex(r, 'encryptionKey') } satisfies OnboardPatient;
    case 'add_member':
      v.onlyKeys(r, ['org', 'signingKey', 'encryptionKey', 'role', 'name'], 'payload');
      return {
        org: org(r),
        signingKey: hex(r, 'signingKey'),
        encryptionKey: hex(r, 'encryptionKey'),
        role: v.oneOf(r.role, 'role', MEMBER_ROLES),
        name: v.str(r.name, 'name', 200),
      } satisfies AddMember;
    case 'rotate_key':
      v.onlyKeys(r, ['org', 'key', 'newSigningKey', 'newEncryptionKey'], 'payload');
      return { org: org(r), key: hex(r, 'key'), newSigningKey: hex(r, 'newSigningKey'), newEncryptionKey: hex(r, 'newEncryptionKey') } satisfies RotateKey;
    case 'revoke_member':
      v.onlyKeys(r, ['org', 'key'], 'payload');
      return { org: org(r), key: hex(r, 'key') } satisfies RevokeMember;
    case 'handover_patient':
      v.onlyKeys(r, ['newSigningKey', 'newEncryptionKey'], 'payload');
      return { newSigningKey: hex(r, 'newSigningKey'), newEncryptionKey: hex(r, 'newEncryptionKey') } satisfies HandoverPatient;
    default:
      throw new SalusError('UNKNOWN_TYPE', `identity has no transaction type "${type}"`, { type });
  }
}
