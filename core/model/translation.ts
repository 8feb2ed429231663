/**
 * The hot-path types of a DMA translation: a caller-owned request and result
 * whose fields are all set in the constructor (one hidden class), so that
 * translate() allocates nothing. 64-bit addresses travel as a 4 KiB page
 * number (exact below 2^52) plus a 12-bit offset, never as one byte address.
 */

/** Access bits of a DMA request; the same values as IOMMU_FAULT_PERM_*. */
export const ACCESS = { READ: 1, WRITE: 2, EXEC: 4, PRIV: 8 } as const;

/** "No PASID" (a request without PASID / substream id). */
export const NO_PASID = -1;

/**
 * Architecture-neutral fault kinds, so the three architectures can be compared.
 * 0 means the translation succeeded. Each plugin keeps its own code in `archCode`.
 */
export const FAULT_KIND = {
  OK: 0,
  /** A table entry on the walk (or the leaf) was not present / not valid. */
  TRANSLATION: 1,
  /** Present, but the access is not permitted (R/W/X/U/S). */
  PERMISSION: 2,
  /** Address beyond the configured input or output width. */
  ADDRESS_SIZE: 3,
  /** Access flag not set where the architecture faults on it (SMMUv3 AFFD=0). */
  ACCESS_FLAG: 4,
  /** A root/context/STE/CD/DTE entry is invalid or has reserved bits set. */
  BAD_CONFIG: 5,
  /** PASID missing, out of range, or its entry not present. */
  BAD_PASID: 6,
  /** A table fetch hit memory that is not backed (external abort). */
  WALK_ABORT: 7,
  /** The configuration blocks the request (translation disabled, abort mode). */
  BLOCKED: 8,
  /** Reserved bits set in a page-table entry. */
  RESERVED_BITS: 9,
  /** A request the model does not cover; the event says what. */
  NOT_MODELLED: 10,
} as const;
export type FaultKind = (typeof FAULT_KIND)[keyof typeof FAULT_KIND];

/** Names of fault kinds, indexed by code, for reports. */
export const FAULT_KIND_NAME: readonly string[] = Object.keys(FAULT_KIND);

export class TranslationRequest {
  /** Requester id: PCI bus<<8|devfn (VT-d, AMD-Vi) or StreamID (SMMUv3). */
  sid = 0;
  /** PASID / SubstreamID, or NO_PASID. */
  pasid = NO_PASID;
  /** Input address >> 12 (IOVA or guest VA). */
  iovaPfn = 0;
  /** Input address & 0xfff. */
  offset = 0;
  /** ACCESS bits requested. */
  access = 0;
  /** ATS translation request from a device-TLB (VT-d DT, SMMUv3/AMD ATS). */
  ats = false;
}

export class TranslationResult {
  /** Output (host physical) address >> 12. */
  outPfn = 0;
  /** Output address & 0xfff (equals the request's offset). */
  offset = 0;
  /** log2 of the size of the page that mapped the input (12, 21, 30, ...). */
  pageShift = 12;
  /** ACCESS bits the final mapping permits. */
  perm = 0;
  /** FAULT_KIND; 0 when the translation succeeded. */
  kind = 0;
  /** The architecture's own fault code (VT-d fault reason, SMMUv3 event id, AMD-Vi event code). */
  archCode = 0;
  /** True when the result came from a translation cache without a walk. */
  hit = false;
  /** Memory reads this translation made (table fetches). */
  memReads = 0;

  reset(): void {
    this.outPfn = 0;
    this.offset = 0;
    this.pageShift = 12;
    this.perm = 0;
    this.kind = 0;
    this.archCode = 0;
    this.hit = false;
    this.memReads = 0;
  }
}
