import { SalusError, encode, fromHex, toHex, type Canonical } from '@salus/core';
import type { Receipt, SalusClient } from '../api.js';
import type { Wallet } from '../wallet.js';
import { itemHash, itemToCbor, itemToJson, type AnchorItem, type ItemInput } from './item.js';
import { checkItemReceipt, itemReceipts, nonInclusionToJson, verifyReceipt, type ItemReceipt, type NonInclusionJson, type SignedReceipt } from './receipt.js';
import { BatchTree } from './tree.js';
import { batchOfState, batchStateKey, verifyAnchorProof, type AnchorProof, type BatchRecord, type VerifiedAnchor } from './proof.js';

/** A node's answer to submitted items: one signed receipt for all of them, and each item's share of it. */
export interface Submitted {
  readonly anchorer: string;
  readonly batch: number;
  readonly deadline: number;
  readonly receipts: readonly ItemReceipt[];
}

/** What the ledger and the anchoring node say about an item a receipt promised. */
export type Evidence =
  | { readonly kind: 'pending'; readonly deadline: number }
  | { readonly kind: 'kept'; readonly record: BatchRecord; readonly index: number }
  | { readonly kind: 'late'; readonly record: BatchRecord | null }
  | { readonly kind: 'omitted'; readonly record: BatchRecord; readonly evidence: NonInclusionJson }
  | { readonly kind: 'withheld'; readonly record: BatchRecord; readonly reason: string };

const LEAVES_PAGE = 16_384;

/**
 * Anchoring from the client side (layer 2): sign items, submit them to a node (CBOR or JSON) and
 * check its signed receipt; fetch an item's proof once its batch is on the ledger and verify it as a
 * light client does; and, when a node broke a receipt, find out how (`evidence`) and prove it on
 * the ledger (`report`, or `challenge` when the node withholds the batch's items).
 */
export class AnchorsClient {
  private chain: Promise<string> | undefined;

  constructor(
    private readonly client: SalusClient,
    private readonly wallet?: Wallet,
  ) {}

  private signer(): Wallet {
    if (!this.wallet) throw new SalusError('INVALID_FIELD', 'this AnchorsClient has no wallet to sign with');
    return this.wallet;
  }

  /** The chain id, read once. */
  chainId(): Promise<string> {
    this.chain ??= this.client.status().then((s) => s.chainId);
    this.chain.catch(() => (this.chain = undefined));
    return this.chain;
  }

  /** Signs items with the wallet's key (it must be an active registered identity for a node to take them). */
  async sign(inputs: readonly ItemInput[]): Promise<AnchorItem[]> {
    const chainId = await this.chainId();
    return inputs.map((i) => this.signer().signAnchorItem(chainId, i));
  }

  /** Signs and submits. */
  async anchor(inputs: readonly ItemInput[], o: { format?: 'cbor' | 'json' } = {}): Promise<Submitted> {
    return this.submit(await this.sign(inputs), o);
  }

  /** Submits signed items (any submitter's) in one request; checks the receipt covers exactly them. */
  async submit(items: readonly AnchorItem[], o: { format?: 'cbor' | 'json' } = {}): Promise<Submitted> {
    const chainId = await this.chainId();
    const body = o.format === 'json' ? { json: { items: items.map(itemToJson) } } : { cbor: encode({ items: items.map(itemToCbor) }) };
    const r = await this.client.request<{ receipt: SignedReceipt }>('POST', '/v1/anchors/items', body);
    if (!verifyReceipt(this.client.ed, chainId, r.receipt)) throw new SalusError('BAD_SIGNATURE', "the node's receipt does not verify");
    // the receipt's root must be over exactly these items, in the order sent (BAD_PROOF otherwise)
    const receipts = itemReceipts(r.receipt, items.map((i) => itemHash(chainId, i)));
    return { anchorer: r.receipt.body.anchorer, batch: r.receipt.body.batch, deadline: r.receipt.body.deadline, receipts };
  }

  /**
   * An item's proof, verified here. Until its batch is on the ledger the node answers ANCHOR_PENDING;
   * with `waitMs` this polls until then.
   */
  async proof(hash: string, o: { waitMs?: number; intervalMs?: number } = {}): Promise<AnchorProof & { verified: VerifiedAnchor }> {
    const end = Date.now() + (o.waitMs ?? 0);
    for (;;) {
      try {
        const p = await this.client.request<AnchorProof>('GET', `/v1/anchors/items/${hash}/proof`);
        return { ...p, verified: verifyAnchorProof(this.client, p) };
      } catch (e) {
        if (!(e instanceof SalusError) || (e.code as string) !== 'ANCHOR_PENDING' || Date.now() >= end) throw e;
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
      }
    }
  }

  /** Verifies a proof someone holds (a file, another party's copy). */
  verify(p: AnchorProof): VerifiedAnchor {
    return verifyAnchorProof(this.client, p);
  }

  /** An anchored batch's record, verified against a commit (null: not on the ledger), with the height its proof is of. */
  async batch(anchorer: string, batch: number): Promise<{ record: BatchRecord | null; version: number }> {
    const r = await this.client.verifiedState(batchStateKey(anchorer, batch));
    return { record: batchOfState(r), version: r.version };
  }

  /** The sorted item hashes of one of the node's batches (the node that anchored it serves them). */
  async leaves(batch: number): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let after = '';
    for (;;) {
      const page = await this.client.request<{ items: string[]; next: string | null }>('GET', `/v1/anchors/leaves/${batch}?limit=${LEAVES_PAGE}${after ? `&after=${after}` : ''}`);
      out.push(...page.items.map((h) => fromHex(h, 32)));
      if (!page.next) return out;
      after = page.next;
    }
  }

  /**
   * Whether a receipt was kept, from the ledger (through this client's node) and the batch's items
   * (from `anchoring`, the node that signed the receipt; by default this client's node).
   */
  async evidence(r: ItemReceipt, anchoring: AnchorsClient = this): Promise<Evidence> {
    checkItemReceipt(this.client.ed, await this.chainId(), r);
    const { anchorer, batch, deadline } = r.receipt.body;
    const { record, version } = await this.batch(anchorer, batch);
    if (!record) return version >= deadline ? { kind: 'late', record: null } : { kind: 'pending', deadline };
    if (record.height > deadline) return { kind: 'late', record };
    let tree: BatchTree;
    try {
      tree = new BatchTree(await anchoring.leaves(batch));
    } catch (e) {
      return { kind: 'withheld', record, reason: (e as Error).message };
    }
    if (toHex(tree.root) !== record.root || tree.size !== record.count) return { kind: 'withheld', record, reason: 'the items the node serves do not make the anchored root' };
    const item = fromHex(r.item, 32);
    const gap = tree.nonInclusion(item);
    return gap ? { kind: 'omitted', record, evidence: nonInclusionToJson(gap) } : { kind: 'kept', record, index: tree.search(item) };
  }

  /** Reports a broken receipt: its batch not on the ledger by its deadline, or (with evidence) the item missing from it. */
  report(r: ItemReceipt, evidence?: NonInclusionJson): Promise<Receipt> {
    return this.client.send(this.signer(), 'anchors', 'report', { receipt: r, ...(evidence ? { evidence } : {}) } as unknown as Canonical);
  }

  /** Asks the anchoring node to prove on the ledger that the item is in its batch; unanswered in time, it is misbehaviour. */
  challenge(r: ItemReceipt): Promise<Receipt> {
    return this.client.send(this.signer(), 'anchors', 'challenge', { receipt: r } as unknown as Canonical);
  }

  /** Misbehaviour recorded against an anchoring key. */
  misbehaviour(anchorer: string): Promise<{ records: Record<string, unknown>[] }> {
    return this.client.request('GET', `/v1/anchors/misbehaviour/${anchorer}`);
  }
}
