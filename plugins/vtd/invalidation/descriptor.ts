/**
 * Queued-invalidation descriptor layouts (reference/vtd.md §5): type codes,
 * fields and the reserved-bit masks the hardware checks. A descriptor is 2
 * qwords (128-bit) or 4 qwords (256-bit, IQA.DW = 1).
 */

export const QI_TYPE = {
  CONTEXT_CACHE: 0x1,
  IOTLB: 0x2,
  DEVICE_TLB: 0x3,
  INTERRUPT_ENTRY_CACHE: 0x4,
  INVALIDATION_WAIT: 0x5,
  PASID_IOTLB: 0x6,
  PASID_CACHE: 0x7,
  PASID_DEVICE_TLB: 0x8,
  PAGE_GROUP_RESPONSE: 0x9,
} as const;

/** Reserved bits of qw0 and qw1 per type (type[6:4] in qw0 11:9 is checked separately). */
export const QI_RSVD: { readonly [type: number]: readonly [bigint, bigint] } = {
  // G 5:4, DID 31:16, SID 47:32, FM 49:48.
  1: [0xfffc_0000_0000_f1c0n, 0xffff_ffff_ffff_ffffn],
  // G 5:4, DW 6, DR 7, DID 31:16; qw1 AM 5:0, IH 6, ADDR 63:12.
  2: [0xffff_ffff_0000_f100n, 0xf80n],
  // PFSID 15:12 and 63:52, MIP/QDEP 20:16, SID 47:32; qw1 S 0, ADDR 63:12.
  3: [0x000f_0000_ffe0_01f0n, 0xffen],
  // G 4, IM 31:27, IIDX 47:32.
  4: [0xffff_0000_07ff_f1e0n, 0xffff_ffff_ffff_ffffn],
  // IF 4, SW 5, FN 6, PD 7, status data 63:32; qw1 status address 63:2.
  5: [0x0000_0000_ffff_f100n, 0x3n],
  // G 5:4, DID 31:16, PASID 51:32; qw1 AM 5:0, IH 6, ADDR 63:12.
  6: [0xfff0_0000_0000_f1c0n, 0xf80n],
  // G 5:4, DID 31:16, PASID 51:32.
  7: [0xfff0_0000_0000_f1c0n, 0xffff_ffff_ffff_ffffn],
  // QDEP 8:4, PFSID 15:12 and 63:52, SID 31:16, PASID 51:32; qw1 G 0, S 11, ADDR 63:12.
  8: [0x0n, 0x7fen],
  // PASID-present 4, PDP 5, code 15:12, RID 31:16, PASID 51:32; qw1 LPIG 2, PRG index 11:3.
  9: [0xfff0_0000_0000_01c0n, 0xffff_ffff_ffff_f003n],
};

/** Descriptor types that exist only in the 256-bit form. */
export const QI_256_ONLY: ReadonlySet<number> = new Set([0x6, 0x7, 0x8, 0x9]);

/**
 * QI_RSVD as 32-bit words, per type [qw0 31:0, qw0 63:32, qw1 31:0, qw1 63:32], for checking a
 * descriptor held as words (descriptorWords) without BigInt arithmetic.
 */
export const QI_RSVD_WORDS: { readonly [type: number]: readonly number[] } = Object.fromEntries(
  Object.entries(QI_RSVD).map(([t, [q0, q1]]) => [
    t,
    [Number(q0 & 0xffff_ffffn), Number(q0 >> 32n), Number(q1 & 0xffff_ffffn), Number(q1 >> 32n)],
  ]),
);

/**
 * Splits a descriptor's qwords into little-endian 32-bit words (`out[2k]` = qword k bits 31:0,
 * `out[2k + 1]` = bits 63:32), so that decoding it is number arithmetic: a BigInt operation
 * allocates, and a descriptor used to cost some sixty of them.
 */
export function descriptorWords(d: readonly bigint[], out: Uint32Array): void {
  for (let k = 0; k < d.length; k++) {
    const q = d[k]!;
    if (q >= 0n && q <= SAFE) {
      // Exact as a double: split it without allocating a BigInt (most qwords are below 2^53).
      const v = Number(q);
      const lo = v % 4294967296;
      out[2 * k] = lo;
      out[2 * k + 1] = (v - lo) / 4294967296;
    } else {
      out[2 * k] = Number(BigInt.asUintN(32, q));
      out[2 * k + 1] = Number(BigInt.asUintN(32, q >> 32n));
    }
  }
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Bits [lsb, lsb + width) of a descriptor held as words, `lsb` counted across qwords (qword k
 * bit b is 64k + b). The field must lie within one 32-bit word, as every QI field but the
 * addresses does (pageOf reads those).
 */
export function bits(w: Uint32Array, lsb: number, width: number): number {
  const v = w[lsb >>> 5]! >>> (lsb & 31);
  return width >= 32 ? v : v & ((1 << width) - 1);
}

/** Bits 63:12 of qword `k` (an address field) as a page number. */
export function pageOf(w: Uint32Array, k: number): number {
  return w[2 * k + 1]! * 2 ** 20 + (w[2 * k]! >>> 12);
}

/**
 * PCIe ATS invalidation range (reference/vtd.md §4.5): S = 0 is one page at
 * ADDR; S = 1 encodes the size by the trailing ones of ADDR[63:12]: k ones
 * mean 2^(k+1) pages, address aligned down to that size.
 */
export function atsRange(addr: bigint, s: boolean): { vpn: number; pages: number } {
  const pfn = addr >> 12n;
  if (!s) return { vpn: Number(pfn & 0xf_ffff_ffff_ffffn), pages: 1 };
  let k = 0;
  while (k < 52 && ((pfn >> BigInt(k)) & 1n) === 1n) k++;
  if (k >= 44) return { vpn: 0, pages: 2 ** 45 };
  const pages = 2 ** (k + 1);
  return { vpn: Number((pfn >> BigInt(k + 1)) << BigInt(k + 1)), pages };
}
