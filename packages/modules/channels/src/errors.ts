import { registerErrors, type CodesOf } from '@salus/core';

/** The channels module's codes (registered when the package loads; documented in docs/errors.md). */
export const CHANNEL_ERRORS = registerErrors('channels', {
  CHANNEL_UNKNOWN: { status: 404, title: 'No such channel, or no light client of that chain, on this chain (channels are fixed in the genesis file).' },
  CLIENT_HEIGHT_UNKNOWN: { status: 409, title: "The light client holds no verified header of the counterparty chain at the proof's height: relay a client update first." },
  HEADER_NOT_NEWER: { status: 409, title: 'The header is not above the latest height the light client has verified.' },
  VALIDATORS_UNTRUSTED: { status: 422, title: 'The header names a new validator set that not more than a third of the trusted set signed for.' },
  PACKET_REPLAYED: { status: 409, title: 'The packet of this channel and sequence was already received on this chain.' },
  PACKET_SETTLED: { status: 409, title: 'The packet was already acknowledged or timed out on this chain: it holds no commitment to it any more.' },
  PACKET_TIMED_OUT: { status: 409, title: "The packet's timeout height has been reached on this chain: it can no longer be received, only refunded on its source." },
  PACKET_NOT_TIMED_OUT: { status: 409, title: "The proof is of a counterparty height below the packet's timeout height: the packet may still be received." },
  ITEM_IN_FLIGHT: { status: 409, title: 'The item is escrowed in a transfer that is not settled yet, or it is held on another chain.' },
});

declare module '@salus/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodes extends CodesOf<typeof CHANNEL_ERRORS> {}
}
