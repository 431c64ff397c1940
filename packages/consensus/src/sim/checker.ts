import { type Commit, type Ed25519, type Validator, SalusError, bytesEqual, decodeHeader, toHex, verifyCommit } from '@salus/core';
import type { SignRequest } from '../tendermint/signer.js';
import { shortHash } from './blocks.js';

/** The first invariant violation ends a run. */
export interface Violation {
  readonly invariant: 'agreement' | 'commit-validity' | 'double-sign' | 'liveness' | 'byzantine-bound' | 'budget' | 'crash';
  readonly message: string;
  readonly atMs: number;
}

/**
 * Invariants checked as the run goes (every commit and every signature is a step that can break
 * one): honest nodes agree on the block of each height; every committed block carries a commit
 * that core's verifyCommit accepts; no honest signer ever signs two conflicting messages.
 */
export class Checker {
  violation: Violation | null = null;
  /** height → first honest decision */
  readonly decided = new Map<number, { hash: string; node: number }>();
  private readonly signed = new Map<string, string>();
  commits = 0;

  constructor(
    private readonly ed: Ed25519,
    private readonly now: () => number,
  ) {}

  fail(invariant: Violation['invariant'], message: string): void {
    if (this.violation === null) this.violation = { invariant, message, atMs: this.now() };
  }

  onCommit(node: number, height: number, block: Uint8Array, blockHash: Uint8Array, commit: Commit, validators: readonly Validator[]): void {
    this.commits++;
    try {
      const header = decodeHeader(block);
      if (header.height !== height) throw new SalusError('BAD_COMMIT', `header says height ${header.height}`);
      verifyCommit(this.ed, header, commit, validators);
      if (!bytesEqual(commit.blockHash, blockHash)) throw new SalusError('BAD_COMMIT', 'commit names another block');
    } catch (e) {
      this.fail('commit-validity', `node ${node} committed height ${height} (${shortHash(blockHash)}) without a valid commit: ${(e as Error).message}`);
      return;
    }
    const hash = toHex(blockHash);
    const first = this.decided.get(height);
    if (first === undefined) this.decided.set(height, { hash, node });
    else if (first.hash !== hash) {
      this.fail('agreement', `height ${height}: node ${first.node} decided ${first.hash.slice(0, 8)}, node ${node} decided ${hash.slice(0, 8)}`);
    }
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
