import { type BlockHeader, type Commit, type Ed25519, type Validator, SalusError, bytesEqual, decodeHeader, toHex, verifyCommit } from '@salus/core';
import { offenceOf, verifyEvidence } from '../tendermint/evidence.js';
import type { SignRequest } from '../tendermint/signer.js';
import type { ConsensusEvidence } from '../tendermint/types.js';
import { shortHash } from './blocks.js';

/** The first invariant violation ends a run. */
export interface Violation {
  readonly invariant: 'agreement' | 'state-agreement' | 'commit-validity' | 'double-sign' | 'evidence' | 'liveness' | 'byzantine-bound' | 'scenario' | 'budget' | 'crash';
  readonly message: string;
  readonly atMs: number;
}

/** What an honest ledger holds after committing a height (host mode). */
export interface LedgerState {
  /** the state root after the block: the next header's appHash */
  readonly appHash: string;
  /** the root of the block's results: the next header's lastResultsHash */
  readonly resultsRoot: string;
  readonly node: number;
}

/**
 * Invariants checked as the run goes (every commit and every signature is a step that can break
 * one): honest nodes agree on the block of each height; every committed block carries a commit
 * that core's verifyCommit accepts; no honest signer ever signs two conflicting messages. In host
 * mode, also: honest ledgers that executed a height agree on its app hash and results root, and
 * the next header carries both. Evidence an honest node reports must verify as the ledger would
 * check it, and accuse a Byzantine validator: never an honest one.
 */
export class Checker {
  violation: Violation | null = null;
  /** height → first honest decision, and when (virtual ms) */
  readonly decided = new Map<number, { hash: string; node: number; at: number }>();
  /** hex keys of the honest validators (set by the simulator), and the chain id evidence is checked under */
  honestKeys: ReadonlySet<string> = new Set();
  chainId = '';
  /** evidence reported by honest nodes, by the kind of offence */
  readonly evidence = { proposal: 0, vote: 0 };
  /** height → the first honest ledger's state after it (host mode) */
  readonly states = new Map<number, LedgerState>();
  private readonly signed = new Map<string, string>();
  commits = 0;

  constructor(
    private readonly ed: Ed25519,
    private readonly now: () => number,
    /** how a committed block's bytes hold its header (host mode: a whole block) */
    private readonly headerOf: (block: Uint8Array) => BlockHeader = decodeHeader,
  ) {}

  fail(invariant: Violation['invariant'], message: string): void {
    if (this.violation === null) this.violation = { invariant, message, atMs: this.now() };
  }

  onCommit(node: number, height: number, block: Uint8Array, blockHash: Uint8Array, commit: Commit, validators: readonly Validator[]): void {
    this.commits++;
    try {
      const header = this.headerOf(block);
      if (header.height !== height) throw new SalusError('BAD_COMMIT', `header says height ${header.height}`);
      verifyCommit(this.ed, header, commit, validators);
      if (!bytesEqual(commit.blockHash, blockHash)) throw new SalusError('BAD_COMMIT', 'commit names another block');
    } catch (e) {
      this.fail('commit-validity', `node ${node} committed height ${height} (${shortHash(blockHash)}) without a valid commit: ${(e as Error).message}`);
      return;
    }
    const hash = toHex(blockHash);
    const first = this.decided.get(height);
    if (first === undefined) this.decided.set(height, { hash, node, at: this.now() });
    else if (first.hash !== hash) {
      this.fail('agreement', `height ${height}: node ${first.node} decided ${first.hash.slice(0, 8)}, node ${node} decided ${hash.slice(0, 8)}`);
    }
  }

  /**
   * Host mode, after an honest ledger committed `height` (whose header is given): the same app hash
   * and results root as every other honest ledger at that height, and the header's appHash and
   * lastResultsHash are those of the height before (so a ledger that executed a block differently
   * is caught at the height where it did, and again by the header that follows).
   */
  onState(node: number, height: number, header: BlockHeader, appHash: Uint8Array, resultsRoot: Uint8Array): void {
    const prev = this.states.get(height - 1);
    if (prev !== undefined && (toHex(header.appHash) !== prev.appHash || toHex(header.lastResultsHash) !== prev.resultsRoot)) {
      this.fail('state-agreement', `node ${node}'s block ${height} names app hash ${shortHash(header.appHash)} and results ${shortHash(header.lastResultsHash)}; height ${height - 1} ended at ${prev.appHash.slice(0, 8)} and ${prev.resultsRoot.slice(0, 8)} (node ${prev.node})`);
    }
    const mine: LedgerState = { appHash: toHex(appHash), resultsRoot: toHex(resultsRoot), node };
    const first = this.states.get(height);
    if (first === undefined) this.states.set(height, mine);
    else if (first.appHash !== mine.appHash || first.resultsRoot !== mine.resultsRoot) {
      this.fail('state-agreement', `height ${height}: node ${first.node} reached app hash ${first.appHash.slice(0, 8)} results ${first.resultsRoot.slice(0, 8)}, node ${node} ${mine.appHash.slice(0, 8)} results ${mine.resultsRoot.slice(0, 8)}`);
    }
  }

  /** Evidence an honest node reported: it verifies against the height's validators and accuses no honest validator. */
  onEvidence(node: number, ev: ConsensusEvidence, validators: readonly Validator[]): void {
    const o = offenceOf(ev);
    try {
      verifyEvidence(this.ed, this.chainId, ev, validators);
    } catch (e) {
      this.fail('evidence', `node ${node} reported evidence that does not verify (${o.type} ${o.height}/${o.round}): ${(e as Error).message}`);
      return;
    }
    if (this.honestKeys.has(toHex(o.validator))) this.fail('evidence', `node ${node} accused honest validator ${shortHash(o.validator)} (${o.type} ${o.height}/${o.round})`);
    this.evidence[o.type === 'proposal' ? 'proposal' : 'vote']++;
  }

  /** Every signature an honest signer hands out, across crashes and restarts. */
  onSigned(node: number, req: SignRequest): void {
    const step = req.kind === 'proposal' ? 'proposal' : req.type;
    const key = `${node}/${req.height}/${req.round}/${step}`;
    const what = req.kind === 'proposal' ? `${shortHash(req.blockHash)}/${req.polRound}` : shortHash(req.blockHash);
    const before = this.signed.get(key);
    if (before === undefined) this.signed.set(key, what);
    else if (before !== what) this.fail('double-sign', `honest node ${node} signed two ${step}s at ${req.height}/${req.round}: ${before} and ${what}`);
  }
}
