/**
 * The v5.10 UAPI and VT-d driver constants this driver reads (reference/uapi.md §2.1, §5).
 * Named as in include/uapi/linux/iommu.h; the 64-bit bind flags as bigints.
 * Version-dependent values (IOMMU_SVA_VTD_GPASID_LAST, the VT-d argsz) come
 * from core/uapi/kernel-versions.ts.
 */

/** iommu_cache_invalidate_info.cache bits. */
export const IOMMU_CACHE_INV_TYPE = { IOTLB: 0x1, DEV_IOTLB: 0x2, PASID: 0x4, NR: 3 } as const;

/** enum iommu_inv_granularity. */
export const IOMMU_INV_GRANU = { DOMAIN: 0, PASID: 1, ADDR: 2, NR: 3 } as const;

export const IOMMU_INV_ADDR_FLAGS = { PASID: 0x1, ARCHID: 0x2, LEAF: 0x4 } as const;
export const IOMMU_INV_PASID_FLAGS = { PASID: 0x1, ARCHID: 0x2 } as const;

export const IOMMU_PASID_FORMAT_INTEL_VTD = 1;
export const IOMMU_SVA_GPASID_VAL = 0x1n;

/** iommu_gpasid_bind_data_vtd.flags (WPE exists from v5.13). */
export const IOMMU_SVA_VTD_GPASID = {
  SRE: 0x1n,
  EAFE: 0x2n,
  PCD: 0x4n,
  PWT: 0x8n,
  EMTE: 0x10n,
  CD: 0x20n,
  WPE: 0x40n,
  /** CD|EMTE|PCD|PWT: memory-type flags, all rejected by v5.10. */
  MTS_MASK: 0x3cn,
} as const;

export const IOMMU_FAULT_PAGE_REQ = 2;
export const IOMMU_FAULT_PERM = { READ: 0x1, WRITE: 0x2, EXEC: 0x4, PRIV: 0x8 } as const;
export const IOMMU_FAULT_PAGE_REQUEST = {
  PASID_VALID: 0x1,
  LAST_PAGE: 0x2,
  PRIV_DATA: 0x4,
  NEEDS_PASID: 0x8,
} as const;
export const IOMMU_PAGE_RESP = { SUCCESS: 0, INVALID: 1, FAILURE: 2 } as const;

/** VT-d driver limits (include/linux/intel-iommu.h, ioasid.h). */
export const PASID_MIN = 1;
export const PASID_MAX = 0x10_0000;
export const INVALID_IOASID = 0xffff_ffff;
export const VTD_PAGE_SHIFT = 12;
