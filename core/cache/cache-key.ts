/**
 * How a translation-cache key is packed into two int32 words, and the hash over
 * them. perf-notes §2: two int32 key words in an Int32Array are 5-10x faster than
 * any Map key and within 1.5x of the memory floor.
 *
 * Word 0 = VPN bits 31:0.
 * Word 1 = tag (bits 31:17) | size code (bits 16:13) | VPN bits 44:32 (bits 12:0).
 *
 * The tag names one generation of one context: invalidating a context gives it a fresh tag, so
 * its old entries stop matching any lookup without being touched (translation-cache.ts). A slot
 * is these two words and nothing else, 8 bytes, as in perf-notes' bare table.
 */

/** Context ids are 0 .. MAX_CONTEXT_ID. */
export const MAX_CONTEXT_ID = 32766;
/**
 * Tags in use are 1 .. TAG_LIMIT - 1 (0 is never handed out, so a key built from tag 0 names no
 * entry: translation-cache.ts ctxKey); the two above mark tombstones and empty slots.
 */
export const TAG_LIMIT = 32766;
/** At most 16 page-size codes per cache (4 bits of the key). */
export const MAX_SIZE_CODES = 16;
/** VPNs (page numbers in base-page units) are below 2^45. */
export const VPN_LIMIT = 2 ** 45;

/** Key word 1 of a slot that never held a key (tag 32767); probing stops here. */
export const EMPTY_K1 = -1;
/** Key word 1 of a removed entry (tag 32766): matches no key, reusable by inserts. */
export const TOMB_K1 = TAG_LIMIT << 17;

/** Words per slot in `keys`: [k0, k1]. */
export const SLOT_STRIDE = 2;

const TWO_POW_32 = 4294967296;

/** Pack word 1 from a tag, a size code and VPN bits 44:32. */
export function keyWord1(tag: number, size: number, vpnHi: number): number {
  return (tag << 17) | (size << 13) | vpnHi;
}

/** Tag stored in key word 1 (TAG_LIMIT for a tombstone, TAG_LIMIT + 1 for an empty slot). */
export function tagOfKey(k1: number): number {
  return k1 >>> 17;
}

/** Key word 1 with its tag replaced by `tag` (size code and VPN bits kept). */
export function withTag(k1: number, tag: number): number {
  return (tag << 17) | (k1 & 0x1ffff);
}

/** Size code stored in key word 1. */
export function sizeOfKey(k1: number): number {
  return (k1 >>> 13) & 15;
}

/** VPN rebuilt from the two key words. */
export function vpnOfKey(k0: number, k1: number): number {
  return (k1 & 0x1fff) * TWO_POW_32 + (k0 >>> 0);
}

/** High half of a VPN (bits 52:32 for any safe integer); most VPNs are below 2^32 and skip the division. */
export function vpnHigh(vpn: number): number {
  return vpn < 4294967296 ? 0 : (vpn / 4294967296) | 0; // literals: see open-cache.ts
}

/**
 * 32-bit mix of the two key words (a murmur3-style finalizer), so that
 * neighbouring VPNs and contexts spread over the table.
 */
export function hashKey(k0: number, k1: number): number {
  let x = Math.imul(k0 ^ Math.imul(k1, 0x9e3779b1), 0x85ebca6b);
  x ^= x >>> 15;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** Smallest power of two >= n (n >= 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
