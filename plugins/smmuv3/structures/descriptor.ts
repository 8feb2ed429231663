/**
 * VMSAv8-64 translation table descriptors and geometry (Arm ARM D8; reference
 * A.4), as the walker and the builders see them. A descriptor is two 32-bit
 * words: lo = bits 31:0, hi = bits 63:32. Output addresses are modelled to 48
 * bits (no FEAT_LPA/LPA2), like QEMU.
 */

/** Bits of the low word. */
export const DESC_LO = {
  VALID: 1 << 0,
  /** Bit 1: table (levels 0-2) or page (level 3); clear = block at levels 1-2, reserved at 3. */
  TABLE_OR_PAGE: 1 << 1,
  /** Stage 1 AP[1] (bit 6): accessible from EL0 (unprivileged). Stage 2: S2AP[0] = read. */
  AP1_OR_S2R: 1 << 6,
  /** Stage 1 AP[2] (bit 7): read-only. Stage 2: S2AP[1] = write. */
  AP2_OR_S2W: 1 << 7,
  /** Access flag (bit 10). */
  AF: 1 << 10,
  /** Not global (bit 11): ignored here (no global-entry modelling beyond ASID tagging). */
  NG: 1 << 11,
} as const;

/** Bits of the high word (bit n of the descriptor is bit n-32 here). */
export const DESC_HI = {
  /** Bit 53: stage 1 PXN. */
  PXN: 1 << 21,
  /** Bit 54: stage 1 UXN/XN; stage 2 XN[1]. */
  UXN_XN: 1 << 22,
  /** Bit 59: PXNTable. */
  PXN_TABLE: 1 << 27,
  /** Bit 60: UXNTable/XNTable. */
  UXN_TABLE: 1 << 28,
  /** Bit 61: APTable[0]: no EL0 access below. */
  AP_TABLE_NO_EL0: 1 << 29,
  /** Bit 62: APTable[1]: no write below. */
  AP_TABLE_RO: 1 << 30,
  /** Output address bits 47:32 live in hi bits 15:0. */
  OA_HI_MASK: 0xffff,
} as const;

/** Output address size modelled (bits). */
export const MAX_OA_BITS = 48;

/** Supported granules, as log2 of the granule size. */
export const GRANULE_SHIFTS: readonly number[] = [12, 14, 16];

/** Address bits one level resolves: g - 3. */
export function strideOf(g: number): number {
  return g - 3;
}

/** Lowest address bit translated by a descriptor at `level` (reference A.4: g + (3 - L)(g - 3)). */
export function levelShift(g: number, level: number): number {
  return g + (3 - level) * (g - 3);
}

/** Stage 1 start level for an input size (reference A.4): 4 - floor((inputBits - 4) / stride). */
export function s1StartLevel(g: number, inputBits: number): number {
  return 4 - Math.floor((inputBits - 4) / strideOf(g));
}

/**
 * Lowest level at which a block descriptor is allowed without 52-bit features:
 * 4K: level 1 (1 GiB); 16K and 64K: level 2 (32 MiB, 512 MiB).
 */
export function firstBlockLevel(g: number): number {
  return g === 12 ? 1 : 2;
}

/** Permission mask bits kept in TLB entries: privileged R/W/X in bits 0-2, unprivileged in bits 3-5. */
export const PERM = {
  PR: 1,
  PW: 2,
  PX: 4,
  UR: 8,
  UW: 16,
  UX: 32,
  ALL: 63,
} as const;

export interface LeafAttrs {
  /** Stage 1: AP[2:1] as in the descriptor (bit 1 = read-only, bit 0 = EL0 access). */
  readonly ap?: number;
  /** Stage 2: S2AP (bit 0 = read, bit 1 = write). */
  readonly s2ap?: number;
  readonly af?: boolean;
  readonly pxn?: boolean;
  readonly uxn?: boolean;
}

/** Encodes a leaf (block at levels 1-2, page at level 3) descriptor; returns [lo, hi]. */
export function encodeLeaf(level: number, outAddr: number, stage: 1 | 2, a: LeafAttrs): [number, number] {
  let lo = DESC_LO.VALID | (level === 3 ? DESC_LO.TABLE_OR_PAGE : 0);
  const ap = stage === 1 ? (a.ap ?? 0b01) : (a.s2ap ?? 0b11);
  lo |= (ap & 1 ? DESC_LO.AP1_OR_S2R : 0) | (ap & 2 ? DESC_LO.AP2_OR_S2W : 0);
  if (a.af ?? true) lo |= DESC_LO.AF;
  let hi = 0;
  if (a.pxn) hi |= DESC_HI.PXN;
  if (a.uxn) hi |= DESC_HI.UXN_XN;
  return addAddr(lo >>> 0, hi, outAddr);
}

export interface TableAttrs {
  readonly apTable?: number;
  readonly pxnTable?: boolean;
  readonly uxnTable?: boolean;
}

/** Encodes a table descriptor pointing at `next`; returns [lo, hi]. */
export function encodeTable(next: number, a: TableAttrs = {}): [number, number] {
  let hi = 0;
  const ap = a.apTable ?? 0;
  if (ap & 1) hi |= DESC_HI.AP_TABLE_NO_EL0;
  if (ap & 2) hi |= DESC_HI.AP_TABLE_RO;
  if (a.pxnTable) hi |= DESC_HI.PXN_TABLE;
  if (a.uxnTable) hi |= DESC_HI.UXN_TABLE;
  return addAddr(DESC_LO.VALID | DESC_LO.TABLE_OR_PAGE, hi, next);
}

function addAddr(lo: number, hi: number, addr: number): [number, number] {
  if (!Number.isSafeInteger(addr) || addr < 0 || addr % 4096 !== 0 || addr >= 2 ** MAX_OA_BITS) {
    throw new RangeError(`descriptor address 0x${addr.toString(16)} must be 4 KiB aligned and below 2^48`);
  }
  const aLo = addr % 0x1_0000_0000;
  const aHi = Math.floor(addr / 0x1_0000_0000);
  return [(lo | aLo) >>> 0, (hi | aHi) >>> 0];
}
