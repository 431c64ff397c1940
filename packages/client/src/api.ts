import {
  type BlockHeader,
  type Canonical,
  type Commit,
  type Ed25519,
  type Validator,
  type ErrorCode,
  SalusError,
  decodeCommit,
  decodeHeader,
  encode,
  fromHex,
  pureEd25519,
  toHex,
  verifyStateValue,
  verifyTxInclusion,
} from '@salus/core';
import type { Wallet } from './wallet.js';

export interface TxResult {
  readonly code: 'OK' | ErrorCode;
  readonly log: string;
  readonly events: readonly { type: string; attributes: Record<string, unknown> }[];
  /** gas the transaction used, for metered modules (contracts) */
  readonly gasUsed?: number;
}

/** One transaction's answer in a batch submission. */
export type TxBatchResult = { readonly hash: string; readonly status: 'pending' } | { readonly status: 'rejected'; readonly error: { readonly code: string; readonly message: string } };

export interface Receipt {
  readonly hash: string;
  readonly height: number;
  readonly index: number;
  readonly result: TxResult;
  readonly status: 'committed';
}

export interface ProofBundle {
  readonly header: { readonly raw: string };
  readonly commit: { readonly raw: string };
  readonly validators: readonly { pubKey: string; power: number }[];
}

export interface TxResponse extends ProofBundle {
  readonly hash: string;
  readonly status: 'committed';
  readonly height: number;
  readonly index: number;
  readonly tx: string;
  readonly decoded: Record<string, unknown>;
  readonly result: TxResult;
  readonly proof: { readonly leafIndex: number; readonly treeSize: number; readonly path: readonly string[] };
}

export interface StateResponse extends ProofBundle {
  readonly key: string;
  readonly version: number;
  readonly value: string | null;
  readonly decoded: unknown;
  readonly proof: { readonly siblings: readonly string[]; readonly leaf: { path: string; valueHash: string } | null };
}

export interface ClientOptions {
  readonly url: string;
  /** validators the client trusts (from genesis); without them it checks a proof against the set the node names */
  readonly trustedValidators?: readonly Validator[];
  readonly ed?: Ed25519;
  readonly fetch?: typeof fetch;
}


const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;
/**
 * The typed API client. Every error from a node arrives as a SalusError with the node's code; proofs
 * returned by the node are verified here, in the client, against headers and commits.
 */
export class SalusClient {
  private readonly base: string;
  /** signature verification for proofs and signed records (pure JS unless a native one is given) */
  readonly ed: Ed25519;
  private readonly doFetch: typeof fetch;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
    this.ed = opts.ed ?? pureEd25519;
    this.doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  async request<T>(method: string, path: string, body?: { json?: unknown; cbor?: Uint8Array; raw?: Uint8Array; headers?: Record<string, string>; onHeaders?: (h: Headers) => void }): Promise<T> {
    const init: RequestInit = { method, headers: { ...body?.headers } };
    if (body?.raw) {
      init.body = body.raw as unknown as BodyInit;
      (init.headers as Record<string, string>)['content-type'] ??= 'application/octet-stream';
    } else if (body?.cbor) {
      init.body = body.cbor as unknown as BodyInit;
      (init.headers as Record<string, string>)['content-type'] = 'application/cbor';
    } else if (body?.json !== undefined) {
      init.body = JSON.stringify(body.json);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await this.doFetch(this.base + path, init);
    body?.onHeaders?.(res.headers);
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new SalusError('MALFORMED_ENCODING', `node answered ${res.status} with non-JSON`);
    }
    if (!res.ok && !(path === '/v1/verify' && data)) {
      const err = (data as { error?: { code?: ErrorCode; message?: string; meta?: Record<string, unknown> } })?.error;
      // A module's codes are registered in the node, not here: any well-formed code is kept as the node said it.
      const code: ErrorCode = typeof err?.code === 'string' && (err.code as string) !== 'INTERNAL' && ERROR_CODE.test(err.code) ? err.code : res.status >= 500 ? 'CORRUPT_DATA' : 'INVALID_FIELD';
      throw new SalusError(code, err?.message ?? `HTTP ${res.status}`, { status: res.status, ...err?.meta });
    }
    return data as T;
  }

  status() {
    return this.request<{ chainId: string; height: number; nodeId: string; appHash: string; mempool: { size: number } }>('GET', '/v1/status');
  }

  async nextNonce(publicKeyHex: string): Promise<number> {
    return (await this.request<{ nextNonce: number }>('GET', `/v1/accounts/${publicKeyHex}`)).nextNonce;
  }

  submit(bytes: Uint8Array, wait: 'commit' | 'none' = 'commit'): Promise<Receipt | { hash: string; status: 'pending' }> {
    return this.request('POST', `/v1/txs?wait=${wait}`, { cbor: bytes });
  }

  /**
   * Submits many signed transactions in one request (at most 1,000): each is admitted or refused on
   * its own, in order; the answers say which (admission, not commit: wait on the hashes).
   */
  async submitBatch(txs: readonly Uint8Array[]): Promise<TxBatchResult[]> {
    return (await this.request<{ results: TxBatchResult[] }>('POST', '/v1/txs/batch', { cbor: encode(txs as Uint8Array[]) })).results;
  }

  /** Builds, signs, submits a transaction and waits for its commit; throws if its execution failed. */
  async send(wallet: Wallet, module: string, type: string, payload: Canonical, o: { nonce?: number; chainId?: string } = {}): Promise<Receipt> {
    const chainId = o.chainId ?? (await this.status()).chainId;
    const nonce = o.nonce ?? (await this.nextNonce(wallet.publicKeyHex));
    const { bytes } = wallet.buildTx({ chainId, nonce, module, type, payload });
    const r = (await this.submit(bytes, 'commit')) as Receipt;
    if (r.result.code !== 'OK') throw new SalusError(r.result.code, r.result.log, { hash: r.hash, height: r.height, ...(r.result.gasUsed === undefined ? {} : { gasUsed: r.result.gasUsed }) });
    return r;
  }

  getTx(hash: string): Promise<TxResponse> {
    return this.request('GET', `/v1/txs/${hash}`);
  }

  getBlock(height: number | 'latest') {
    return this.request<{ height: number; header: Record<string, unknown> & { raw: string; hash: string }; commit: { raw: string }; txs: { hash: string }[] }>(
      'GET',
      `/v1/blocks/${height}`,
    );
  }

  getState(key: string): Promise<StateResponse> {
    return this.request('GET', `/v1/state?key=${encodeURIComponent(key)}`);
  }

  private bundle(b: ProofBundle): { header: BlockHeader; commit: Commit; validators: Validator[] } {
    return { header: decodeHeader(fromHex(b.header.raw)), commit: decodeCommit(fromHex(b.commit.raw)), validators: this.validatorsOf(b) };
  }

  /** The validator set a proof is checked against: the trusted one if given, else the one the node names. */
  validatorsOf(b: ProofBundle): Validator[] {
    return this.opts.trustedValidators ? [...this.opts.trustedValidators] : b.validators.map((v) => ({ pubKey: fromHex(v.pubKey, 32), power: v.power }));
  }

  /** Fetches a transaction and verifies its inclusion proof and its block's commit; throws BAD_PROOF/BAD_COMMIT. */
  async verifiedTx(hash: string): Promise<TxResponse> {
    const r = await this.getTx(hash);
    verifyTxResponse(this.ed, r, this.bundle(r).validators);
    return r;
  }

  /** Fetches a state value and verifies it (or its absence) against a committed app hash. */
  async verifiedState(key: string): Promise<StateResponse> {
    const r = await this.getState(key);
    this.verifyState(r);
    return r;
  }

  /** Verifies a state answer (from /v1/state or a module's query) against its header, commit and the trusted validators; throws BAD_PROOF/BAD_COMMIT. */
  verifyState(r: StateResponse): void {
    verifyStateResponse(this.ed, r, this.bundle(r).validators);
  }
}

export function verifyTxResponse(ed: Ed25519, r: TxResponse, validators: readonly Validator[]): void {
  const header = decodeHeader(fromHex(r.header.raw));
  const commit = decodeCommit(fromHex(r.commit.raw));
  const proof = { leafIndex: r.proof.leafIndex, treeSize: r.proof.treeSize, path: r.proof.path.map((p) => fromHex(p, 32)) };
  verifyTxInclusion(ed, fromHex(r.tx), proof, header, commit, validators);
  if (header.height !== r.height) throw new SalusError('BAD_PROOF', 'header height differs from the claimed one');
}

export function verifyStateResponse(ed: Ed25519, r: StateResponse, validators: readonly Validator[]): void {
  const header = decodeHeader(fromHex(r.header.raw));
  const commit = decodeCommit(fromHex(r.commit.raw));
  const proof = {
    siblings: r.proof.siblings.map((s) => fromHex(s, 32)),
    ...(r.proof.leaf ? { leaf: { path: fromHex(r.proof.leaf.path, 32), valueHash: fromHex(r.proof.leaf.valueHash, 32) } } : {}),
  };
  const key = new TextEncoder().encode(r.key);
  verifyStateValue(ed, key, r.value === null ? undefined : fromHex(r.value), proof, header, commit, validators);
}

export { toHex };
