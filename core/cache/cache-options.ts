import type { SeededRng } from '../sim/rng.js';
import { MAX_SIZE_CODES } from './cache-key.js';

/**
 * Which entry makes room when the cache is full.
 * - `lru`: least recently hit or filled.
 * - `fifo`: oldest fill (hits do not refresh it; re-filling a live key does not either).
 * - `random`: uniform over live candidates, drawn from the SeededRng passed in.
 * - `qemu`: QEMU's IOTLBs (vtd.md §4.2, smmuv3-amdvi.md A.8/B.8): a plain hash table that is
 *   flushed completely when an insert finds it at capacity. Needs `ways: 'full'`.
 */
export type ReplacementPolicy = 'lru' | 'fifo' | 'random' | 'qemu';

/** Capacities QEMU uses for its flush-on-full IOTLBs. */
export const QEMU_IOTLB_ENTRIES = { vtd: 1024, smmuv3: 256, amdvi: 1024 } as const;

/** Page shifts (in base pages) of x86/VT-d/AMD-Vi 4 KiB, 2 MiB and 1 GiB pages: size codes 0, 1, 2. */
export const X86_PAGE_SHIFTS: readonly number[] = [0, 9, 18];

export interface TranslationCacheOptions {
  /** Capacity in entries (live entries never exceed it). */
  readonly entries: number;
  /** Ways per set; `'full'` (default) is one fully associative open-addressing table. */
  readonly ways?: number | 'full';
  readonly policy: ReplacementPolicy;
  /** Required for `policy: 'random'`; the cache draws from it only when evicting. */
  readonly rng?: SeededRng;
  /**
   * Size code -> log2(pages of the base size) covered by one entry. The plugin picks the base
   * (usually 4 KiB) and the codes; default X86_PAGE_SHIFTS. At most 16 codes, shifts 0..44.
   */
  readonly pageShifts?: readonly number[];
  /** Initial number of context ids to size per-context tables for (they grow on demand). */
  readonly contexts?: number;
  /**
   * How a fully associative `lru` cache keeps its order (the victim is the same either way):
   * - `'list'`: a list in use order; a hit relinks its slot, eviction takes the head in O(1);
   * - `'ticks'`: a hit writes one use tick, eviction pops a lazy min-heap (O(log n)).
   * Default: `'list'` up to LIST_ORDER_MAX_ENTRIES entries, where the list stays in the CPU's
   * caches and small caches evict often; `'ticks'` above, where hits are most of the work.
   */
  readonly lruOrder?: LruOrder;
}

export type LruOrder = 'list' | 'ticks';

/** Largest `lru` cache that keeps its order in a list by default (see lruOrder). */
export const LIST_ORDER_MAX_ENTRIES = 16384;

/** Options after defaults and checks. */
export interface ResolvedCacheOptions {
  readonly entries: number;
  readonly ways: number | 'full';
  readonly policy: ReplacementPolicy;
  readonly rng: SeededRng | undefined;
  readonly pageShifts: readonly number[];
  readonly contexts: number;
  readonly lruOrder: LruOrder;
}

/** Apply defaults; throws RangeError on a configuration no cache can have (programmer error). */
export function resolveCacheOptions(o: TranslationCacheOptions): ResolvedCacheOptions {
  const entries = o.entries;
  if (!Number.isInteger(entries) || entries < 1 || entries > 2 ** 26) {
    throw new RangeError(`cache: entries must be an integer in 1..2^26, got ${entries}`);
  }
  const ways = o.ways ?? 'full';
  if (ways !== 'full') {
    if (!Number.isInteger(ways) || ways < 1 || entries % ways !== 0) {
      throw new RangeError(`cache: ways must be a positive divisor of entries (${entries}), got ${ways}`);
    }
    if (o.policy === 'qemu') throw new RangeError("cache: policy 'qemu' needs ways: 'full'");
  }
  if (o.policy === 'random' && o.rng === undefined) {
    throw new RangeError("cache: policy 'random' needs an rng (SeededRng)");
  }
  const pageShifts = o.pageShifts ?? X86_PAGE_SHIFTS;
  if (pageShifts.length < 1 || pageShifts.length > MAX_SIZE_CODES) {
    throw new RangeError(`cache: 1..${MAX_SIZE_CODES} page sizes, got ${pageShifts.length}`);
  }
  for (const s of pageShifts) {
    if (!Number.isInteger(s) || s < 0 || s > 44) throw new RangeError(`cache: page shift ${s} not in 0..44`);
  }
  const contexts = Math.max(1, Math.min(o.contexts ?? 64, 32767));
  const lruOrder = o.lruOrder ?? (entries <= LIST_ORDER_MAX_ENTRIES ? 'list' : 'ticks');
  if (lruOrder !== 'list' && lruOrder !== 'ticks')
    throw new RangeError(`cache: lruOrder must be 'list' or 'ticks', got ${String(lruOrder)}`);
  return { entries, ways, policy: o.policy, rng: o.rng, pageShifts, contexts, lruOrder };
}
