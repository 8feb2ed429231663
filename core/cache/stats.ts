/** Counters every translation cache keeps, on the same scale for every architecture. */
export interface CacheCounters {
  lookups: number;
  hits: number;
  misses: number;
  fills: number;
  evictions: number;
  /** Entries removed (or made unreachable) by invalidation. */
  invalidated: number;
  /** Capacity in entries. */
  capacity: number;
}

export function emptyCounters(capacity: number): CacheCounters {
  return { lookups: 0, hits: 0, misses: 0, fills: 0, evictions: 0, invalidated: 0, capacity };
}
