import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto, createPrivateKey, randomBytes, type X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { SalusError, bytesEqual, toHex, type KeyPair } from '@salus/core';
import { P2P_ALPN } from './control.js';

/** DER prefixes that wrap a raw Ed25519 key: PKCS#8 for the 32-byte seed, SPKI for the public key (RFC 8410). */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519 = { name: 'Ed25519' };
/** Node's WebCrypto, typed as the library expects (the DOM `Crypto` type is not in this project's lib). */
const x509Crypto = webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1];
const CERT_VALIDITY_MS = 10 * 365 * 24 * 3_600_000;

/**
 * This node's TLS identity: a self-signed X.509 certificate whose key is the node's Ed25519 signing
 * key, made fresh at every start, for TLS 1.3 only. Nothing about the certificate but its public key
 * matters: peers pin the key, never a CA chain, name or validity. The private key is held in a
 * private field (never enumerable, so never serialised into a log line by accident).
 */
export class TlsIdentity {
  readonly #keyPem: string;
  readonly certificatePem: string;
  /** for outbound links (tls.connect) */
  readonly secureContext: SecureContext;

  constructor(keyPem: string, certificatePem: string) {
    this.#keyPem = keyPem;
    this.certificatePem = certificatePem;
    this.secureContext = createSecureContext(this.contextOptions());
  }

  /** for the listening server, which builds its own context from these */
  contextOptions(): { key: string; cert: string; minVersion: 'TLSv1.3'; maxVersion: 'TLSv1.3' } {
    return { key: this.#keyPem, cert: this.certificatePem, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
  }
}

export async function createTlsIdentity(signing: KeyPair, now = Date.now()): Promise<TlsIdentity> {
  const pkcs8 = Buffer.concat([PKCS8_ED25519_PREFIX, signing.secretKey]);
  try {
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
    const publicKey = await webcrypto.subtle.importKey('spki', Buffer.concat([SPKI_ED25519_PREFIX, signing.publicKey]), ED25519, true, ['verify']);
    const serial = randomBytes(16);
    serial[0] = serial[0]! & 0x7f;
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: serial.toString('hex'),
        name: 'CN=salus-node',
        notBefore: new Date(now - 3_600_000),
        notAfter: new Date(now + CERT_VALIDITY_MS),
        signingAlgorithm: ED25519,
        keys: { privateKey, publicKey },
        extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
      },
      x509Crypto,
    );
    // The certificate's own self-signature must verify under the node key: this catches a key pair
    // whose public half does not belong to its secret half before any peer sees it.
    if (!(await cert.verify({ publicKey, signatureOnly: true }, x509Crypto))) {
      throw new SalusError('CONFIG', 'node signing key pair is inconsistent: public key does not match secret key');
    }
    const certificatePem = cert.toString('pem');
    const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
    return new TlsIdentity(keyPem, certificatePem);
  } catch (e) {
    if (e instanceof SalusError) throw e;
    throw new SalusError('CONFIG', `cannot build the node's TLS certificate: ${(e as Error).message}`);
  } finally {
    pkcs8.fill(0);
  }
}

/** The Ed25519 key (hex) in a certificate, or undefined when it holds another kind of key. */
export function certificateKey(cert: X509Certificate | undefined): string | undefined {
  if (!cert || cert.publicKey.asymmetricKeyType !== 'ed25519') return undefined;
  const spki = cert.publicKey.export({ format: 'der', type: 'spki' });
  if (spki.length !== SPKI_ED25519_PREFIX.length + 32 || !bytesEqual(spki.subarray(0, SPKI_ED25519_PREFIX.length), SPKI_ED25519_PREFIX)) return undefined;
  return toHex(spki.subarray(SPKI_ED25519_PREFIX.length));
}

export type PinResult = { readonly ok: true; readonly id: string } | { readonly ok: false; readonly reason: RefusalReason; readonly id?: string };

export type RefusalReason =
  | 'not-tls13'
  | 'wrong-alpn'
  | 'no-certificate'
  | 'not-ed25519'
  | 'wrong-key'
  | 'unknown-key'
  | 'self'
  | 'banned'
  | 'too-many-connections'
  | 'network-mismatch'
  | 'version-mismatch'
  | 'handshake-failed';

/**
 * The pin check, run once TLS is up and before any byte of ours is sent: TLS 1.3, our ALPN, and a
 * certificate whose Ed25519 key is `expected` (the key of the address dialled) or, inbound, one of
 * the allowed keys. The TLS handshake has already proved that the peer holds the certificate's key
 * (its CertificateVerify signature); CA chains, names and dates are deliberately not consulted.
 */
export function checkPeer(socket: TLSSocket, pin: { expected: string } | { allowed: (id: string) => boolean }, self: string): PinResult {
  if (socket.getProtocol() !== 'TLSv1.3') return { ok: false, reason: 'not-tls13' };
  if (socket.alpnProtocol !== P2P_ALPN) return { ok: false, reason: 'wrong-alpn' };
  const cert = socket.getPeerX509Certificate();
  if (!cert) return { ok: false, reason: 'no-certificate' };
  const id = certificateKey(cert);
  if (id === undefined) return { ok: false, reason: 'not-ed25519' };
  if (id === self) return { ok: false, reason: 'self', id };
  if ('expected' in pin) return id === pin.expected ? { ok: true, id } : { ok: false, reason: 'wrong-key', id };
  return pin.allowed(id) ? { ok: true, id } : { ok: false, reason: 'unknown-key', id };
}
