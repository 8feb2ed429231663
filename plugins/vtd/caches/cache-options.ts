/**
 * Per-cache configuration of the VT-d model (plugin option `caches`):
 * entries, associativity and replacement policy for each cache. `entries: 0`
 * disables a paging-structure cache (QEMU has none, reference/vtd.md §4.2).
 *
 * The IOTLB also takes `key`, separate from the policy so that policies can be
 * compared under one key: `domain` (the architecture: DID + PASID) or `sid`
 * (QEMU: source-id + PASID, devices of one domain share nothing). The default
 * follows the policy: `sid` for `qemu` and `qemu-7.2`, `domain` otherwise.
 *
 * `qemu-7.2` is QEMU's design with QEMU 7.2's page-invalidation bug
 * reproduced, for comparing with traces of QEMU 7.x: its page-selective
 * invalidation kept the address mask in an 8-bit field, so it also drops every
 * entry of the domain whose frame number agrees with the invalidated one in
 * bits 7:0 above the mask (aliases every 256 pages), and AM >= 8 drops the
 * whole domain. QEMU 9.1 widened the field.
 */
import type { ReplacementPolicy } from '../../../core/cache/index.js';
import type { JsonObject } from '../../../core/plugin/contract.js';

/** The core's replacement policies, plus `qemu-7.2` (QEMU's flush-on-full with 7.2's 8-bit PSI mask). */
export type VtdCachePolicy = ReplacementPolicy | 'qemu-7.2';

/** What the IOTLB's entries are tagged by: the domain (DID, architecture) or the source-id (QEMU). */
export type IotlbKey = 'domain' | 'sid';

export interface VtdCacheConfig {
  readonly entries: number;
  readonly ways: number | 'full';
  readonly policy: VtdCachePolicy;
  /** IOTLB only: the tag; default `sid` for the qemu policies, `domain` otherwise. */
  readonly key?: IotlbKey;
}

/** The core policy that carries out a VT-d policy (`qemu-7.2` evicts as `qemu` does). */
export function corePolicy(p: VtdCachePolicy): ReplacementPolicy {
  return p === 'qemu-7.2' ? 'qemu' : p;
}

/** Whether an IOTLB configuration is tagged by source-id. */
export function iotlbKeyedBySid(c: VtdCacheConfig): boolean {
  return (c.key ?? (c.policy === 'qemu' || c.policy === 'qemu-7.2' ? 'sid' : 'domain')) === 'sid';
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

export const VTD_CACHE_POLICIES: readonly VtdCachePolicy[] = ['lru', 'fifo', 'random', 'qemu', 'qemu-7.2'];
const POLICIES: readonly string[] = VTD_CACHE_POLICIES;

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
      if (k !== 'entries' && k !== 'ways' && k !== 'policy' && !(k === 'key' && name === 'iotlb'))
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
    if ((policy === 'qemu' || policy === 'qemu-7.2') && ways !== 'full')
      throw new RangeError(`${what}.${name}.ways: policy '${policy}' needs ways 'full'`);
    if (policy === 'qemu-7.2' && name !== 'iotlb')
      throw new RangeError(`${what}.${name}.policy: 'qemu-7.2' is an IOTLB policy`);
    const key = o.key;
    if (key !== undefined && key !== 'sid' && key !== 'domain')
      throw new RangeError(`${what}.${name}.key: expected "sid" or "domain", got ${JSON.stringify(key)}`);
    out[name] = {
      entries,
      ways,
      policy: policy as VtdCachePolicy,
      ...(key !== undefined ? { key: key as IotlbKey } : {}),
    };
  }
  return Object.freeze(out) as unknown as VtdCacheOptions;
}
