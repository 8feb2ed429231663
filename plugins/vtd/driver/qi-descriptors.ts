/**
 * Encoders of the 256-bit queued-invalidation descriptors the driver submits
 * (reference/vtd.md §5, reference/uapi.md §5.1), through the one codec of
 * invalidation/descriptor.ts. Each returns four qwords [qw0, qw1, qw2, qw3] as
 * bigints: UAPI calls are a cold path. A field the kernel's QI_* macro shifts
 * in without a mask is encoded unmasked, so its overflow lands where Linux
 * puts it.
 */
import { encodeQi, QI } from '../invalidation/descriptor.js';

export type QiDescriptor = readonly [bigint, bigint, bigint, bigint];
type QiDescriptor4 = [bigint, bigint, bigint, bigint];

/** Granularities as the driver names them (QI_GRAN_*, QI_PC_*, QI_DEV_IOTLB_GRAN_*). */
export const QI_GRAN = {
  /** P_IOTLB: all mappings of a PASID except global ones. */
  NONG_PASID: 2,
  /** P_IOTLB: page-selective within a PASID. */
  PSI_PASID: 3,
  /** PASID-based device-TLB: the given PASID only (G=0). */
  DEV_IOTLB_PASID_SEL: 0,
  /** PASID cache: PASID-selective. */
  PC_PASID_SEL: 1,
} as const;

const PAGE_MASK = ~0xfffn & ((1n << 64n) - 1n);

export interface PiotlbRequest {
  readonly did: number;
  /** The kernel passes the PASID as u32: higher bits are already gone. */
  readonly pasid: number;
  readonly addr: bigint;
  /** Number of 4 KiB pages, or -1n for "whole PASID" (granularity NONG_PASID). */
  readonly npages: bigint;
  readonly ih: boolean;
}

/**
 * PASID-based IOTLB invalidation (type 0x6): qw0 = type | G<<4 | DID<<16 | PASID<<32;
 * PSI: qw1 = page address | IH<<6 | AM. Returns null for npages 0, which the kernel refuses.
 */
export function encodePiotlb(r: PiotlbRequest): QiDescriptor | null {
  if (r.npages === 0n) return null;
  // QI_EIOTLB_PASID shifts the u32 PASID in unmasked; QI_EIOTLB_DID masks the DID.
  const common = { did: r.did & 0xffff, pasid: r.pasid >>> 0 };
  if (r.npages === -1n) {
    return encodeQi(QI.PASID_IOTLB, { ...common, g: QI_GRAN.NONG_PASID }, 4, ['pasid']) as QiDescriptor4;
  }
  const am = ceilLog2(r.npages) & 0x3f;
  return encodeQi(
    QI.PASID_IOTLB,
    { ...common, g: QI_GRAN.PSI_PASID, addr: r.addr & PAGE_MASK, ih: r.ih, am },
    4,
    ['pasid'],
  ) as QiDescriptor4;
}

export interface PasidDevIotlbRequest {
  readonly sid: number;
  /** Physical-function source id; only meaningful when ECAP.DIT, else 0. */
  readonly pfsid: number;
  readonly pasid: number;
  readonly qdep: number;
  readonly addr: bigint;
  /** log2 of the number of 4 KiB pages; 52 means the whole address space. */
  readonly sizeOrder: number;
}

/**
 * PASID-based device-TLB invalidation (type 0x8). The range is encoded the PCIe
 * ATS way: with S (qw1 bit 11) set, the number of ones above bit 11 before the
 * first zero gives the size, so 2^k pages = (k-1) ones then a zero at 11+k.
 */
export function encodePasidDevIotlb(r: PasidDevIotlbRequest): QiDescriptor {
  const pfsid = r.pfsid & 0xffff;
  let addr = r.addr & PAGE_MASK;
  if (r.sizeOrder > 0) {
    const k = BigInt(r.sizeOrder);
    addr |= ((1n << k) - 1n) << 12n;
    addr &= ~(1n << (11n + k)) & PAGE_MASK;
  }
  return encodeQi(
    QI.PASID_DEVICE_TLB,
    {
      qdep: r.qdep & 0x1f,
      pfsidLo: pfsid & 0xf,
      sid: r.sid & 0xffff,
      pasid: r.pasid & 0xfffff,
      pfsidHi: pfsid >>> 4,
      s: r.sizeOrder > 0,
      addr,
    },
    4,
  ) as QiDescriptor4;
}

/** PASID-cache invalidation (type 0x7): G, DID, and the PASID shifted in unmasked (QI_PC_PASID). */
export function encodePasidCache(did: number, pasid: number, granularity: number): QiDescriptor {
  return encodeQi(QI.PASID_CACHE, { g: granularity & 0x3, did: did & 0xffff, pasid: pasid >>> 0 }, 4, [
    'pasid',
  ]) as QiDescriptor4;
}

/**
 * Invalidation wait (type 0x5) without status write (SW=0, IF=0): FN (fence), PD (page-request
 * drain), status data (unused without SW).
 */
export function encodeWait(fence: boolean, pageRequestDrain: boolean, statusData = 0): QiDescriptor {
  return encodeQi(
    QI.INVALIDATION_WAIT,
    { fn: fence, pd: pageRequestDrain, statusData: statusData >>> 0 },
    4,
  ) as QiDescriptor4;
}

/** ceil(log2(n)) for n >= 1 (the kernel's ilog2(roundup_pow_of_two(n))). */
function ceilLog2(n: bigint): number {
  return n <= 1n ? 0 : (n - 1n).toString(2).length;
}

/** Formats a descriptor for events: four "0x" + 16-digit strings. */
export function descriptorHex(d: readonly bigint[]): string[] {
  return d.map((q) => `0x${q.toString(16).padStart(16, '0')}`);
}
