import { sha256, toHex, utf8ToBytes } from '@salus/core';

/**
 * Which nodes keep a blob when not every node does: rendezvous (highest-random-weight) hashing of
 * the blob hash with each validator key, the first `replicas` of that order. Every node computes the
 * same holders from the same validator set, and a change of the set moves only the blobs whose
 * holders changed.
 */
export function blobHolders(hash: string, validators: readonly string[], replicas: number): string[] {
  if (replicas <= 0 || replicas >= validators.length) return [...validators];
  const weight = new Map(validators.map((v) => [v, toHex(sha256(utf8ToBytes(`${hash}:${v}`)))]));
  return [...validators].sort((a, b) => (weight.get(a)! < weight.get(b)! ? -1 : weight.get(a)! > weight.get(b)! ? 1 : 0)).slice(0, replicas);
}
