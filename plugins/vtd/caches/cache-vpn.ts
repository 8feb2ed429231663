/**
 * The page number a VT-d cache keys an input page by: below 2^45, core/cache's VPN_LIMIT.
 *
 * - Second-level input pages are below 2^45 (57-bit AGAW at most) and key as themselves.
 * - A first-level input address is canonical (reference/vtd.md §2.1): its page is below 2^44,
 *   keyed as itself, or in the upper half, from 2^52 - 2^44 on (a 48-bit upper half lies inside
 *   it), keyed by its low 45 bits, which fall in [2^44, 2^45) and so meet no lower-half page.
 *   That key keeps each level's table index, so walks can take it as their input.
 * - Anything else cannot be in a cache: -1. A non-canonical first-level page is one, so it can
 *   never hit the entry of a canonical page with the same low bits.
 */
export function cacheVpn(pfn: number, firstLevel: boolean): number {
  if (!firstLevel) return pfn < 35184372088832 ? pfn : -1; // 2^45
  if (pfn < 17592186044416) return pfn; // 2^44
  return pfn >= UPPER_HALF && pfn < 2 ** 52 ? pfn - UPPER_HALF + 17592186044416 : -1;
}

/** First page of the canonical upper half of a 57-bit first-level address space: 2^52 - 2^44. */
const UPPER_HALF = 2 ** 52 - 2 ** 44;
