/**
 * Bit-field access over hardware structures held as little-endian 32-bit words
 * (SMMUv3: STE = 16 words, CD = 16, command = 4, event record = 8; VT-d: a
 * queued-invalidation descriptor = 4 or 8). Bit positions are
 * absolute across the structure: dword N bit b is bit 64·N + b, so a table row
 * "dw2 bits 37:32" reads as field(w, 2 * 64 + 32, 6). Numbers only, no BigInt:
 * the same helpers serve cold decoders and the walker.
 */

const TWO32 = 0x1_0000_0000;

/** Bit `pos` of dword `dw`, as an absolute bit index. */
export function bit(dw: number, pos: number): number {
  return dw * 64 + pos;
}

/** Reads `width` (1..32) bits starting at absolute bit `lsb`; may straddle two words. */
export function getField(w: ArrayLike<number>, lsb: number, width: number): number {
  const i = lsb >>> 5;
  const off = lsb & 31;
  let v = (w[i]! >>> off) >>> 0;
  const fromLow = 32 - off;
  if (width > fromLow) v += (w[i + 1]! & lowMask(width - fromLow)) * 2 ** fromLow;
  return width >= 32 ? v : v % 2 ** width;
}

/** Writes `width` (1..32) bits at absolute bit `lsb`; throws if the value does not fit (a programmer error). */
export function setField(w: Uint32Array, lsb: number, width: number, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** width) {
    throw new RangeError(`field at bit ${lsb} (${width} bits) cannot hold ${value}`);
  }
  const i = lsb >>> 5;
  const off = lsb & 31;
  const fromLow = 32 - off;
  const lowWidth = Math.min(width, fromLow);
  const lowPart = value % 2 ** lowWidth;
  const m = lowMask(lowWidth);
  w[i] = ((w[i]! & ~(m << off)) | (lowPart << off)) >>> 0;
  if (width > fromLow) {
    const hiWidth = width - fromLow;
    const hiPart = Math.floor(value / 2 ** fromLow);
    const hm = lowMask(hiWidth);
    w[i + 1] = ((w[i + 1]! & ~hm) | hiPart) >>> 0;
  }
}

/**
 * Reads an address field [msb:lsb] of dword `dw` (msb < 64, the field lies in one dword)
 * and returns it in place: the bits below lsb are zero, as a byte address (exact below 2^53).
 */
export function getAddr(w: ArrayLike<number>, dw: number, msb: number, lsb: number): number {
  const lo = w[dw * 2]! >>> 0;
  const hi = w[dw * 2 + 1]! >>> 0;
  const hiBits = msb >= 32 ? hi % 2 ** (msb - 31) : 0;
  const loBits = lsb >= 32 ? 0 : msb >= 32 ? lo : lo % 2 ** (msb + 1);
  const full = hiBits * TWO32 + loBits;
  return full - (full % 2 ** lsb);
}

/** Writes an address into field [msb:lsb] of dword `dw`; throws if it is unaligned or too wide. */
export function setAddr(w: Uint32Array, dw: number, msb: number, lsb: number, addr: number): void {
  if (!Number.isSafeInteger(addr) || addr < 0 || addr % 2 ** lsb !== 0 || addr >= 2 ** (msb + 1)) {
    throw new RangeError(`address 0x${addr.toString(16)} does not fit bits [${msb}:${lsb}] aligned`);
  }
  const loMask = lsb >= 32 ? 0 : msb >= 31 ? ~lowMask(lsb) >>> 0 : (lowMask(msb + 1) & ~lowMask(lsb)) >>> 0;
  const hiMask = msb >= 32 ? (lowMask(msb - 31) & ~lowMask(Math.max(0, lsb - 32))) >>> 0 : 0;
  const lo = addr % TWO32;
  const hi = Math.floor(addr / TWO32);
  w[dw * 2] = ((w[dw * 2]! & ~loMask) | (lo & loMask)) >>> 0;
  w[dw * 2 + 1] = ((w[dw * 2 + 1]! & ~hiMask) | (hi & hiMask)) >>> 0;
}

/** Mask of the low n bits (0..32) as an unsigned 32-bit number. */
export function lowMask(n: number): number {
  return n >= 32 ? 0xffff_ffff : ((1 << n) - 1) >>> 0;
}

/** A structure's words as "0x..." dwords, for events and snapshots. */
export function dwordsHex(w: ArrayLike<number>, count: number): string[] {
  const out: string[] = [];
  for (let d = 0; d < count; d++) {
    const v = (BigInt(w[2 * d + 1]! >>> 0) << 32n) | BigInt(w[2 * d]! >>> 0);
    out.push(`0x${v.toString(16).padStart(16, '0')}`);
  }
  return out;
}

/** Parses dwords given as bigints into words. */
export function wordsFromDwords(dwords: readonly bigint[], words: number): Uint32Array {
  const w = new Uint32Array(words);
  for (let d = 0; d < dwords.length && 2 * d + 1 < words; d++) {
    w[2 * d] = Number(dwords[d]! & 0xffff_ffffn);
    w[2 * d + 1] = Number((dwords[d]! >> 32n) & 0xffff_ffffn);
  }
  return w;
}
