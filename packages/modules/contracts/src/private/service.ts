import { join } from 'node:path';
import { SalusError, decode, decodeTx, encode, bytesEqual, toHex, type Canonical } from '@salus/core';
import type { ModuleService, ModuleServiceDeps } from '@salus/module';
import { activeKey } from '@salus/identity';
import { blobHash, decodePrivateInput, openBlobs, privateInputAad, privateInputHash, type PrivateInput } from '@salus/client';
import type { ContractCaller } from '../module/caller.js';
import { getInstance, requireInstance, type InstanceRecord } from '../module/state.js';
import { requireActive } from '../module/status.js';
import { requireAllowed } from '../module/handlers.js';
import { RESULT_AGE_MAX, requirePrivate } from './handlers.js';
import { parsePrivateCall, type InputBlobs, type PrivateCall } from './payloads.js';
import { resultBody, signResult, type Endorsement, type PrivateResult } from './result.js';
import { EMPTY_ROOT, getPrivateRoot } from './state.js';
import { PrivateStore } from './store.js';
import { callerRoles, runPrivate, type PrivateRun } from './executor.js';
import { parseSealedInput, type SealedInputBody } from './sealed.js';

/** endorsed runs kept until their transaction commits (or is forgotten: the client endorses again) */
const PENDING_MAX = 4096;
const QUERY_GAS = 10_000_000;
/** how long an endorse request waits for the height it names before it is refused as not ready */
const HEIGHT_WAIT_MS = 3_000;

export interface EndorseAnswer {
  readonly result: PrivateResult;
  readonly endorsement: Endorsement;
  readonly blobs: InputBlobs;
}

/**
 * Private execution on a party's node (the contracts module's node service). It endorses: decrypts
 * a call's input with its organisation's key, runs it on its private state, signs the result and
 * keeps the writes. It follows the ledger: for every committed private call of a contract its
 * organisation is a party to, in block order, it commits the endorsed writes (or replays the call
 * from the encrypted input, fetched from another party's node if it missed the call) and checks the
 * root it reaches is the one the ledger holds. A contract whose committed root this node cannot
 * reproduce is marked diverged and served no more (the operator investigates); the rest go on.
 */
export class PrivateExecution implements ModuleService {
  readonly store: PrivateStore;
  private readonly pending = new Map<string, PrivateRun>();
  private readonly diverged = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private target = 0;
  private closed = false;

  constructor(
    readonly deps: ModuleServiceDeps,
    private readonly caller: ContractCaller,
  ) {
    this.store = new PrivateStore(join(deps.dataDir, 'private.sqlite'));
  }

  /** the organisation this node acts for, per committed state (null without a key file) */
  org(): string | null {
    const keys = this.deps.orgKeys;
    return keys ? (activeKey(this.deps.committed(), toHex(keys.signing.publicKey))?.org ?? null) : null;
  }

  start(): void {
    this.onBlock(this.deps.ledger.lastHeight());
  }

  onBlock(height: number): void {
    if (height <= this.target || this.closed) return;
    this.target = height;
    this.queue = this.queue
      .then(() => this.catchUp())
      .catch((e: unknown) => this.deps.log.warn({ reason: (e as Error).message }, 'private execution: following the ledger failed'));
  }

  /** Resolves when every committed block so far is applied. */
  idle(): Promise<void> {
    return this.queue;
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.queue;
    this.store.close();
  }

  /** Why a contract is not served here (null: it is). */
  divergence(contract: string): string | null {
    return this.diverged.get(contract) ?? null;
  }

  private async catchUp(): Promise<void> {
    while (!this.closed && this.store.applied < this.target) {
      // a node started from a snapshot holds no block below its base (nor the private state made before it)
      const h = Math.max(this.store.applied + 1, this.deps.blocks.base ?? 0);
      for (const t of this.deps.blocks.getTxs(h)) {
        const tx = decodeTx(t.tx);
        if (tx.module !== 'contracts' || tx.type !== 'private_call' || (decode(t.result) as { code: string }).code !== 'OK') continue;
        await this.apply(parsePrivateCall(tx.payload));
      }
      this.store.applied = h;
    }
  }

  private diverge(contract: string, reason: string): void {
    this.diverged.set(contract, reason);
    this.deps.log.warn({ contract, reason }, 'private execution: this node cannot reproduce the committed private state; the contract is no longer served here');
  }

  private async apply(p: PrivateCall): Promise<void> {
    const r = p.result;
    const inst = getInstance(this.deps.committed(), r.contract);
    const org = this.org();
    if (!inst?.manifest.private || !org || !inst.manifest.private.parties.includes(org) || this.diverged.has(r.contract)) return;
    const head = this.store.head(r.contract);
    if (head.root !== r.before) return this.diverge(r.contract, `the committed call ${r.input.slice(0, 12)}… ran on ${r.before.slice(0, 12)}…, this node is at ${head.root.slice(0, 12)}…`);
    const key = pendingKey(r);
    let run = this.pending.get(key);
    if (!run || !sameResult(run.result, r)) {
      try {
        run = await this.replay(versionAt(inst, r.height), p, org);
      } catch (e) {
        // the input is on no reachable party node yet (its peers are still connecting): try again at the next block
        if (e instanceof SalusError && e.code === 'BLOB_MISSING') throw e;
        return this.diverge(r.contract, `replaying ${r.input.slice(0, 12)}… failed: ${(e as Error).message}`);
      }
      if (!sameResult(run.result, r)) return this.diverge(r.contract, `replaying ${r.input.slice(0, 12)}… gives root ${run.result.after.slice(0, 12)}…, the ledger holds ${r.after.slice(0, 12)}…`);
    }
    this.store.commit(r.contract, run.writes, run.preview, r.before);
    this.pending.delete(key);
    // the input stays on the parties' nodes with the state it made: never collected
    await this.deps.blobs.pin([p.blobs.content, ...p.blobs.envelopes.map((e) => e.blob)], null);
  }

  /** Runs a committed call again from its encrypted input, in the context its endorsers recorded. */
  private async replay(inst: InstanceRecord, p: PrivateCall, org: string): Promise<PrivateRun> {
    const mine = p.blobs.envelopes.find((e) => e.org === org);
    if (!mine) throw new SalusError('BLOB_MISSING', `the input has no envelope for ${org}`);
    await this.deps.fetchBlobs([p.blobs.content, mine.blob]);
    const content = await this.deps.blobs.get(p.blobs.content);
    const envelope = await this.deps.blobs.get(mine.blob);
    if (!content || !envelope) throw new SalusError('BLOB_MISSING', 'the encrypted input is on no reachable party node');
    const { input, inputHash } = await this.open(inst.name, content, envelope);
    if (inputHash !== p.result.input) throw new SalusError('HASH_MISMATCH', 'the stored input does not hash to the committed one');
    const r = p.result;
    return runPrivate({ caller: this.caller, store: this.store, pub: this.deps.committed(), inst, input, inputHash, context: { caller: r.caller, roles: r.roles, height: r.height, time: r.time } });
  }

  private async open(contract: string, content: Uint8Array, envelope: Uint8Array): Promise<{ input: PrivateInput; inputHash: string }> {
    const keys = this.deps.orgKeys!;
    const plaintext = await openBlobs(content, envelope, keys.encryption.secretKey, privateInputAad(this.deps.chainId, contract), this.deps.keyWrap);
    return { input: decodePrivateInput(plaintext), inputHash: privateInputHash(plaintext) };
  }

  /** The contract, active, private, with this node's organisation a party, and its private state here at the ledger's root. */
  private async servable(name: string): Promise<{ inst: InstanceRecord; org: string }> {
    if (!this.deps.orgKeys) throw new SalusError('FORBIDDEN', 'this node holds no organisation key: it executes no private contract');
    const inst = requireInstance(this.deps.committed(), name);
    requireActive(inst);
    const policy = requirePrivate(inst);
    const org = this.org();
    if (!org || !policy.parties.includes(org)) throw new SalusError('CONTRACT_FORBIDDEN', `this node's organisation (${org ?? 'none'}) is not a party to ${name}: ask a node of ${policy.parties.join(', ')}`);
    const diverged = this.diverged.get(name);
    if (diverged) throw new SalusError('PRIVATE_NOT_READY', `this node's private state of ${name} diverged from the ledger: ${diverged}`);
    // a block may have just committed: let the follower apply it before comparing roots
    const behind = () => this.store.head(name).root !== (getPrivateRoot(this.deps.committed(), name)?.root ?? EMPTY_ROOT);
    if (behind()) await this.queue;
    if (behind()) throw new SalusError('PRIVATE_NOT_READY', `this node's private state of ${name} is not at the ledger's root yet; retry shortly`);
    return { inst, org };
  }

  /** Decrypts the sealed input, runs it, signs the result as this node's organisation. */
  async endorse(name: string, callerKey: string, body: Uint8Array): Promise<EndorseAnswer> {
    const sealed: SealedInputBody = parseSealedInput(body);
    // the client's node may be a block ahead of this one: wait a little for that height rather than refuse
    if (sealed.height > this.deps.ledger.lastHeight()) await this.deps.waitForHeight(sealed.height, HEIGHT_WAIT_MS).catch(() => undefined);
    const { inst, org } = await this.servable(name);
    const parties = inst.manifest.private!.parties;
    if (sealed.envelopes.map((e) => e.org).sort().join() !== parties.join()) throw new SalusError('INVALID_FIELD', `the input must be encrypted to every party: ${parties.join(', ')}`, { field: 'envelopes' });
    const { input, inputHash } = await this.open(name, sealed.content, sealed.envelopes.find((e) => e.org === org)!.blob);
    const kv = this.deps.committed();
    requireAllowed(kv, inst, input.method, callerKey, 'call');
    const context = { caller: callerKey, roles: callerRoles(kv, callerKey), height: sealed.height, time: this.contextTime(sealed.height) };
    const run = runPrivate({ caller: this.caller, store: this.store, pub: kv, inst, input, inputHash, context });
    const keys = this.deps.orgKeys!;
    const endorsement = signResult(this.deps.ed, keys.signing.secretKey, keys.signing.publicKey, this.deps.chainId, run.result);
    const blobs: InputBlobs = { content: blobHash(sealed.content), envelopes: sealed.envelopes.map((e) => ({ org: e.org, blob: blobHash(e.blob) })) };
    await this.deps.blobs.put(blobs.content, sealed.content, null);
    for (const [i, e] of sealed.envelopes.entries()) await this.deps.blobs.put(blobs.envelopes[i]!.blob, e.blob, null);
    if (this.pending.size >= PENDING_MAX) this.pending.delete(this.pending.keys().next().value!);
    this.pending.set(pendingKey(run.result), run);
    return { result: run.result, endorsement, blobs };
  }

  /** The block time of the height a call runs at: committed here, and recent enough to commit before it is too old. */
  private contextTime(height: number): number {
    const last = this.deps.ledger.lastHeight();
    if (height > last) throw new SalusError('PRIVATE_NOT_READY', `this node has not committed height ${height} yet (it is at ${last}); retry shortly`);
    if (height < 1 || height < last - RESULT_AGE_MAX / 2) throw new SalusError('CONTRACT_STALE', `height ${height} is too old to run a call at; the ledger is at ${last}`);
    return this.deps.blocks.requireBlock(height).header.time;
  }

  /** A query method run read-only on this node's private state, for a member of a party. */
  async query(name: string, callerKey: string, method: string, args: Canonical): Promise<{ value: unknown; root: string }> {
    const { inst } = await this.servable(name);
    const kv = this.deps.committed();
    requirePartyMember(kv, callerKey, inst);
    requireAllowed(kv, inst, method, callerKey, 'query');
    const context = { caller: callerKey, roles: callerRoles(kv, callerKey), height: this.deps.ledger.lastHeight(), time: this.deps.ledger.lastHeader()?.time ?? 0 };
    const input: PrivateInput = { method, args, gas: QUERY_GAS, salt: new Uint8Array(16) };
    const run = runPrivate({ caller: this.caller, store: this.store, pub: kv, inst, input, inputHash: toHex(new Uint8Array(32)), context, readOnly: true });
    return { value: run.result.outputs.value, root: run.result.before };
  }

  /** A private value with its proof against the contract's root, for a member of a party. */
  async prove(name: string, callerKey: string, key: string): Promise<{ root: string; value: Uint8Array | undefined; proof: { siblings: Uint8Array[]; leaf?: { path: Uint8Array; valueHash: Uint8Array } } }> {
    const { inst } = await this.servable(name);
    requirePartyMember(this.deps.committed(), callerKey, inst);
    const p = this.store.prove(name, key);
    return { root: p.root, value: p.value, proof: { siblings: [...p.proof.siblings], ...(p.proof.leaf ? { leaf: p.proof.leaf } : {}) } };
  }
}

function requirePartyMember(kv: Parameters<typeof activeKey>[0], key: string, inst: InstanceRecord): void {
  const org = activeKey(kv, key)?.org;
  if (!org || !inst.manifest.private!.parties.includes(org)) throw new SalusError('CONTRACT_FORBIDDEN', `only members of ${inst.manifest.private!.parties.join(', ')} read ${inst.name}'s private state`);
}

const pendingKey = (r: PrivateResult) => `${r.contract}:${r.input}:${r.before}`;

function sameResult(a: PrivateResult, b: PrivateResult): boolean {
  return bytesEqual(encode(resultBody(a)), encode(resultBody(b)));
}

/** The instance as it was at `height`: the code version then in force (an upgrade does not rewrite history). */
function versionAt(inst: InstanceRecord, height: number): InstanceRecord {
  const v = [...inst.history].reverse().find((x) => x.height <= height);
  return v ? { ...inst, codeHash: v.codeHash } : inst;
}
