/**
 * Decoded forms of the v5.10 IOMMU UAPI structs (include/uapi/linux/iommu.h).
 * __u8/__u32 fields are numbers, __u64 fields are bigints (exact), byte arrays
 * are Uint8Arrays. Offsets live once, in layouts.ts; these are only shapes.
 */

export interface IommuFaultUnrecoverable {
  reason: number;
  flags: number;
  pasid: number;
  perm: number;
  addr: bigint;
  fetch_addr: bigint;
}

export interface IommuFaultPageRequest {
  flags: number;
  pasid: number;
  grpid: number;
  perm: number;
  addr: bigint;
  private_data: [bigint, bigint];
}

/** struct iommu_fault (64 bytes, kernel to user). Exactly one of event/prm is meaningful, by type. */
export interface IommuFault {
  type: number;
  padding: number;
  event: IommuFaultUnrecoverable;
  prm: IommuFaultPageRequest;
  /** The whole 56-byte union as raw bytes: decode fills it; encode writes it (when given) before the member `type` selects. */
  padding2?: Uint8Array;
}

export interface IommuPageResponse {
  argsz: number;
  version: number;
  flags: number;
  pasid: number;
  grpid: number;
  code: number;
}

export interface IommuInvAddrInfo {
  flags: number;
  archid: number;
  pasid: bigint;
  addr: bigint;
  granule_size: bigint;
  nb_granules: bigint;
}

export interface IommuInvPasidInfo {
  flags: number;
  archid: number;
  pasid: bigint;
}

/** struct iommu_cache_invalidate_info: both union views are decoded from the same bytes. */
export interface IommuCacheInvalidateInfo {
  argsz: number;
  version: number;
  cache: number;
  granularity: number;
  padding: Uint8Array;
  granu: { pasid_info: IommuInvPasidInfo; addr_info: IommuInvAddrInfo };
}

export interface IommuGpasidBindDataVtd {
  flags: bigint;
  pat: number;
  emt: number;
}

export interface IommuGpasidBindData {
  argsz: number;
  version: number;
  format: number;
  addr_width: number;
  flags: bigint;
  gpgd: bigint;
  hpasid: bigint;
  gpasid: bigint;
  padding: Uint8Array;
  vendor: { vtd: IommuGpasidBindDataVtd };
}
