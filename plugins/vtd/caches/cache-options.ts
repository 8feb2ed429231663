/**
 * Per-cache configuration of the VT-d model (plugin option `caches`):
 * entries, associativity and replacement policy for each cache. `entries: 0`
 * disables a paging-structure cache (QEMU has none, reference/vtd.md §4.2).
 */
import type { ReplacementPolicy } from '../../../core/cache/index.js';
import type { JsonObject } from '../../../core/plugin/contract.js';

export interface VtdCacheConfig {
  readonly entries: number;
  readonly ways: number | 'full';
  readonly policy: ReplacementPolicy;
}

export const VTD_CACHE_NAMES = ['context', 'pasid', 'iotlb', 'slPsc', 'flPsc', 'devTlb'] as const;
export type VtdCacheName = (typeof VTD_CACHE_NAMES)[number];

export type VtdCacheOptions = { readonly [K in VtdCacheName]: VtdCacheConfig };

export const DEFAULT_CACHE_OPTIONS: VtdCacheOptions = Object.freeze({
  context: { entries: 256, ways: 'full', policy: 'lru' },
  pasid: { entries: 1024, ways: 'full', policy: 'lru' },
  iotlb: { entries: 4096, ways: 'full', policy: 'lru' },
  slPsc: { entries: 512, ways: 'full', policy: 'lru' },
  flPsc: { entries: 512, ways: 'full', policy: 'lru' },
  /** Per ATS device. */
  devTlb: { entries: 64, ways: 'full', policy: 'lru' },
});

/** QEMU's design (reference/vtd.md §4.2): 1024-entry flush-on-full IOTLB keyed by source-id, no PSCs. */
export const QEMU_CACHE_OPTIONS: VtdCacheOptions = Object.freeze({
  ...DEFAULT_CACHE_OPTIONS,
  iotlb: { entries: 1024, ways: 'full', policy: 'qemu' },
  slPsc: { entries: 0, ways: 'full', policy: 'lru' },
  flPsc: { entries: 0, ways: 'full', policy: 'lru' },
});

const POLICIES: readonly string[] = ['lru', 'fifo', 'random', 'qemu'];

/** Parses `caches` options; throws naming the field (`caches.iotlb.ways`). */
export function parseCacheOptions(raw: JsonObject | undefined, what = 'caches'): VtdCacheOptions {
  if (raw === undefined) return DEFAULT_CACHE_OPTIONS;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new TypeError(`${what}: expected an object`);
  const out: Record<string, VtdCacheConfig> = { ...DEFAULT_CACHE_OPTIONS };
  for (const [name, v] of Object.entries(raw)) {
    if (!(VTD_CACHE_NAMES as readonly string[]).includes(name)) {
      throw new RangeError(`${what}.${name}: unknown cache (known: ${VTD_CACHE_NAMES.join(', ')})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new TypeError(`${what}.${name}: expected an object`);
    const o = v as JsonObject;
    const def = DEFAULT_CACHE_OPTIONS[name as VtdCacheName];
    for (const k of Object.keys(o)) {
      if (k !== 'entries' && k !== 'ways' && k !== 'policy')
        throw new RangeError(`${what}.${name}.${k}: unknown field`);
    }
    const entries = o.entries ?? def.entries;
    const minEntries = name === 'slPsc' || name === 'flPsc' ? 0 : 1;
    if (
      typeof entries !== 'number' ||
      !Number.isInteger(entries) ||
      entries < minEntries ||
      entries > 2 ** 24
    ) {
      throw new RangeError(
        `${what}.${name}.entries: expected an integer in [${minEntries}, 2^24], got ${JSON.stringify(entries)}`,
      );
    }
    const ways = o.ways ?? def.ways;
    if (
      ways !== 'full' &&
      (typeof ways !== 'number' || !Number.isInteger(ways) || ways < 1 || entries % ways !== 0)
    ) {
      throw new RangeError(
        `${what}.${name}.ways: expected 'full' or a divisor of entries, got ${JSON.stringify(ways)}`,
      );
    }
    const policy = o.policy ?? def.policy;
    if (typeof policy !== 'string' || !POLICIES.includes(policy)) {
      throw new RangeError(
        `${what}.${name}.policy: expected one of ${POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
      );
    }
    if (policy === 'qemu' && ways !== 'full')
      throw new RangeError(`${what}.${name}.ways: policy 'qemu' needs ways 'full'`);
    out[name] = { entries, ways, policy: policy as ReplacementPolicy };
  }
  return Object.freeze(out) as unknown as VtdCacheOptions;
}
