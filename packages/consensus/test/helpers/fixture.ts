import { SalusError, type Validator, sha256 } from '@salus/core';
import {
  type Proposal,
  type Signer,
  type TendermintEffect,
  type TendermintInput,
  type TendermintOptions,
  type Vote,
  type VoteType,
  Tendermint,
  createGuardedSigner,
  createMemorySignerStore,
  createValidatorSet,
  defaultTendermintOptions,
  partSetHeader,
  proposalSignBytes,
  proposerIndex,
  voteSignBytes,
} from '../../src/index.js';
import { nativeEd25519 as ed } from './native-ed25519.js';

export const CHAIN = 'test-chain';
export { ed };

export interface Key {
  readonly secretKey: Uint8Array;
  readonly pubKey: Uint8Array;
}

export function makeKeys(n: number, salt = 1): Key[] {
  return Array.from({ length: n }, (_, i) => {
    const secretKey = sha256(new Uint8Array([salt, i, 42]));
    return { secretKey, pubKey: ed.publicKey(secretKey) };
  });
}

export const hashOf = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));
export const blockOf = (label: string): Uint8Array => new TextEncoder().encode(label);

/** A network of keys around one machine under test; other validators' messages are hand-made. */
export class Fixture {
  readonly keys: Key[];
  readonly validators: Validator[];
  /** keys sorted as the validator set sorts them: index i here is validator index i */
  readonly sorted: Key[];
  readonly me: number;
  readonly signer: Signer;
  readonly store = createMemorySignerStore();
  readonly m: Tendermint;
  readonly inputs: TendermintInput[] = [];
  readonly options: TendermintOptions;

  constructor(opts: { n?: number; powers?: number[]; me: number | ((fx: { sorted: Key[]; validators: Validator[] }) => number); options?: Partial<TendermintOptions> }) {
    const n = opts.powers?.length ?? opts.n ?? 4;
    this.keys = makeKeys(n);
    this.validators = this.keys.map((k, i) => ({ pubKey: k.pubKey, power: opts.powers?.[i] ?? 1 }));
    const set = createValidatorSet(this.validators, 100);
    this.sorted = set.validators.map((v) => this.keys.find((k) => k.pubKey === v.pubKey)!);
    this.me = typeof opts.me === 'number' ? opts.me : opts.me({ sorted: this.sorted, validators: set.validators as Validator[] });
    this.options = { ...defaultTendermintOptions, ...opts.options };
    this.signer = createGuardedSigner({ ed25519: ed, secretKey: this.sorted[this.me]!.secretKey, store: this.store });
    this.m = new Tendermint({ chainId: CHAIN, ed25519: ed, signer: this.signer, options: this.options });
  }

  get set() {
    return createValidatorSet(this.validators, 100);
  }

  proposerAt(height: number, round: number): number {
    return proposerIndex(this.set, height, round);
  }

  feed(input: TendermintInput): TendermintEffect[] {
    this.inputs.push(input);
    return this.m.handle(input);
  }

  start(height = 1): TendermintEffect[] {
    return this.feed({ kind: 'newHeight', height, validators: this.validators });
  }

  vote(i: number, type: VoteType, round: number, blockHash: Uint8Array | null, height = 1): Vote {
    const body = { type, height, round, blockHash };
    return { ...body, validator: this.sorted[i]!.pubKey, signature: ed.sign(this.sorted[i]!.secretKey, voteSignBytes(CHAIN, body)) };
  }

  /** A proposal signed by `by` (default: the round's proposer); its part set is the block's (default: of the hash's bytes, a stand-in). */
  proposal(round: number, blockHash: Uint8Array, polRound = -1, height = 1, by = this.proposerAt(height, round), block: Uint8Array = blockHash): Proposal {
    const body = { height, round, polRound, blockHash, parts: partSetHeader(block, this.options.blockPartBytes) };
    return { ...body, proposer: this.sorted[by]!.pubKey, signature: ed.sign(this.sorted[by]!.secretKey, proposalSignBytes(CHAIN, body)) };
  }

  /** Feeds votes of the listed validators. */
  votes(ids: number[], type: VoteType, round: number, blockHash: Uint8Array | null, height = 1): TendermintEffect[] {
    return ids.flatMap((i) => this.feed({ kind: 'vote', vote: this.vote(i, type, round, blockHash, height) }));
  }

  propose(round: number, label: string, opts: { polRound?: number; valid?: boolean; height?: number } = {}): TendermintEffect[] {
    const h = hashOf(label);
    const height = opts.height ?? 1;
    return this.feed({ kind: 'proposal', proposal: this.proposal(round, h, opts.polRound ?? -1, height, this.proposerAt(height, round), blockOf(label)), block: blockOf(label), valid: opts.valid ?? true });
  }

  /** Indices of validators other than me. */
  others(): number[] {
    return this.sorted.map((_, i) => i).filter((i) => i !== this.me);
  }
}

export function ofKind<K extends TendermintEffect['kind']>(effects: TendermintEffect[], kind: K): Extract<TendermintEffect, { kind: K }>[] {
  return effects.filter((e): e is Extract<TendermintEffect, { kind: K }> => e.kind === kind);
}

export function ownVotes(effects: TendermintEffect[]): Vote[] {
  return ofKind(effects, 'broadcast').flatMap((e) => (e.message.kind === 'vote' ? [e.message.vote] : []));
}

/** A round where `me` is not the proposer, for tests that feed proposals from others. */
export function notProposerOf(fx: { sorted: Key[]; validators: Validator[] }, height: number, rounds: number[]): number {
  const set = createValidatorSet(fx.validators, 100);
  for (let me = 0; me < fx.sorted.length; me++) if (rounds.every((r) => proposerIndex(set, height, r) !== me)) return me;
  throw new SalusError('INVALID_FIELD', `every validator proposes one of rounds ${rounds.join(',')}`);
}

/** The typed error code `f` throws, or 'none' when it returns. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'none';
}
