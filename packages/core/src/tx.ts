import { decode, encode, type Canonical } from './encoding.js';
import { sha256 } from './hash.js';
import { signBytes, checkChainId } from './signing.js';
import type { Ed25519 } from './ed25519.js';
import { SalusError } from './errors.js';
import { LIMITS } from './limits.js';
import { bytes, onlyKeys, record, str, uint } from './validate.js';

/**
 * The transaction envelope. Every state change is one of these: signed by one identity's Ed25519
 * key over the domain "tx", bound to the chain id, ordered per signer by a nonce (0, 1, 2, …).
 */
export interface TxBody {
  readonly chainId: string;
  readonly signer: Uint8Array;
  readonly nonce: number;
  readonly module: string;
  readonly type: string;
  readonly payload: Canonical;
}

export interface SignedTx extends TxBody {
  readonly signature: Uint8Array;
}

const NAME = /^[a-z][a-z0-9_]*$/;

function bodyOf(tx: TxBody): Canonical {
  return { chainId: tx.chainId, signer: tx.signer, nonce: tx.nonce, module: tx.module, type: tx.type, payload: tx.payload };
}

export function txSignBytes(tx: TxBody): Uint8Array {
  return signBytes('tx', tx.chainId, bodyOf(tx));
}

export function signTx(ed: Ed25519, secretKey: Uint8Array, body: TxBody): SignedTx {
  checkTxBody(body);
  return { ...body, signature: ed.sign(secretKey, txSignBytes(body)) };
}

export function encodeTx(tx: SignedTx): Uint8Array {
  return encode({ ...(bodyOf(tx) as Record<string, Canonical>), signature: tx.signature });
}

export function txHash(encoded: Uint8Array): Uint8Array {
  return sha256(encoded);
}

function checkTxBody(tx: TxBody): void {
  checkChainId(tx.chainId);
  bytes(tx.signer, 'signer', 32);
  uint(tx.nonce, 'nonce');
  str(tx.module, 'module', LIMITS.moduleNameLengthMax, NAME);
  str(tx.type, 'type', LIMITS.typeNameLengthMax, NAME);
  checkDepth(tx.payload, 0);
}

function checkDepth(v: Canonical, depth: number): void {
  if (depth > LIMITS.payloadDepthMax) throw new SalusError('INVALID_FIELD', `payload nests deeper than ${LIMITS.payloadDepthMax}`);
  if (Array.isArray(v)) for (const x of v) checkDepth(x as Canonical, depth + 1);
  else if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    for (const x of Object.values(v)) checkDepth(x as Canonical, depth + 1);
  }
}

/** Decodes and checks the shape of a transaction (not its signature or nonce). */
export function decodeTx(encoded: Uint8Array): SignedTx {
  if (encoded.length > LIMITS.txBytesMax) {
    throw new SalusError('OVERSIZE', `transaction of ${encoded.length} bytes exceeds ${LIMITS.txBytesMax}`, { size: encoded.length });
  }
  const obj = record(decode(encoded), 'transaction');
  onlyKeys(obj, ['chainId', 'signer', 'nonce', 'module', 'type', 'payload', 'signature'], 'transaction');
  if (!('payload' in obj)) throw new SalusError('INVALID_FIELD', 'transaction.payload is missing', { field: 'payload' });
  const tx: SignedTx = {
    chainId: obj.chainId as string,
    signer: obj.signer as Uint8Array,
    nonce: obj.nonce as number,
    module: obj.module as string,
    type: obj.type as string,
    payload: obj.payload as Canonical,
    signature: bytes(obj.signature, 'signature', 64),
  };
  checkTxBody(tx);
  return tx;
}

export function verifyTxSignature(ed: Ed25519, tx: SignedTx): boolean {
  return ed.verify(tx.signer, txSignBytes(tx), tx.signature);
}

/** Full stateless check: decode, chain id, signature. Returns the decoded transaction and its hash. */
export function checkTxStateless(ed: Ed25519, encoded: Uint8Array, chainId: string): { tx: SignedTx; hash: Uint8Array } {
  const tx = decodeTx(encoded);
  if (tx.chainId !== chainId) {
    throw new SalusError('WRONG_CHAIN', `transaction is for chain "${tx.chainId}", this is "${chainId}"`, { chainId: tx.chainId });
  }
  if (!verifyTxSignature(ed, tx)) throw new SalusError('BAD_SIGNATURE', 'transaction signature does not verify');
  return { tx, hash: txHash(encoded) };
}
