import { SalusError, sha256, toHex, utf8ToBytes, type Canonical } from '@salus/core';
import type { Receipt, SalusClient, StateResponse } from './api.js';
import type { Wallet } from './wallet.js';

/** A contract instance as the ledger keeps it (`GET /v1/contracts/:name`). */
export interface ContractInfo {
  readonly name: string;
  readonly codeHash: string;
  readonly manifest: Record<string, unknown> & { name: string; version: string };
  readonly owner: string;
  readonly ownerOrg: string | null;
  readonly status: 'pending' | 'active' | 'frozen';
  readonly since: number;
  readonly history: readonly { codeHash: string; version: string; height: number }[];
}

export interface ContractEvent {
  readonly height: number;
  readonly tx: string;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export interface QueryResult<T> {
  readonly value: T;
  readonly gasUsed: number;
  /** the state the query ran on: the one block `height` committed */
  readonly height: number;
  /** with `prove`: every state entry the query read, each verified here against a commit */
  readonly reads?: readonly StateResponse[];
}

/**
 * Contracts from the client side: deploy bundled code, instantiate it, call it in transactions,
 * query it off the ledger (optionally with proofs of every state entry the query read, verified
 * here), follow its events, and upgrade or freeze it as its manifest allows.
 */
export class ContractsClient {
  constructor(
    private readonly client: SalusClient,
    private readonly wallet?: Wallet,
  ) {}

  private signer(): Wallet {
    if (!this.wallet) throw new SalusError('INVALID_FIELD', 'this ContractsClient has no wallet to sign transactions with');
    return this.wallet;
  }

  /** The content address of bundled code: what `deploy` stores it under. */
  static codeHash(code: string): string {
    return toHex(sha256(utf8ToBytes(code)));
  }

  /** Stores bundled code once (by hash); code already on the ledger is not sent again. */
  async deploy(code: string): Promise<{ codeHash: string; receipt: Receipt | null }> {
    const codeHash = ContractsClient.codeHash(code);
    const known = await this.code(codeHash).catch((e: unknown) => (e instanceof SalusError && e.code === 'NOT_FOUND' ? null : Promise.reject(e)));
    if (known) return { codeHash, receipt: null };
    return { codeHash, receipt: await this.client.send(this.signer(), 'contracts', 'deploy', { code }) };
  }

  instantiate(name: string, codeHash: string, manifest: Canonical, args: Canonical = null): Promise<Receipt> {
    return this.client.send(this.signer(), 'contracts', 'instantiate', { name, codeHash, manifest, args });
  }

  /** Calls a method in a transaction; resolves with its return value and the gas used once committed. */
  async call<T = unknown>(contract: string, method: string, args: Canonical = null, o: { gas?: number } = {}): Promise<{ value: T; gasUsed: number; receipt: Receipt }> {
    const receipt = await this.client.send(this.signer(), 'contracts', 'call', { contract, method, args, gas: o.gas ?? 1_000_000 });
    const ev = receipt.result.events.find((e) => e.type === 'contracts.called');
    return { value: (ev?.attributes.result ?? null) as T, gasUsed: receipt.result.gasUsed ?? 0, receipt };
  }

  /**
   * Runs a query method read-only on a node (no transaction). With `prove`, the node waits for the
   * block that commits to the state the query read and returns each entry it read with its proof;
   * they are verified here, so the inputs are the ledger's own. The node's execution is trusted
   * (re-run the code, `code(codeHash)`, with the contract runtime to check it too).
   */
  async query<T = unknown>(contract: string, method: string, args: Canonical = null, o: { prove?: boolean } = {}): Promise<QueryResult<T>> {
    const r = await this.client.request<QueryResult<T>>('POST', `/v1/contracts/${encodeURIComponent(contract)}/query/${encodeURIComponent(method)}${o.prove ? '?prove=true' : ''}`, { json: { args } });
    if (o.prove) {
      if (!r.reads || r.reads.length === 0) throw new SalusError('BAD_PROOF', 'the node returned no proofs for a proven query');
      for (const read of r.reads) {
        this.client.verifyState(read);
        if (read.version !== r.height) throw new SalusError('BAD_PROOF', `a proof is of height ${read.version}, the query ran at ${r.height}`);
      }
      const instance = r.reads.find((x) => x.key === `contracts/instance/${contract}`);
      if (!instance || instance.value === null) throw new SalusError('BAD_PROOF', 'the proofs do not include the contract instance the query ran');
    }
    return r;
  }

  info(contract: string): Promise<ContractInfo> {
    return this.client.request('GET', `/v1/contracts/${encodeURIComponent(contract)}`);
  }

  list(): Promise<{ contracts: ContractInfo[] }> {
    return this.client.request('GET', '/v1/contracts');
  }

  /** Bundled code by hash; checks that it hashes to the address asked for. */
  async code(codeHash: string): Promise<{ codeHash: string; code: string; exports: string[]; size: number; height: number }> {
    const r = await this.client.request<{ codeHash: string; code: string; exports: string[]; size: number; height: number }>('GET', `/v1/contracts/code/${codeHash}`);
    if (ContractsClient.codeHash(r.code) !== codeHash) throw new SalusError('HASH_MISMATCH', 'the node returned code that does not hash to the address asked for');
    return r;
  }

  /** Events the contract emitted, from a height on (inclusive), oldest first, with where to continue. */
  events(contract: string, o: { from?: number; limit?: number } = {}): Promise<{ events: ContractEvent[]; next: number }> {
    return this.client.request('GET', `/v1/contracts/${encodeURIComponent(contract)}/events?from=${o.from ?? 1}&limit=${o.limit ?? 100}`);
  }

  /** Follows a contract's events as blocks commit (polling); returns a function that stops it. */
  watch(contract: string, onEvent: (e: ContractEvent) => void, o: { from?: number; intervalMs?: number; onError?: (e: unknown) => void } = {}): () => void {
    let from = o.from ?? 1;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        const page = await this.events(contract, { from });
        for (const e of page.events) if (!stopped) onEvent(e);
        from = page.next;
      } catch (e) {
        o.onError?.(e);
      }
      if (!stopped) timer = setTimeout(() => void tick(), o.intervalMs ?? 500);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }

  upgrade(contract: string, codeHash: string, manifest: Canonical): Promise<Receipt> {
    return this.client.send(this.signer(), 'contracts', 'upgrade', { contract, codeHash, manifest });
  }

  freeze(contract: string): Promise<Receipt> {
    return this.client.send(this.signer(), 'contracts', 'freeze', { contract });
  }

  approve(proposal: string): Promise<Receipt> {
    return this.client.send(this.signer(), 'contracts', 'approve', { proposal });
  }
}
