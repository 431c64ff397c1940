import { SalusError, sha256, toHex, utf8ToBytes, type Canonical } from '@salus/core';
import type { KV, TxContext } from '@salus/module';
import { activeKey, getOrg } from '@salus/identity';
import type { Manifest } from './manifest.js';
import type { Approve, Call, Deploy, Freeze, Instantiate, Upgrade } from './payloads.js';
import { codeKey, getCode, getInstance, proposalKey, putInstance, requireInstance, type InstanceRecord, type ProposalAction, type ProposalRecord } from './state.js';
import { signerHasRole, signerOrg, type CallFrame } from './host.js';
import type { ContractCaller } from './caller.js';
import { initPrivateRoot } from '../private/state.js';
import { requireActive, requirePublic } from './status.js';

/** The deterministic handlers of the contracts module's transactions. */
export const INIT_GAS = 5_000_000;

export function deploy(ctx: TxContext, p: Deploy, exportsOf: (code: string) => string[]): void {
  const hash = toHex(sha256(utf8ToBytes(p.code)));
  if (getCode(ctx.state, hash)) throw new SalusError('CONFLICT', `code ${hash.slice(0, 12)}… is already deployed`, { codeHash: hash });
  const exports = exportsOf(p.code);
  ctx.state.set(codeKey(hash), { code: p.code, size: utf8ToBytes(p.code).length, exports, deployer: ctx.signerHex, height: ctx.height });
  ctx.emit('contracts.deployed', { codeHash: hash, size: utf8ToBytes(p.code).length });
}

/** The methods a manifest names must be functions the code exports; the organisations it names must exist. */
function checkManifest(kv: KV, codeHash: string, m: Manifest): void {
  const code = getCode(kv, codeHash);
  if (!code) throw new SalusError('CONTRACT_NOT_FOUND', `no code ${codeHash.slice(0, 12)}… is deployed`, { codeHash });
  const missing = Object.keys(m.methods).filter((n) => !code.exports.includes(n));
  if (m.private && code.exports.includes('init')) throw new SalusError('CONTRACT_INVALID', 'a private contract starts with an empty private state: its code exports no init (a first method call sets it up)');
  if (missing.length > 0) throw new SalusError('CONTRACT_INVALID', `the manifest names methods the code does not export: ${missing.join(', ')}`, { missing });
  const orgs = [...(m.upgrade.policy === 'orgs' ? m.upgrade.orgs : []), ...Object.values(m.methods).flatMap((r) => r.orgs), ...(m.private?.parties ?? [])];
  for (const o of orgs) if (!getOrg(kv, o)) throw new SalusError('NOT_FOUND', `organisation ${o} named in the manifest does not exist`, { org: o });
}

/** Admission of an instantiation: the name is free and the manifest fits the code (init runs only in the block). */
export function admitInstantiate(kv: KV, p: Instantiate): void {
  if (getInstance(kv, p.name)) throw new SalusError('CONFLICT', `a contract named ${p.name} exists`, { contract: p.name });
  checkManifest(kv, p.codeHash, p.manifest);
}

/** Admission of a call: the contract is active and the signer may call the method (the call itself runs only in the block). */
export function admitCall(kv: KV, p: Call, signer: string): void {
  const inst = requireInstance(kv, p.contract);
  requireActive(inst);
  requirePublic(inst);
  requireAllowed(kv, inst, p.method, signer, 'call');
}

/**
 * Instantiation; `run` absent at admission: the instance is recorded in the check state (so calls
 * admitted after it find it) but its init runs only in the block.
 */
export function instantiate(ctx: TxContext, p: Instantiate, run?: ContractCaller): void {
  admitInstantiate(ctx.state, p);
  const consortium = p.manifest.upgrade.policy === 'orgs';
  const inst: InstanceRecord = {
    name: p.name,
    codeHash: p.codeHash,
    manifest: p.manifest,
    owner: ctx.signerHex,
    ownerOrg: signerOrg(ctx.state, ctx.signerHex),
    status: consortium ? 'pending' : 'active',
    since: ctx.height,
    history: [{ codeHash: p.codeHash, version: p.manifest.version, height: ctx.height }],
  };
  putInstance(ctx.state, inst);
  if (p.manifest.private) initPrivateRoot(ctx.state, inst);
  else if (run && getCode(ctx.state, p.codeHash)!.exports.includes('init')) {
    const out = run.invoke(topFrame(ctx, inst), 'init', p.args, INIT_GAS);
    ctx.reportGas(out.gasUsed);
  }
  ctx.emit('contracts.instantiated', { contract: p.name, codeHash: p.codeHash, version: p.manifest.version, status: inst.status });
  // a consortium contract becomes active when every named organisation has approved it
  if (consortium) propose(ctx, inst, { kind: 'activate' });
}

export function topFrame(ctx: TxContext, contract: InstanceRecord, readOnly = false): CallFrame {
  return {
    contract,
    signer: ctx.signerHex,
    caller: null,
    height: ctx.height,
    time: ctx.time,
    txHash: toHex(ctx.txHash),
    state: ctx.state,
    readOnly,
    depth: 0,
    emit: (name, event, data) => ctx.emit('contracts.event', { contract: name, event, data }),
  };
}

/** May the signer call this method, by the manifest's rule? */
export function requireAllowed(kv: KV, inst: InstanceRecord, method: string, signer: string, kind: 'call' | 'query'): void {
  const rule = inst.manifest.methods[method];
  if (!rule || !Object.hasOwn(inst.manifest.methods, method)) throw new SalusError('CONTRACT_NOT_FOUND', `contract ${inst.name} has no method ${method}`, { contract: inst.name, method });
  if (rule.kind !== kind) throw new SalusError('INVALID_FIELD', kind === 'call' ? `${method} is a query: read it with GET /v1/contracts/${inst.name}/query/${method}` : `${method} changes state: call it in a transaction`, { method });
  if (rule.roles.length > 0 && !rule.roles.some((r) => signerHasRole(kv, signer, r))) {
    throw new SalusError('CONTRACT_FORBIDDEN', `${inst.name}.${method} needs a signer with one of the roles ${rule.roles.join(', ')}`, { roles: rule.roles });
  }
  if (rule.orgs.length > 0 && !rule.orgs.includes(signerOrg(kv, signer) ?? '')) {
    throw new SalusError('CONTRACT_FORBIDDEN', `${inst.name}.${method} is for ${rule.orgs.join(', ')}`, { orgs: rule.orgs });
  }
}

export function call(ctx: TxContext, p: Call, run: ContractCaller): void {
  const inst = requireInstance(ctx.state, p.contract);
  requireActive(inst);
  requirePublic(inst);
  requireAllowed(ctx.state, inst, p.method, ctx.signerHex, 'call');
  const out = run.invoke(topFrame(ctx, inst), p.method, p.args, p.gas);
  ctx.reportGas(out.gasUsed);
  ctx.emit('contracts.called', { contract: p.contract, method: p.method, result: out.value as Canonical });
}

export function upgrade(ctx: TxContext, p: Upgrade): void {
  const inst = requireInstance(ctx.state, p.contract);
  checkManifest(ctx.state, p.codeHash, p.manifest);
  if (p.manifest.name !== inst.manifest.name) throw new SalusError('CONTRACT_INVALID', `an upgrade keeps the contract's name (${inst.manifest.name})`);
  act(ctx, inst, { kind: 'upgrade', codeHash: p.codeHash, manifest: p.manifest });
}

export function freeze(ctx: TxContext, p: Freeze): void {
  const inst = requireInstance(ctx.state, p.contract);
  if (inst.status === 'frozen') throw new SalusError('CONFLICT', `contract ${inst.name} is already frozen`);
  act(ctx, inst, { kind: 'freeze' });
}

/** An upgrade or freeze: at once by the owner under the owner policy, by proposal under the orgs policy, never under immutable (but its owner may freeze it). */
function act(ctx: TxContext, inst: InstanceRecord, action: ProposalAction): void {
  const policy = inst.manifest.upgrade;
  if (policy.policy === 'orgs') return void propose(ctx, inst, action);
  if (ctx.signerHex !== inst.owner) throw new SalusError('CONTRACT_FORBIDDEN', `only the key that instantiated ${inst.name} may do this`);
  if (policy.policy === 'immutable' && action.kind === 'upgrade') throw new SalusError('CONTRACT_FORBIDDEN', `contract ${inst.name} is immutable`);
  enact(ctx, inst, action);
}

function propose(ctx: TxContext, inst: InstanceRecord, action: ProposalAction): void {
  const orgs = inst.manifest.upgrade.policy === 'orgs' ? inst.manifest.upgrade.orgs : [];
  const org = adminOrg(ctx.state, ctx.signerHex);
  const approvals = org && orgs.includes(org) ? [org] : [];
  if (approvals.length === 0 && ctx.signerHex !== inst.owner) throw new SalusError('CONTRACT_FORBIDDEN', `only the admin of ${orgs.join(', ')} or the contract's owner proposes this`);
  const proposal: ProposalRecord = { id: toHex(ctx.txHash), contract: inst.name, action, approvals, status: 'open', height: ctx.height };
  ctx.emit('contracts.proposed', { proposal: proposal.id, contract: inst.name, action: action.kind });
  settle(ctx, proposal, inst);
}

export function approve(ctx: TxContext, p: Approve): void {
  const proposal = ctx.state.get(proposalKey(p.proposal)) as ProposalRecord | undefined;
  if (!proposal) throw new SalusError('NOT_FOUND', `no contract proposal ${p.proposal}`);
  if (proposal.status !== 'open') throw new SalusError('CONFLICT', 'the proposal was already enacted');
  const inst = requireInstance(ctx.state, proposal.contract);
  const orgs = inst.manifest.upgrade.policy === 'orgs' ? inst.manifest.upgrade.orgs : [];
  const org = adminOrg(ctx.state, ctx.signerHex);
  if (!org || !orgs.includes(org)) throw new SalusError('CONTRACT_FORBIDDEN', `only the admins of ${orgs.join(', ')} approve proposals for ${inst.name}`);
  if (proposal.approvals.includes(org)) throw new SalusError('CONFLICT', `organisation ${org} has already approved`);
  ctx.emit('contracts.approved', { proposal: proposal.id, org });
  settle(ctx, { ...proposal, approvals: [...proposal.approvals, org].sort() }, inst);
}

/** Stores the proposal, enacting it once every named organisation approved (the organisations are those of the policy in force). */
function settle(ctx: TxContext, proposal: ProposalRecord, inst: InstanceRecord): void {
  const orgs = inst.manifest.upgrade.policy === 'orgs' ? inst.manifest.upgrade.orgs : [];
  const done = orgs.every((o) => proposal.approvals.includes(o));
  ctx.state.set(proposalKey(proposal.id), { ...proposal, status: done ? 'enacted' : 'open' } as unknown as Canonical);
  if (done) enact(ctx, inst, proposal.action);
}

function enact(ctx: TxContext, inst: InstanceRecord, action: ProposalAction): void {
  if (action.kind === 'activate') {
    putInstance(ctx.state, { ...inst, status: 'active' });
    ctx.emit('contracts.activated', { contract: inst.name });
  } else if (action.kind === 'freeze') {
    putInstance(ctx.state, { ...inst, status: 'frozen' });
    ctx.emit('contracts.frozen', { contract: inst.name });
  } else {
    const history = [...inst.history, { codeHash: action.codeHash, version: action.manifest.version, height: ctx.height }];
    putInstance(ctx.state, { ...inst, codeHash: action.codeHash, manifest: action.manifest, history });
    ctx.emit('contracts.upgraded', { contract: inst.name, codeHash: action.codeHash, version: action.manifest.version });
  }
}

function adminOrg(kv: KV, signer: string): string | null {
  const k = activeKey(kv, signer);
  return k && k.role === 'admin' ? k.org : null;
}
