/**
 * How a translation-cache key is packed into two int32 words, and the hash over
 * them. perf-notes §2: two int32 key words in an Int32Array are 5-10x faster than
 * any Map key and within 1.5x of the memory floor.
 *
 * Word 0 = VPN bits 31:0.
 * Word 1 = context id (bits 31:17) | size code (bits 16:13) | VPN bits 44:32 (bits 12:0).
 */

/** Context ids are 0 .. MAX_CONTEXT_ID; id 32767 is reserved to mark empty slots. */
export const MAX_CONTEXT_ID = 32766;
/** At most 16 page-size codes per cache (4 bits of the key). */
export const MAX_SIZE_CODES = 16;
/** VPNs (page numbers in base-page units) are below 2^45. */
export const VPN_LIMIT = 2 ** 45;

/** Key word 1 of an empty slot: context id 32767, which no caller can use. */
export const EMPTY_K1 = -1;
/** Stamp of a slot that never held a key; probing stops here. */
export const STAMP_EMPTY = -1;
/** Stamp of a removed entry (tombstone); its key stays, so a key has at most one slot. */
export const STAMP_DEAD = 0;

/** Words per slot in `keys`: [k0, k1, stamp, spare]; 16 bytes keep a slot on one cache line. */
export const SLOT_STRIDE = 4;

const TWO_POW_32 = 4294967296;

/** Pack word 1 from a context id, a size code and VPN bits 44:32. */
export function keyWord1(ctx: number, size: number, vpnHi: number): number {
  return (ctx << 17) | (size << 13) | vpnHi;
}

/** Context id stored in key word 1. */
export function contextOfKey(k1: number): number {
  return k1 >>> 17;
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
  return vpn < TWO_POW_32 ? 0 : (vpn / TWO_POW_32) | 0;
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
