import {
  ZERO32,
  ZERO_HASH,
  encode,
  encodeCommit,
  encodeHeader,
  generateIdentityKeys,
  headerHash,
  precommitSignBytes,
  pureEd25519 as ed,
  smtApply,
  smtProve,
  toHex,
  utf8ToBytes,
  validatorsHash,
  type BlockHeader,
  type Canonical,
  type Commit,
  type IdentityKeys,
  type SmtNode,
  type Validator,
} from '@salus/core';
import { createModuleHarness, type ModuleHarness, type TxResult } from '@salus/module';
import { identityModule } from '@salus/identity';
import { channelsModule } from '../src/index.js';

/**
 * A chain for tests of what crosses between chains: the real module manager (ModuleHarness) with
 * the channels module, plus what a node adds that the harness leaves out: the state's sparse
 * Merkle root after every block (core's smtApply over the committed entries), headers carrying it,
 * and commits really signed by the chain's validator keys. Proofs come from core's smtProve.
 */
export class ProvenChain {
  readonly h: ModuleHarness;
  readonly admin: IdentityKeys;
  validatorKeys: IdentityKeys[];
  private readonly nodes = new Map<string, SmtNode>();
  /** version → state root after that block (0: genesis) */
  private readonly roots: Uint8Array[] = [];

  constructor(
    readonly chainId: string,
    validatorKeys: IdentityKeys[],
    channels: unknown,
    admin: IdentityKeys = generateIdentityKeys(),
  ) {
    this.admin = admin;
    this.validatorKeys = validatorKeys;
    this.h = createModuleHarness({
      modules: [identityModule, channelsModule],
      genesis: {
        chainId,
        genesisTime: 1_700_000_000_000,
        organisations: [{ id: 'org-a', name: 'Organisation A', kind: 'other', adminKey: toHex(admin.signing.publicKey), encryptionKey: toHex(admin.encryption.publicKey) }],
        validators: validatorKeys.map((k) => ({ pubKey: toHex(k.signing.publicKey), power: 10, org: 'org-a' })),
        modules: { channels: channels as Canonical },
      },
    });
    this.roots.push(this.computeRoot());
  }

  static validatorsOf(keys: readonly IdentityKeys[], power = 10): { pubKey: string; power: number }[] {
    return keys.map((k) => ({ pubKey: toHex(k.signing.publicKey), power }));
  }

  get height(): number {
    return this.h.height;
  }

  private computeRoot(): Uint8Array {
    const view = this.h.view();
    const updates = this.h.keys('').map((k) => ({ key: utf8ToBytes(k), value: encode(view.get(k) as Canonical) }));
    const r = smtApply({ getNode: (hash) => this.nodes.get(toHex(hash)) }, ZERO_HASH, updates);
    for (const c of r.created) this.nodes.set(toHex(c.hash), c.node);
    return r.root;
  }

  /** One block of channels transactions signed by `signer`; the state root after it is kept. */
  tx(signer: IdentityKeys, type: string, payload: unknown): TxResult {
    const r = this.h.exec({ signer, module: 'channels', type, payload: payload as Canonical });
    this.roots.push(this.computeRoot());
    return r;
  }

  /** An empty block (time passes on this chain). */
  idle(blocks = 1): void {
    for (let i = 0; i < blocks; i++) {
      this.h.block();
      this.roots.push(this.computeRoot());
    }
  }

  /** Header `height`, carrying the state root after block height − 1, and its commit signed by `signers` (default: all validators). */
  header(height = this.height + 1, signers: readonly IdentityKeys[] = this.validatorKeys, validators: readonly Validator[] = this.validators()): { header: BlockHeader; commit: Commit } {
    const header: BlockHeader = {
      chainId: this.chainId,
      height,
      time: 1_700_000_000_000 + height * 1000,
      prevHash: ZERO32,
      txRoot: ZERO32,
      txCount: 0,
      appHash: this.roots[height - 1]!,
      lastResultsHash: ZERO32,
      validatorsHash: validatorsHash(validators),
      proposer: validators[0]!.pubKey,
    };
    const blockHash = headerHash(header);
    const msg = precommitSignBytes(this.chainId, height, 0, blockHash);
    return { header, commit: { height, round: 0, blockHash, signatures: signers.map((k) => ({ validator: k.signing.publicKey, signature: ed.sign(k.signing.secretKey, msg) })) } };
  }

  validators(keys: readonly IdentityKeys[] = this.validatorKeys): Validator[] {
    return keys.map((k) => ({ pubKey: k.signing.publicKey, power: 10 })).sort((a, b) => (toHex(a.pubKey) < toHex(b.pubKey) ? -1 : 1));
  }

  /** The update_client payload for header `height`. */
  update(height = this.height + 1, signers?: readonly IdentityKeys[], validators?: readonly Validator[]): Canonical {
    const { header, commit } = this.header(height, signers, validators);
    return { header: encodeHeader(header), commit: encodeCommit(commit), validators: (validators ?? this.validators()).map((x) => ({ pubKey: x.pubKey, power: x.power })) };
  }

  /** A proof of `key` (value or absence) against header `height`'s app hash. */
  prove(key: string, height = this.height + 1): Canonical {
    const { proof } = smtProve({ getNode: (hash) => this.nodes.get(toHex(hash)) }, this.roots[height - 1]!, utf8ToBytes(key));
    return { height, siblings: [...proof.siblings], leaf: proof.leaf ? { path: proof.leaf.path, valueHash: proof.leaf.valueHash } : null };
  }

  /** Every channels entry, for "nothing changed" assertions. */
  snapshot(): string {
    const view = this.h.view();
    return JSON.stringify(this.h.keys('channels/').map((k) => [k, toHex(encode(view.get(k) as Canonical))]));
  }
}

/** Two chains with one custody channel between them (`a-to-b` on A, `b-to-a` on B), each trusting the other's genesis validators. */
export function twoChains(): { a: ProvenChain; b: ProvenChain; relayer: IdentityKeys } {
  const ka = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
  const kb = [generateIdentityKeys(), generateIdentityKeys(), generateIdentityKeys()];
  const a = new ProvenChain('chain-a', ka, { clients: [{ chainId: 'chain-b', validators: ProvenChain.validatorsOf(kb) }], channels: [{ id: 'a-to-b', port: 'custody', counterpartyChainId: 'chain-b', counterpartyChannel: 'b-to-a' }] });
  const b = new ProvenChain('chain-b', kb, { clients: [{ chainId: 'chain-a', validators: ProvenChain.validatorsOf(ka) }], channels: [{ id: 'b-to-a', port: 'custody', counterpartyChainId: 'chain-a', counterpartyChannel: 'a-to-b' }] });
  return { a, b, relayer: generateIdentityKeys() };
}
