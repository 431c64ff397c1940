import { SalusError, decode, encode } from '@salus/core';

/** The transport's wire protocol version, sent in the hello; a peer with another version is refused. */
export const P2P_PROTOCOL_VERSION = 1;
/** ALPN name both sides offer and require, so no other TLS protocol is ever mistaken for this one. */
export const P2P_ALPN = 'salus-p2p/1';

const CONTROL_BYTES_MAX = 256;

/**
 * Control messages on channel 0. The hello is the first frame each side sends once TLS is up: a
 * link is usable only when both hellos are received, so a side whose certificate the other refused
 * (TLS 1.3 finishes the client's handshake before the server has judged the client) never counts
 * the link as connected.
 */
export type Control =
  | { readonly t: 'hello'; readonly v: number; readonly net: string }
  | { readonly t: 'ping' }
  | { readonly t: 'pong' };

export function encodeControl(c: Control): Uint8Array {
  return encode(c as unknown as Record<string, string | number>);
}

export function decodeControl(m: Uint8Array): Control {
  const v = decode(m, CONTROL_BYTES_MAX);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) {
    throw new SalusError('MALFORMED_ENCODING', 'control message is not a map');
  }
  const r = v as Record<string, unknown>;
  const keys = Object.keys(r).length;
  if (r.t === 'ping' && keys === 1) return { t: 'ping' };
  if (r.t === 'pong' && keys === 1) return { t: 'pong' };
  if (r.t === 'hello' && keys === 3 && typeof r.v === 'number' && typeof r.net === 'string') return { t: 'hello', v: r.v, net: r.net };
  throw new SalusError('MALFORMED_ENCODING', 'unknown control message');
}
