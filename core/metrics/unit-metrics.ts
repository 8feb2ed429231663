/**
 * The metrics every plugin reports the same way, so designs can be compared cell by cell
 * (`viommu run --json`, `viommu sweep`): per cache, per translation, per invalidation scope,
 * per fault kind, and the simulated time. Names are shared by vtd, smmuv3, amdvi and flat.
 */
import type { CacheCounters } from '../cache/stats.js';
import type { UnitStats } from '../plugin/contract.js';

/** Invalidation scopes, one vocabulary for every architecture (`<cache>.<granularity>`). */
export const INVALIDATION_SCOPES = [
  'iotlb.global',
  'iotlb.domain',
  'iotlb.pasid',
  'iotlb.page',
  'devtlb.page',
  'devtlb.global',
  'context.global',
  'context.device',
  'pasid.global',
  'pasid.domain',
  'pasid.pasid',
  /** A completion wait that ends a run of invalidations (VT-d wait descriptor, CMD_SYNC, COMPLETION_WAIT). */
  'sync',
] as const;
export type InvalidationScope = (typeof INVALIDATION_SCOPES)[number];

/** One cache's counters with the derived hit rate. */
export interface CacheMetrics {
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / lookups, 0 when the cache was never looked up. */
  readonly hitRate: number;
  readonly fills: number;
  readonly evictions: number;
  /** Entries dropped by invalidation. */
  readonly invalidated: number;
  readonly capacity: number;
}

export interface UnitMetrics {
  readonly translations: number;
  /** Translations not answered by a translation cache: each started a page walk. */
  readonly walks: number;
  /** Table reads by all walks (the page-walk cost). */
  readonly memReads: number;
  /** memReads / translations. */
  readonly readsPerTranslation: number;
  readonly faults: number;
  /** Faults by cross-architecture FAULT_KIND name; kinds that did not occur are left out. */
  readonly faultsByKind: { readonly [kind: string]: number };
  /** Invalidation operations the unit performed, by scope; every scope listed, 0 when none. */
  readonly invalidations: { readonly [scope: string]: number };
  /** Sum of `invalidations`. */
  readonly invalidationsTotal: number;
  /** Simulated time at the end of the run, ns. */
  readonly simTimeNs: number;
  /** Per cache, in the unit's own order of names. */
  readonly caches: { readonly [name: string]: CacheMetrics };
}

export function cacheMetrics(c: CacheCounters): CacheMetrics {
  return {
    lookups: c.lookups,
    hits: c.hits,
    misses: c.misses,
    hitRate: c.lookups === 0 ? 0 : c.hits / c.lookups,
    fills: c.fills,
    evictions: c.evictions,
    invalidated: c.invalidated,
    capacity: c.capacity,
  };
}

/** Builds the common metrics from a unit's stats, its invalidation tally and the clock. */
export function unitMetrics(
  stats: UnitStats,
  invalidations: { readonly [scope: string]: number },
  simTimeNs: number,
): UnitMetrics {
  const inv: { [scope: string]: number } = {};
  let total = 0;
  for (const s of INVALIDATION_SCOPES) {
    inv[s] = (invalidations[s] ?? 0) + (stats.invalidations?.[s] ?? 0);
    total += inv[s];
  }
  const caches: { [name: string]: CacheMetrics } = {};
  for (const [name, c] of Object.entries(stats.caches)) caches[name] = cacheMetrics(c);
  return {
    translations: stats.translations,
    walks: stats.walks ?? stats.translations,
    memReads: stats.memReads,
    readsPerTranslation: stats.translations === 0 ? 0 : stats.memReads / stats.translations,
    faults: stats.faults,
    faultsByKind: { ...(stats.faultsByKind ?? {}) },
    invalidations: inv,
    invalidationsTotal: total,
    simTimeNs,
    caches,
  };
}
