/**
 * What intel_iommu_sva_invalidate accepts: the cache-type x granularity table
 * and the size order of an address range (reference/uapi.md §5.1).
 */
import { QI_GRAN } from './qi-descriptors.js';

/** Marks a combination the v5.10 driver does not support (the kernel's -EINVAL sentinel). */
export const GRANU_UNSUPPORTED = -1;

/**
 * inv_type_granu_table[cache bit index][UAPI granularity]. Only first-level
 * (PASID-tagged) invalidation is meaningful for a guest, so request-without-PASID
 * granularities and the host-owned PASID cache are all unsupported.
 */
export const INV_TYPE_GRANU_TABLE: readonly (readonly number[])[] = [
  // IOTLB: DOMAIN, PASID, ADDR
  [GRANU_UNSUPPORTED, QI_GRAN.NONG_PASID, QI_GRAN.PSI_PASID],
  // DEV_IOTLB
  [GRANU_UNSUPPORTED, GRANU_UNSUPPORTED, QI_GRAN.DEV_IOTLB_PASID_SEL],
  // PASID cache
  [GRANU_UNSUPPORTED, GRANU_UNSUPPORTED, GRANU_UNSUPPORTED],
];

/** The VT-d granularity for (cache bit index, UAPI granularity), or GRANU_UNSUPPORTED. */
export function vtdGranularity(cacheBit: number, granularity: number): number {
  return INV_TYPE_GRANU_TABLE[cacheBit]?.[granularity] ?? GRANU_UNSUPPORTED;
}

const U64 = (1n << 64n) - 1n;

/**
 * to_vtd_size: ceil(log2(number of 4 KiB pages)) of granule_size x nb_granules,
 * the product taken modulo 2^64 as the kernel's u64 multiply does; 0 or 1 page -> 0.
 */
export function toVtdSize(granuleSize: bigint, nbGranules: bigint): number {
  const pages = ((granuleSize * nbGranules) & U64) >> 12n;
  return orderBase2(pages);
}

/** ceil(log2(n)) for n >= 2, else 0 (the kernel's order_base_2). */
export function orderBase2(n: bigint): number {
  if (n <= 1n) return 0;
  return (n - 1n).toString(2).length;
}
