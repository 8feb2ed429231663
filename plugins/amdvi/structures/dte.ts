/**
 * Device Table Entry: 256 bits as q0..q3 (AMD IOMMU spec "Device Table Entry
 * Format"; reference smmuv3-amdvi.md B.2). One 32-byte DTE per 16-bit
 * DeviceID, 128 per 4 KiB page of the device table.
 */
import { getBits, setBits } from './bits.js';

export const DTE_BYTES = 32;
export const DTES_PER_PAGE = 128;

/** The decoded DTE. Fields this model ignores are still kept so that encode(decode(x)) = x. */
export interface Dte {
  /** q0 bit 0: entry valid; 0 = DMA passes untranslated. */
  v: boolean;
  /** q0 bit 1: translation information valid. */
  tv: boolean;
  /** q0 bits 8:7: host access/dirty update. */
  had: number;
  /** q0 bits 11:9: host paging mode (levels of the v1 table; 0 = none, 7 reserved). */
  mode: number;
  /** q0 bits 51:12: host page-table root, as a page frame number. */
  rootPfn: number;
  /** q0 bit 52: peripheral page requests enabled. */
  ppr: boolean;
  /** q0 bit 53. */
  gprp: boolean;
  /** q0 bit 54: guest I/O protection valid. */
  giov: boolean;
  /** q0 bit 55: guest translation valid. */
  gv: boolean;
  /** q0 bits 57:56: GCR3 table levels - 1. */
  glx: number;
  /** GCR3 table root as a page frame number (q0 60:58, q1 31:16, q1 63:43). */
  gcr3Pfn: number;
  /** q0 bit 61: read permission. */
  ir: boolean;
  /** q0 bit 62: write permission. */
  iw: boolean;
  /** q1 bits 15:0: the IOTLB tag. */
  domainId: number;
  /** q1 bit 32: device IOTLB (ATS) allowed. */
  i: boolean;
  /** q1 bit 33: suppress events. */
  se: boolean;
  /** q1 bit 34: suppress all I/O page-fault logging. */
  sa: boolean;
  /** q1 bits 42:35: IoCtl, Cache, SD, EX, SysMgt and bit 42, kept raw. */
  q1Misc: number;
  /** q2 whole: interrupt remapping fields (IV, IntTabLen, IntTableRootPtr, IntCtl, passes), kept raw. */
  q2: bigint;
  /** q3 whole: vIOMMU / SNP fields, kept raw. */
  q3: bigint;
  /** Reserved q0 bits 6:2 (value bits 4:0) and 63 (value bit 5); non-zero is an ILLEGAL_DEV_TABLE_ENTRY. */
  q0Reserved: number;
}

export function emptyDte(): Dte {
  return {
    v: false,
    tv: false,
    had: 0,
    mode: 0,
    rootPfn: 0,
    ppr: false,
    gprp: false,
    giov: false,
    gv: false,
    glx: 0,
    gcr3Pfn: 0,
    ir: false,
    iw: false,
    domainId: 0,
    i: false,
    se: false,
    sa: false,
    q1Misc: 0,
    q2: 0n,
    q3: 0n,
    q0Reserved: 0,
  };
}

const b = (x: boolean): number => (x ? 1 : 0);

export function encodeDte(d: Dte): [bigint, bigint, bigint, bigint] {
  let q0 = 0n;
  q0 = setBits(q0, 0, 1, b(d.v), 'dte.v');
  q0 = setBits(q0, 1, 1, b(d.tv), 'dte.tv');
  q0 = setBits(q0, 7, 2, d.had, 'dte.had');
  q0 = setBits(q0, 9, 3, d.mode, 'dte.mode');
  q0 = setBits(q0, 12, 40, d.rootPfn, 'dte.rootPfn');
  q0 = setBits(q0, 52, 1, b(d.ppr), 'dte.ppr');
  q0 = setBits(q0, 53, 1, b(d.gprp), 'dte.gprp');
  q0 = setBits(q0, 54, 1, b(d.giov), 'dte.giov');
  q0 = setBits(q0, 55, 1, b(d.gv), 'dte.gv');
  q0 = setBits(q0, 56, 2, d.glx, 'dte.glx');
  const g = BigInt(d.gcr3Pfn);
  if (g < 0n || g >= 1n << 40n) throw new RangeError(`dte.gcr3Pfn: ${d.gcr3Pfn} does not fit in 40 bits`);
  q0 = setBits(q0, 58, 3, g & 0x7n, 'dte.gcr3Pfn');
  q0 = setBits(q0, 61, 1, b(d.ir), 'dte.ir');
  q0 = setBits(q0, 62, 1, b(d.iw), 'dte.iw');
  if (d.q0Reserved & ~0x3f)
    throw new RangeError(`dte.q0Reserved: 0x${d.q0Reserved.toString(16)} has more than 6 bits`);
  q0 = setBits(q0, 2, 5, d.q0Reserved & 0x1f, 'dte.q0Reserved');
  q0 = setBits(q0, 63, 1, d.q0Reserved >> 5, 'dte.q0Reserved');
  let q1 = 0n;
  q1 = setBits(q1, 0, 16, d.domainId, 'dte.domainId');
  q1 = setBits(q1, 16, 16, (g >> 3n) & 0xffffn, 'dte.gcr3Pfn');
  q1 = setBits(q1, 32, 1, b(d.i), 'dte.i');
  q1 = setBits(q1, 33, 1, b(d.se), 'dte.se');
  q1 = setBits(q1, 34, 1, b(d.sa), 'dte.sa');
  q1 = setBits(q1, 35, 8, d.q1Misc, 'dte.q1Misc');
  q1 = setBits(q1, 43, 21, g >> 19n, 'dte.gcr3Pfn');
  return [q0, q1, d.q2, d.q3];
}

export function decodeDte(q0: bigint, q1: bigint, q2: bigint, q3: bigint): Dte {
  const gcr3 =
    BigInt(getBits(q0, 58, 3)) | (BigInt(getBits(q1, 16, 16)) << 3n) | (BigInt(getBits(q1, 43, 21)) << 19n);
  return {
    v: getBits(q0, 0, 1) === 1,
    tv: getBits(q0, 1, 1) === 1,
    had: getBits(q0, 7, 2),
    mode: getBits(q0, 9, 3),
    rootPfn: getBits(q0, 12, 40),
    ppr: getBits(q0, 52, 1) === 1,
    gprp: getBits(q0, 53, 1) === 1,
    giov: getBits(q0, 54, 1) === 1,
    gv: getBits(q0, 55, 1) === 1,
    glx: getBits(q0, 56, 2),
    gcr3Pfn: Number(gcr3),
    ir: getBits(q0, 61, 1) === 1,
    iw: getBits(q0, 62, 1) === 1,
    domainId: getBits(q1, 0, 16),
    i: getBits(q1, 32, 1) === 1,
    se: getBits(q1, 33, 1) === 1,
    sa: getBits(q1, 34, 1) === 1,
    q1Misc: getBits(q1, 35, 8),
    q2,
    q3,
    q0Reserved: getBits(q0, 2, 5) | (getBits(q0, 63, 1) << 5),
  };
}

/**
 * Reserved-bit masks QEMU checks (2025): q0 6:2 and 63, q2 53:52, q3 14:0 and
 * 53:48, as 32-bit word masks (w0..w7 = q0 lo, q0 hi, ... q3 hi).
 */
export const DTE_RSVD_W0 = 0x0000_007c;
export const DTE_RSVD_W1 = 0x8000_0000;
export const DTE_RSVD_W5 = 0x0030_0000;
export const DTE_RSVD_W6 = 0x0000_7fff;
export const DTE_RSVD_W7 = 0x003f_0000;
