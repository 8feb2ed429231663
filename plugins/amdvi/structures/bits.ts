/** Bit-field helpers over 64-bit bigints, for encode/decode on cold paths only. */

/** Bits [lo, lo+width) of q as a number (width <= 52). */
export function getBits(q: bigint, lo: number, width: number): number {
  return Number((q >> BigInt(lo)) & ((1n << BigInt(width)) - 1n));
}

/** Returns q with bits [lo, lo+width) replaced by value; throws naming `what` if value does not fit. */
export function setBits(q: bigint, lo: number, width: number, value: number | bigint, what: string): bigint {
  const v = BigInt(value);
  const mask = (1n << BigInt(width)) - 1n;
  if (v < 0n || v > mask) throw new RangeError(`${what}: ${value} does not fit in ${width} bits`);
  return (q & ~(mask << BigInt(lo))) | (v << BigInt(lo));
}

/** Reads 64-bit word `i` of a Uint32Array page (little-endian pairs) as a bigint. */
export function wordsToU64(words: Uint32Array, i: number): bigint {
  return (BigInt(words[2 * i + 1]!) << 32n) | BigInt(words[2 * i]!);
}

/** Splits a 64-bit bigint into [lo, hi] 32-bit words. */
export function u64ToWords(q: bigint): [number, number] {
  return [Number(q & 0xffff_ffffn), Number((q >> 32n) & 0xffff_ffffn)];
}
