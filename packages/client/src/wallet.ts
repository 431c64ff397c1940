import {
  type Canonical,
  type Ed25519,
  type IdentityKeys,
  type SignedTx,
  SalusError,
  encodeTx,
  fromHex,
  generateIdentityKeys,
  patientPseudonym,
  randomBytes,
  signRequest,
  type RequestClaims,
  type KeyWrap,
  hpke,
  pureEd25519,
  signTx,
  toHex,
  txHash,
} from '@salus/core';
import { openBlobs, openKeyring, rewrap } from './records/crypto.js';
import { signItem, type AnchorItem, type ItemInput } from './anchors/item.js';

export interface WalletJson {
  readonly type: 'salus-identity-keys';
  readonly signing: { readonly publicKey: string; readonly secretKey: string };
  readonly encryption: { readonly publicKey: string; readonly secretKey: string };
}

/**
 * A wallet holds one identity's keys and signs with them; the secret keys never leave it except
 * through an explicit export. Works in Node and the browser (pure-JS Ed25519 by default).
 */
export class Wallet {
  private constructor(
    private readonly keys: IdentityKeys,
    private readonly ed: Ed25519,
    /** HPKE key wrapping: WebCrypto by default; a Node process may pass the native one */
    readonly keyWrap: KeyWrap,
  ) {}

  static create(ed: Ed25519 = pureEd25519, kw: KeyWrap = hpke.webKeyWrap): Wallet {
    return new Wallet(generateIdentityKeys(), ed, kw);
  }

  static fromSeed(signing: Uint8Array, encryption: Uint8Array, ed: Ed25519 = pureEd25519, kw: KeyWrap = hpke.webKeyWrap): Wallet {
    return new Wallet(generateIdentityKeys({ signing, encryption }), ed, kw);
  }

  static import(json: unknown, ed: Ed25519 = pureEd25519, kw: KeyWrap = hpke.webKeyWrap): Wallet {
    const o = json as WalletJson;
    if (o?.type !== 'salus-identity-keys' || !o.signing || !o.encryption) throw new SalusError('INVALID_FIELD', 'not a Salus key file');
    const w = Wallet.fromSeed(fromHex(o.signing.secretKey, 32), fromHex(o.encryption.secretKey, 32), ed, kw);
    if (w.publicKeyHex !== o.signing.publicKey || toHex(w.encryptionPublicKey) !== o.encryption.publicKey) {
      throw new SalusError('INVALID_FIELD', 'key file public keys do not match its secret keys');
    }
    return w;
  }

  export(): WalletJson {
    return {
      type: 'salus-identity-keys',
      signing: { publicKey: toHex(this.keys.signing.publicKey), secretKey: toHex(this.keys.signing.secretKey) },
      encryption: { publicKey: toHex(this.keys.encryption.publicKey), secretKey: toHex(this.keys.encryption.secretKey) },
    };
  }

  get publicKey(): Uint8Array {
    return this.keys.signing.publicKey;
  }

  get publicKeyHex(): string {
    return toHex(this.keys.signing.publicKey);
  }

  get encryptionPublicKey(): Uint8Array {
    return this.keys.encryption.publicKey;
  }

  /** The pseudonymous patient id this key registers as (derived from the signing key). */
  get patientId(): string {
    return patientPseudonym(this.keys.signing.publicKey);
  }

  /** An Authorization header for a signed request (core/request-auth.ts). */
  authorization(chainId: string, c: Omit<RequestClaims, 'at' | 'nonce'> & { at?: number }): string {
    const claims = { ...c, at: c.at ?? Date.now(), nonce: toHex(randomBytes(16)) };
    return signRequest(this.ed, this.keys.signing.secretKey, this.keys.signing.publicKey, chainId, claims);
  }

  /** Decrypts a record version with this wallet's encryption key. */
  openRecord(content: Uint8Array, envelope: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    return openBlobs(content, envelope, this.keys.encryption.secretKey, aad, this.keyWrap);
  }

  /** Re-wraps a data key this wallet can open for another recipient. */
  rewrap(envelope: Uint8Array, recipient: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    return rewrap(envelope, this.keys.encryption.secretKey, recipient, aad, this.keyWrap);
  }

  openKeyring(bytes: Uint8Array, patient: string): Promise<Uint8Array> {
    return openKeyring(bytes, this.keys.encryption.publicKey, this.keys.encryption.secretKey, patient, this.keyWrap);
  }

  /** Signs an item to anchor in a batch (layer 2: `AnchorsClient`), under the `anchor-item` domain. */
  signAnchorItem(chainId: string, item: ItemInput): AnchorItem {
    return signItem(this.ed, this.keys.signing.secretKey, this.keys.signing.publicKey, chainId, item);
  }

  /** Builds and signs a transaction; returns it with its canonical bytes and hash. */
  buildTx(o: { chainId: string; nonce: number; module: string; type: string; payload: Canonical }): { tx: SignedTx; bytes: Uint8Array; hash: string } {
    const tx = signTx(this.ed, this.keys.signing.secretKey, { chainId: o.chainId, signer: this.keys.signing.publicKey, nonce: o.nonce, module: o.module, type: o.type, payload: o.payload });
    const bytes = encodeTx(tx);
    return { tx, bytes, hash: toHex(txHash(bytes)) };
  }
}
