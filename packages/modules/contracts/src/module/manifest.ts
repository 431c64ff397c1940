import { SalusError, v } from '@salus/core';

/**
 * A contract's manifest: what it is, which methods it has and who may call them, which other
 * modules' state it reads, and who may upgrade or freeze it. It is stored with each instance and
 * is part of what an upgrade changes (and what the approving organisations approve).
 */
export interface MethodRule {
  /** `call` methods run in transactions and may write; `query` methods run read-only, off the ledger */
  readonly kind: 'call' | 'query';
  /** the signer's key role (admin, practitioner, service, …) or its organisation's kind (insurer, hospital, …); empty: anyone registered */
  readonly roles: readonly string[];
  /** the signer's organisation must be one of these; empty: any */
  readonly orgs: readonly string[];
}

export type UpgradePolicy =
  /** the code can never change */
  | { readonly policy: 'immutable' }
  /** the key that instantiated it upgrades and freezes it */
  | { readonly policy: 'owner' }
  /** a proposal approved by the admin of every named organisation (a consortium contract) */
  | { readonly policy: 'orgs'; readonly orgs: readonly string[] };

export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly methods: Readonly<Record<string, MethodRule>>;
  /** state prefixes of other modules it reads (e.g. `identity/org/`); needs the `orgs` policy, whose organisations approve it */
  readonly reads: readonly string[];
  readonly upgrade: UpgradePolicy;
  /** present: a private contract, run only on its parties' nodes over their private state (docs/adr/0009) */
  readonly private?: PrivatePolicy;
}

/** Who keeps a private contract's state and runs its calls, and how many of them must endorse each call. */
export interface PrivatePolicy {
  /** organisation ids, sorted */
  readonly parties: readonly string[];
  /** endorsements from distinct parties a call needs (1 to the number of parties) */
  readonly endorse: number;
}

const WORD = /^[a-z][a-z0-9-]{0,62}$/;
const METHOD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const VERSION = /^[0-9A-Za-z.+-]{1,32}$/;
const PREFIX = /^[a-z][a-z0-9-]*\/[\x21-\x7e]{0,120}$/;
const METHODS_MAX = 64;

function rule(o: unknown, field: string): MethodRule {
  const r = v.record(o, field);
  v.onlyKeys(r, ['kind', 'roles', 'orgs'], field);
  const words = (x: unknown, f: string) => (x === undefined ? [] : v.list(x, f, 32).map((w, i) => v.str(w, `${f}[${i}]`, 63, WORD)));
  return { kind: v.oneOf(r.kind, `${field}.kind`, ['call', 'query'] as const), roles: words(r.roles, `${field}.roles`), orgs: words(r.orgs, `${field}.orgs`) };
}

function upgrade(o: unknown): UpgradePolicy {
  const r = v.record(o, 'manifest.upgrade');
  const policy = v.oneOf(r.policy, 'manifest.upgrade.policy', ['immutable', 'owner', 'orgs'] as const);
  if (policy !== 'orgs') {
    v.onlyKeys(r, ['policy'], 'manifest.upgrade');
    return { policy };
  }
  v.onlyKeys(r, ['policy', 'orgs'], 'manifest.upgrade');
  const orgs = v.list(r.orgs, 'manifest.upgrade.orgs', 32).map((w, i) => v.str(w, `manifest.upgrade.orgs[${i}]`, 63, WORD));
  if (orgs.length === 0 || new Set(orgs).size !== orgs.length) throw new SalusError('INVALID_FIELD', 'manifest.upgrade.orgs names one or more distinct organisations', { field: 'manifest.upgrade.orgs' });
  return { policy, orgs: [...orgs].sort() };
}

/** Parses and checks a manifest (stateless; that named organisations exist is checked by the handler). */
export function parseManifest(o: unknown): Manifest {
  const r = v.record(o, 'manifest');
  v.onlyKeys(r, ['name', 'version', 'methods', 'reads', 'upgrade', 'private'], 'manifest');
  const methodsIn = v.record(r.methods, 'manifest.methods');
  const names = Object.keys(methodsIn).sort();
  if (names.length === 0 || names.length > METHODS_MAX) throw new SalusError('INVALID_FIELD', `manifest.methods names 1 to ${METHODS_MAX} methods`, { field: 'manifest.methods' });
  const methods: Record<string, MethodRule> = {};
  for (const n of names) {
    if (!METHOD.test(n) || n === 'init') throw new SalusError('INVALID_FIELD', `manifest.methods: "${n}" is not a method name (init is called once, at instantiation)`, { field: 'manifest.methods' });
    methods[n] = rule(methodsIn[n], `manifest.methods.${n}`);
  }
  const reads = r.reads === undefined ? [] : v.list(r.reads, 'manifest.reads', 16).map((p, i) => v.str(p, `manifest.reads[${i}]`, 128, PREFIX));
  const policy = upgrade(r.upgrade);
  if (reads.some((p) => p.startsWith('contracts/'))) throw new SalusError('INVALID_FIELD', "a contract reads another contract by calling it, not through its state", { field: 'manifest.reads' });
  if (reads.length > 0 && policy.policy !== 'orgs') {
    throw new SalusError('INVALID_FIELD', "a contract that reads other modules' state needs the 'orgs' upgrade policy: its organisations approve what it reads", { field: 'manifest.reads' });
  }
  const base = { name: v.str(r.name, 'manifest.name', 63, WORD), version: v.str(r.version, 'manifest.version', 32, VERSION), methods, reads: [...reads].sort(), upgrade: policy };
  if (r.private === undefined) return base;
  if (reads.length > 0) throw new SalusError('INVALID_FIELD', "a private contract reads no other module's state: its parties could see different heights of it", { field: 'manifest.reads' });
  return { ...base, private: privatePolicy(r.private) };
}

const PARTIES_MAX = 16;

function privatePolicy(o: unknown): PrivatePolicy {
  const r = v.record(o, 'manifest.private');
  v.onlyKeys(r, ['parties', 'endorse'], 'manifest.private');
  const parties = v.list(r.parties, 'manifest.private.parties', PARTIES_MAX).map((w, i) => v.str(w, `manifest.private.parties[${i}]`, 63, WORD));
  if (parties.length === 0 || new Set(parties).size !== parties.length) throw new SalusError('INVALID_FIELD', `manifest.private.parties names 1 to ${PARTIES_MAX} distinct organisations`, { field: 'manifest.private.parties' });
  const endorse = r.endorse === undefined ? parties.length : v.uint(r.endorse, 'manifest.private.endorse', parties.length);
  if (endorse < 1) throw new SalusError('INVALID_FIELD', 'manifest.private.endorse is at least 1', { field: 'manifest.private.endorse' });
  return { parties: [...parties].sort(), endorse };
}
