import { SalusError, toHex, v, type Canonical } from '@salus/core';
import { activeKey, getOrg } from '@salus/identity';
import { createOrg } from '@salus/identity';
import {
  NEXT_VALIDATORS_KEY,
  VALIDATORS_KEY,
  VALSET_DELAY,
  activateDueValset,
  type PendingValset,
  type ValidatorRecord,
  proposalKey,
  toConsensusValidators,
  validatorsForHeight,
  votingOrgs,
} from './state.js';
import { governanceRoutes } from './routes.js';
import { type AppModule, type TxContext, type KV, HEX32, parseOrg, parseValidator, type Genesis, type GenesisOrg, type GenesisValidator } from '@salus/module';

/**
 * Governance: the organisations that run validators decide, by more than two thirds of them, to
 * admit an organisation or to add, re-weight or remove a validator. A proposal is executed in the
 * block where its approving vote lands; validator changes take effect VALSET_DELAY blocks later.
 */
export type Action =
  | { kind: 'add_org'; org: GenesisOrg }
  | { kind: 'set_validator'; validator: GenesisValidator }
  | { kind: 'remove_validator'; pubKey: string };

export interface Proposal {
  readonly id: string;
  readonly action: Action;
  readonly proposer: string;
  readonly height: number;
  readonly votes: Record<string, boolean>;
  readonly status: 'open' | 'approved' | 'rejected';
}

function parseAction(a: unknown): Action {
  const r = v.record(a, 'action');
  const kind = v.oneOf(r.kind, 'action.kind', ['add_org', 'set_validator', 'remove_validator'] as const);
  if (kind === 'add_org') {
    v.onlyKeys(r, ['kind', 'org'], 'action');
    return { kind, org: parseOrg(r.org, 'action.org') };
  }
  if (kind === 'set_validator') {
    v.onlyKeys(r, ['kind', 'validator'], 'action');
    return { kind, validator: parseValidator(r.validator, 'action.validator') };
  }
  v.onlyKeys(r, ['kind', 'pubKey'], 'action');
  return { kind, pubKey: v.str(r.pubKey, 'action.pubKey', 64, HEX32) };
}

function parse(type: string, payload: Canonical): { action?: Action; proposal?: string; approve?: boolean } {
  const r = v.record(payload, 'payload');
  if (type === 'propose') {
    v.onlyKeys(r, ['action'], 'payload');
    return { action: parseAction(r.action) };
  }
  if (type === 'vote') {
    v.onlyKeys(r, ['proposal', 'approve'], 'payload');
    if (typeof r.approve !== 'boolean') throw new SalusError('INVALID_FIELD', 'approve must be true or false', { field: 'approve' });
    return { proposal: v.str(r.proposal, 'proposal', 64, HEX32), approve: r.approve };
  }
  throw new SalusError('UNKNOWN_TYPE', `governance has no transaction type "${type}"`, { type });
}

/** The signer must be the admin of an organisation that runs a validator; returns that organisation. */
function voterOrg(kv: KV, signerHex: string): string {
  const rec = activeKey(kv, signerHex);
  if (!rec) throw new SalusError('UNREGISTERED_SIGNER', 'the signer is not an active registered key');
  if (rec.role !== 'admin' || rec.org === null) throw new SalusError('FORBIDDEN', 'only an organisation admin votes on governance');
  if (!votingOrgs(kv).includes(rec.org)) throw new SalusError('FORBIDDEN', `organisation ${rec.org} runs no validator and has no vote`);
  return rec.org;
}

function checkAction(kv: KV, action: Action, height: number): void {
  if (action.kind === 'add_org' && getOrg(kv, action.org.id)) throw new SalusError('CONFLICT', `organisation ${action.org.id} already exists`);
  if (action.kind === 'set_validator' && !getOrg(kv, action.validator.org)) {
    throw new SalusError('NOT_FOUND', `organisation ${action.validator.org} does not exist`);
  }
  if (action.kind === 'remove_validator') {
    const vals = validatorsForHeight(kv, height + VALSET_DELAY);
    if (!vals.some((x) => x.pubKey === action.pubKey)) throw new SalusError('NOT_FOUND', 'no such validator');
    if (vals.length === 1) throw new SalusError('FORBIDDEN', 'the last validator cannot be removed');
  }
}

function enact(ctx: TxContext, action: Action): void {
  checkAction(ctx.state, action, ctx.height);
  if (action.kind === 'add_org') {
    const o = action.org;
    createOrg(ctx.state, { id: o.id, name: o.name, kind: o.kind, admin: o.adminKey, encryptionKey: o.encryptionKey }, ctx.height);
    ctx.emit('governance.org_added', { org: o.id });
    return;
  }
  const base = validatorsForHeight(ctx.state, ctx.height + VALSET_DELAY);
  let next: ValidatorRecord[];
  if (action.kind === 'set_validator') {
    next = base.filter((x) => x.pubKey !== action.validator.pubKey);
    next.push(action.validator);
    next.sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1));
  } else {
    next = base.filter((x) => x.pubKey !== action.pubKey);
  }
  const pending: PendingValset = { height: ctx.height + VALSET_DELAY, validators: next };
  ctx.state.set(NEXT_VALIDATORS_KEY, pending);
  ctx.emit('governance.validators_changed', { effectiveHeight: pending.height, count: next.length });
}

function tally(ctx: TxContext, p: Proposal): Proposal {
  const orgs = votingOrgs(ctx.state);
  const yes = orgs.filter((o) => p.votes[o] === true).length;
  const no = orgs.filter((o) => p.votes[o] === false).length;
  if (yes * 3 > orgs.length * 2) {
    enact(ctx, p.action);
    return { ...p, status: 'approved' };
  }
  // Rejected once approval can no longer pass.
  if ((orgs.length - no) * 3 <= orgs.length * 2) return { ...p, status: 'rejected' };
  return p;
}

function deliver(ctx: TxContext, type: string, payload: Canonical): void {
  const p = parse(type, payload);
  const org = voterOrg(ctx.state, ctx.signerHex);
  if (type === 'propose') {
    checkAction(ctx.state, p.action!, ctx.height);
    const id = toHex(ctx.txHash);
    const proposal = tally(ctx, { id, action: p.action!, proposer: org, height: ctx.height, votes: { [org]: true }, status: 'open' });
    ctx.state.set(proposalKey(id), proposal);
    ctx.emit('governance.proposed', { proposal: id, status: proposal.status });
    return;
  }
  const existing = ctx.state.get(proposalKey(p.proposal!)) as Proposal | undefined;
  if (!existing) throw new SalusError('NOT_FOUND', `no proposal ${p.proposal}`);
  if (existing.status !== 'open') throw new SalusError('CONFLICT', `proposal is already ${existing.status}`);
  if (org in existing.votes) throw new SalusError('CONFLICT', `organisation ${org} has already voted`);
  const updated = tally(ctx, { ...existing, votes: { ...existing.votes, [org]: p.approve! } });
  ctx.state.set(proposalKey(updated.id), updated);
  ctx.emit('governance.voted', { proposal: updated.id, org, approve: p.approve!, status: updated.status });
}

export const governanceModule: AppModule = {
  name: 'governance',
  txs: {
    types: {
      propose: { summary: 'An admin of a validator-running organisation proposes add_org, set_validator or remove_validator' },
      vote: { summary: 'An admin of a validator-running organisation votes on an open proposal' },
    },
    check: (type, payload) => void parse(type, payload),
    deliver,
  },
  genesis: {
    // the founding validators are the chain's own (genesis.validators), already validated with it
    validate: () => undefined,
    init(kv: KV, _section: unknown, genesis: Genesis) {
      const vals = [...genesis.validators].sort((a, b) => (a.pubKey < b.pubKey ? -1 : 1));
      kv.set(VALIDATORS_KEY, vals);
    },
  },
  beginBlock: (ctx) => activateDueValset(ctx.state, ctx.height),
  // the validator set that signs the next block goes back to the ledger, which imports no module
  endBlock: (ctx) => ({ nextValidators: toConsensusValidators(validatorsForHeight(ctx.state, ctx.height + 1)) }),
  events: [
    { type: 'governance.proposed', attributes: ['proposal', 'status'] },
    { type: 'governance.voted', attributes: ['proposal', 'org', 'approve', 'status'] },
    { type: 'governance.org_added', attributes: ['org'] },
    { type: 'governance.validators_changed', attributes: ['effectiveHeight', 'count'] },
  ],
  routes: governanceRoutes,
};
