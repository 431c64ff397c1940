import { type CodecLimits, decodeMessage, encodeMessage } from '../tendermint/codec.js';
import type { WireMessage } from '../tendermint/types.js';

/**
 * Every message crosses the simulated network as canonical bytes and is decoded by the strict
 * codec on arrival. Gossip re-sends the same messages many times, so both directions are memoised
 * per object: each distinct message is encoded and decoded once per run.
 */
export class WireCache {
  private readonly encoded = new WeakMap<object, Uint8Array>();
  private readonly decoded = new WeakMap<Uint8Array, WireMessage | Error>();

  constructor(private readonly limits: CodecLimits) {}

  encode(msg: WireMessage): Uint8Array {
    const key = inner(msg);
    let b = this.encoded.get(key);
    if (b === undefined) this.encoded.set(key, (b = encodeMessage(this.limits.chainId, msg)));
    return b;
  }

  /** The decoded message, or the codec's error. */
  decode(bytes: Uint8Array): WireMessage | Error {
    let m = this.decoded.get(bytes);
    if (m === undefined) {
      try {
        m = decodeMessage(bytes, this.limits);
        this.encoded.set(inner(m), bytes);
      } catch (e) {
        m = e as Error;
      }
      this.decoded.set(bytes, m);
    }
    return m;
  }
}

function inner(msg: WireMessage): object {
  switch (msg.kind) {
    case 'proposal':
      return msg.proposal;
    case 'vote':
      return msg.vote;
    case 'blockPart':
      return msg.part;
    case 'partRequest':
      return msg.request;
  }
}
