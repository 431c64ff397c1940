import { SalusError, checkChainId, encode, sha256, v, type Canonical } from '@salus/core';

export const ORG_KINDS = ['hospital', 'clinic', 'insurer', 'manufacturer', 'distributor', 'pharmacy', 'sponsor', 'regulator', 'other'] as const;
export type OrgKind = (typeof ORG_KINDS)[number];

export interface GenesisOrg {
  readonly id: string;
  readonly name: string;
  readonly kind: OrgKind;
  readonly adminKey: string;
  readonly encryptionKey: string;
}

export interface GenesisValidator {
  readonly pubKey: string;
  readonly power: number;
  readonly org: string;
}

/**
 * The chain's first state, shared by every node: the founding organisations and validators, and
 * each module's own section under `modules` (validated and written by that module's genesis hook).
 */
export interface Genesis {
  readonly chainId: string;
  readonly genesisTime: number;
  readonly organisations: readonly GenesisOrg[];
  readonly validators: readonly GenesisValidator[];
  /** module name → that module's section; absent when no module has one (older genesis files) */
  readonly modules?: Readonly<Record<string, Canonical>>;
}

export const ORG_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
export const HEX32 = /^[0-9a-f]{64}$/;

export function parseOrg(o: unknown, field: string): GenesisOrg {
  const r = v.record(o, field);
  v.onlyKeys(r, ['id', 'name', 'kind', 'adminKey', 'encryptionKey'], field);
  return {
    id: v.str(r.id, `${field}.id`, 63, ORG_ID),
    name: v.str(r.name, `${field}.name`, 200),
    kind: v.oneOf(r.kind, `${field}.kind`, ORG_KINDS),
    adminKey: v.str(r.adminKey, `${field}.adminKey`, 64, HEX32),
    encryptionKey: v.str(r.encryptionKey, `${field}.encryptionKey`, 64, HEX32),
  };
}

export function parseValidator(o: unknown, field: string): GenesisValidator {
  const r = v.record(o, field);
  v.onlyKeys(r, ['pubKey', 'power', 'org'], field);
  const power = v.uint(r.power, `${field}.power`, 1_000_000);
  if (power === 0) throw new SalusError('INVALID_FIELD', `${field}.power must be positive`);
  return { pubKey: v.str(r.pubKey, `${field}.pubKey`, 64, HEX32), power, org: v.str(r.org, `${field}.org`, 63, ORG_ID) };
}

export function parseGenesis(json: unknown): Genesis {
  try {
    const r = v.record(json, 'genesis');
    v.onlyKeys(r, ['chainId', 'genesisTime', 'organisations', 'validators', 'modules'], 'genesis');
    checkChainId(r.chainId);
    const organisations = v.list(r.organisations, 'genesis.organisations', 1000).map((o, i) => parseOrg(o, `organisations[${i}]`));
    const validators = v.list(r.validators, 'genesis.validators', 1000).map((o, i) => parseValidator(o, `validators[${i}]`));
    if (validators.length === 0) throw new SalusError('CONFIG', 'genesis needs at least one validator');
    const ids = new Set(organisations.map((o) => o.id));
    if (ids.size !== organisations.length) throw new SalusError('CONFIG', 'genesis names an organisation twice');
    for (const val of validators) {
      if (!ids.has(val.org)) throw new SalusError('CONFIG', `validator ${val.pubKey.slice(0, 12)}… belongs to unknown organisation ${val.org}`);
    }
    if (new Set(validators.map((x) => x.pubKey)).size !== validators.length) throw new SalusError('CONFIG', 'genesis names a validator twice');
    const base = { chainId: r.chainId, genesisTime: v.uint(r.genesisTime, 'genesis.genesisTime'), organisations, validators };
    // a module's section is checked by that module (Application.validateGenesis); here only its container
    return r.modules === undefined ? base : { ...base, modules: v.record(r.modules, 'genesis.modules') as Record<string, Canonical> };
  } catch (e) {
    if (e instanceof SalusError && e.code !== 'CONFIG') throw new SalusError('CONFIG', `genesis is invalid: ${e.message}`);
    throw e;
  }
}

export function genesisHash(g: Genesis): Uint8Array {
  return sha256(encode(g as unknown as Canonical));
}
