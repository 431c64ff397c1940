import { SalusError, bytesEqual, encode, fromHex, randomBytes, sha256, smtVerify, toHex, utf8ToBytes, type Canonical, type KeyWrap } from '@salus/core';
import { SalusClient, type Receipt, type StateResponse } from './api.js';
import type { Wallet } from './wallet.js';
import { PRIVATE_GAS_DEFAULT, privateInputAad, sealPrivateInput } from './private-input.js';

/**
 * A private call's result as its parties sign it, and as the ledger checks it (the contracts module
 * calls it `PrivateResult`): what every party and every later replay ran (the caller, its roles at
 * `height`, the block time then), on which private-state root, and with what public outputs.
 */
export interface EndorsedResult {
  readonly contract: string;
  /** the key (hex) that signs the transaction carrying the result */
  readonly caller: string;
  /** the caller's roles at `height` (its key's role, its organisation's kind): what the contract's `hasRole` answers from */
  readonly roles: readonly string[];
  /** SHA-256 (hex) of the plaintext input, which carries a random salt */
  readonly input: string;
  /** the committed height whose state and block time the call saw */
  readonly height: number;
  readonly time: number;
  /** private-state roots (hex) before and after the call */
  readonly before: string;
  readonly after: string;
  /** public: the method's return value and the events it emitted, as they go on the ledger */
  readonly outputs: { readonly value: Canonical; readonly events: readonly { readonly event: string; readonly data: Canonical }[] };
}

interface EndorseAnswer {
  readonly result: EndorsedResult;
  readonly endorsement: { readonly key: string; readonly sig: string };
  readonly blobs: { readonly content: string; readonly envelopes: readonly { org: string; blob: string }[] };
}

export interface PrivateCallReceipt {
  readonly receipt: Receipt;
  readonly result: EndorsedResult;
  /** the method's return value (public: it is on the ledger) */
  readonly value: unknown;
  readonly endorsedBy: readonly string[];
}

/** A private value as one party shows it to another, proven against the root the ledger holds. */
export interface PrivateValueProof {
  readonly contract: string;
  readonly key: string;
  readonly value: string | null;
  readonly decoded: unknown;
  readonly root: string;
  readonly proof: { readonly siblings: readonly string[]; readonly leaf: { path: string; valueHash: string } | null };
  readonly ledger: StateResponse;
}

/**
 * Private contracts from the client side (Fabric's gateway, in the client): the input is encrypted
 * to every party organisation, sent to each party's node to run and sign, the signed results are
 * checked to agree, and the transaction carrying them is submitted. A result computed on a state
 * another call changed first (CONTRACT_STALE) is endorsed again. `nodes` names a node of each
 * party organisation (its API URL): the organisations' connection profile.
 */
export class PrivateContractsClient {
  private readonly ids = new Map<string, string>();
  private readonly partyClients = new Map<string, SalusClient>();
  private readonly partyCache = new Map<string, Promise<{ parties: string[]; endorse: number; keys: { org: string; encryptionKey: Uint8Array }[] }>>();

  constructor(
    private readonly client: SalusClient,
    private readonly wallet: Wallet,
    private readonly nodes: Readonly<Record<string, string>>,
    private readonly o: { keyWrap?: KeyWrap; fetch?: typeof fetch } = {},
  ) {}

  private chain: Promise<string> | undefined;

  /** The chain id, read once (it never changes). */
  private chainId(): Promise<string> {
    this.chain ??= this.client.status().then((st) => st.chainId);
    this.chain.catch(() => (this.chain = undefined));
    return this.chain;
  }

  private party(org: string): SalusClient {
    const url = this.nodes[org];
    if (!url) throw new SalusError('NOT_FOUND', `no node of party ${org} is configured`, { org });
    let c = this.partyClients.get(org);
    if (!c) this.partyClients.set(org, (c = new SalusClient({ url, ed: this.client.ed, ...(this.o.fetch ? { fetch: this.o.fetch } : {}) })));
    return c;
  }

  private async signed<T>(org: string, method: string, path: string, body?: Uint8Array): Promise<T> {
    const c = this.party(org);
    let aud = this.ids.get(org);
    if (!aud) this.ids.set(org, (aud = (await c.status()).nodeId));
    const chainId = await this.chainId();
    const authorization = this.wallet.authorization(chainId, { method, path, purpose: 'contract', bodyHash: body ? toHex(sha256(body)) : '', aud });
    return c.request<T>(method, path, { headers: { authorization }, ...(body ? { cbor: body } : {}) });
  }

  private async policy(contract: string): Promise<{ parties: string[]; endorse: number }> {
    const info = await this.client.request<{ manifest: { private?: { parties: string[]; endorse: number } } }>('GET', `/v1/contracts/${encodeURIComponent(contract)}`);
    if (!info.manifest.private) throw new SalusError('FORBIDDEN', `contract ${contract} is public: call it with ContractsClient.call`);
    return info.manifest.private;
  }

  /** The parties and their encryption keys, read once per contract (an upgrade keeps the parties; a changed key fails to open and is read again). */
  private parties(contract: string): Promise<{ parties: string[]; endorse: number; keys: { org: string; encryptionKey: Uint8Array }[] }> {
    let p = this.partyCache.get(contract);
    if (!p) {
      p = (async () => {
        const policy = await this.policy(contract);
        const keys = await Promise.all(policy.parties.map(async (org) => ({ org, encryptionKey: fromHex((await this.client.request<{ encryptionKey: string }>('GET', `/v1/identity/orgs/${org}`)).encryptionKey, 32) })));
        return { ...policy, keys };
      })();
      p.catch(() => this.partyCache.delete(contract));
      this.partyCache.set(contract, p);
    }
    return p;
  }

  /** Runs a call on the parties' nodes and commits its endorsed result; throws the ledger's or the parties' error. */
  async call(contract: string, method: string, args: Canonical = null, o: { gas?: number; attempts?: number } = {}): Promise<PrivateCallReceipt> {
    const { parties, endorse, keys } = await this.parties(contract);
    const chainId = await this.chainId();
    const asked = parties.filter((org) => this.nodes[org] !== undefined);
    let last: unknown;
    for (let attempt = 0; attempt < (o.attempts ?? 4); attempt++) {
      const sealed = await sealPrivateInput({ method, args, gas: o.gas ?? PRIVATE_GAS_DEFAULT, salt: randomBytes(16) }, keys, privateInputAad(chainId, contract), this.o.keyWrap);
      if (attempt > 0) await new Promise((r) => setTimeout(r, 150 * attempt));
      // every party runs the call in the context of one committed height, the submitting node's tip
      const height = (await this.client.status()).height;
      const body = encode({ height, content: sealed.content, envelopes: sealed.envelopes.map((e) => ({ org: e.org, blob: e.blob })) });
      const settled = await Promise.allSettled(asked.map((org) => this.signed<EndorseAnswer>(org, 'POST', `/v1/contracts/${contract}/private/endorse`, body)));
      const answers = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      const refusals = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
      if (answers.length < endorse) {
        if (refusals.some((e) => hasCode(e, 'DECRYPTION_FAILED'))) this.partyCache.delete(contract);
        last = refusals[0] ?? new SalusError('NOT_FOUND', `contract ${contract} needs ${endorse} endorsements; nodes of only ${asked.join(', ') || 'no party'} are configured`);
        if (hasCode(last, 'PRIVATE_NOT_READY')) continue;
        throw last;
      }
      const first = answers[0]!;
      const disagree = answers.find((a) => !bytesEqual(encode(a.result as unknown as Canonical), encode(first.result as unknown as Canonical)));
      if (disagree) {
        // a party one private call behind the other ran on another state: endorse again once it caught up
        const same = (x: EndorsedResult) => x.before === first.result.before && x.roles.join() === first.result.roles.join();
        last = new SalusError('CONFLICT', 'the parties signed different results for the same input and state: keep both as evidence (salus contract report)', { results: answers as unknown as Canonical });
        if (!same(disagree.result)) continue;
        throw last;
      }
      const payload = { result: first.result, blobs: first.blobs, endorsements: answers.map((a) => a.endorsement) } as unknown as Canonical;
      try {
        const receipt = await this.client.send(this.wallet, 'contracts', 'private_call', payload, { chainId });
        return { receipt, result: first.result, value: first.result.outputs.value, endorsedBy: answers.map((a) => a.endorsement.key) };
      } catch (e) {
        last = e;
        if (!hasCode(e, 'CONTRACT_STALE')) throw e;
      }
    }
    throw last;
  }

  /** A query method on a party's private state (the caller must be a member of a party). */
  async query<T = unknown>(contract: string, method: string, args: Canonical = null, org?: string): Promise<{ value: T; root: string; height: number }> {
    const at = org ?? (await this.firstParty(contract));
    return this.signed(at, 'POST', `/v1/contracts/${contract}/private/query/${method}`, encode({ args }));
  }

  /** A private value with its proofs, verified here: against the private root, and the root against a commit of the ledger. */
  async prove(contract: string, key: string, org?: string): Promise<PrivateValueProof> {
    const at = org ?? (await this.firstParty(contract));
    const r = await this.signed<PrivateValueProof>(at, 'GET', `/v1/contracts/${contract}/private/state?key=${encodeURIComponent(key)}`);
    verifyPrivateValue(this.client, r);
    return r;
  }

  private async firstParty(contract: string): Promise<string> {
    const { parties } = await this.policy(contract);
    const org = parties.find((p) => this.nodes[p] !== undefined);
    if (!org) throw new SalusError('NOT_FOUND', `no node of a party of ${contract} (${parties.join(', ')}) is configured`);
    return org;
  }
}

/** The contracts module's codes are registered in the node; the client keeps them as the node sent them. */
function hasCode(e: unknown, code: string): boolean {
  return e instanceof SalusError && (e.code as string) === code;
}

/** Checks a private value's proof (what another party received) with a client that trusts the ledger's validators; throws BAD_PROOF. */
export function verifyPrivateValue(client: SalusClient, r: PrivateValueProof): void {
  client.verifyState(r.ledger);
  if (r.ledger.key !== `contracts/private/${r.contract}` || (r.ledger.decoded as { root?: string } | null)?.root !== r.root) throw new SalusError('BAD_PROOF', "the ledger's proof is not of this contract's private root");
  const value = r.value === null ? undefined : fromHex(r.value);
  const proof = { siblings: r.proof.siblings.map((s) => fromHex(s, 32)), ...(r.proof.leaf ? { leaf: { path: fromHex(r.proof.leaf.path, 32), valueHash: fromHex(r.proof.leaf.valueHash, 32) } } : {}) };
  if (!smtVerify(fromHex(r.root, 32), utf8ToBytes(r.key), value, proof)) throw new SalusError('BAD_PROOF', `the value of ${r.key} does not verify against the private root`);
}
