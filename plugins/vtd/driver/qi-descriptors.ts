/**
 * Encoders of the 256-bit queued-invalidation descriptors the driver submits
 * (reference/vtd.md §5, reference/uapi.md §5.1). Each returns four qwords
 * [qw0, qw1, qw2, qw3] as bigints: UAPI calls are a cold path.
 */

export type QiDescriptor = readonly [bigint, bigint, bigint, bigint];

/** VT-d 6.5.2 descriptor types. */
export const QI_TYPE = {
  CONTEXT_CACHE: 0x1,
  IOTLB: 0x2,
  DEV_IOTLB: 0x3,
  IEC: 0x4,
  WAIT: 0x5,
  PASID_IOTLB: 0x6,
  PASID_CACHE: 0x7,
  PASID_DEV_IOTLB: 0x8,
  PAGE_GROUP_RESPONSE: 0x9,
} as const;

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
const U64 = (1n << 64n) - 1n;

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
  const pasid = BigInt(r.pasid >>> 0) << 32n;
  const did = BigInt(r.did & 0xffff) << 16n;
  if (r.npages === -1n) {
    return [BigInt(QI_TYPE.PASID_IOTLB) | (BigInt(QI_GRAN.NONG_PASID) << 4n) | did | pasid, 0n, 0n, 0n];
  }
  const am = BigInt(ceilLog2(r.npages) & 0x3f);
  const qw0 = BigInt(QI_TYPE.PASID_IOTLB) | (BigInt(QI_GRAN.PSI_PASID) << 4n) | did | pasid;
  const qw1 = (r.addr & PAGE_MASK) | (r.ih ? 1n << 6n : 0n) | am;
  return [qw0, qw1, 0n, 0n];
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
  const qw0 =
    BigInt(QI_TYPE.PASID_DEV_IOTLB) |
    (BigInt(r.qdep & 0x1f) << 4n) |
    (BigInt(pfsid & 0xf) << 12n) |
    (BigInt(r.sid & 0xffff) << 16n) |
    (BigInt(r.pasid & 0xfffff) << 32n) |
    (BigInt(pfsid >>> 4) << 52n);
  let qw1 = r.addr & PAGE_MASK;
  if (r.sizeOrder > 0) {
    const k = BigInt(r.sizeOrder);
    qw1 |= ((1n << k) - 1n) << 12n;
    qw1 &= ~(1n << (11n + k)) & U64;
    qw1 |= 1n << 11n;
  }
  return [qw0, qw1, 0n, 0n];
}

/** PASID-cache invalidation (type 0x7): qw0 = type | G<<4 | DID<<16 | PASID<<32. */
export function encodePasidCache(did: number, pasid: number, granularity: number): QiDescriptor {
  const qw0 =
    BigInt(QI_TYPE.PASID_CACHE) |
    (BigInt(granularity & 0x3) << 4n) |
    (BigInt(did & 0xffff) << 16n) |
    (BigInt(pasid >>> 0) << 32n);
  return [qw0, 0n, 0n, 0n];
}

/**
 * Invalidation wait (type 0x5) without status write (SW=0, IF=0): FN bit 6,
 * PD bit 7 (page-request drain), status data 63:32 (unused without SW).
 */
export function encodeWait(fence: boolean, pageRequestDrain: boolean, statusData = 0): QiDescriptor {
  const qw0 =
    BigInt(QI_TYPE.WAIT) |
    (fence ? 1n << 6n : 0n) |
    (pageRequestDrain ? 1n << 7n : 0n) |
    (BigInt(statusData >>> 0) << 32n);
  return [qw0, 0n, 0n, 0n];
}

/** ceil(log2(n)) for n >= 1 (the kernel's ilog2(roundup_pow_of_two(n))). */
function ceilLog2(n: bigint): number {
  return n <= 1n ? 0 : (n - 1n).toString(2).length;
}

/** Formats a descriptor for events: four "0x" + 16-digit strings. */
export function descriptorHex(d: readonly bigint[]): string[] {
  return d.map((q) => `0x${q.toString(16).padStart(16, '0')}`);
}
