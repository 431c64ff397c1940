/**
 * Drops the `count` oldest entries of a Map or Set used as a bounded FIFO cache. Deleting the first key
 * one insert at a time looks O(1) but is not in V8: `keys().next()` walks over the deleted slots
 * until the table is rebuilt, so a full cache slows every insert down. Evicting a tenth at once,
 * in one pass, keeps the cost per insert constant.
 */
export function evictOldest<K>(map: Map<K, unknown> | Set<K>, count: number): void {
  let n = 0;
  for (const k of map.keys()) {
    if (n++ >= count) break;
    map.delete(k);
  }
}
