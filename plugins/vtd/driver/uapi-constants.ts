/**
 * The UAPI constants the driver reads, grouped for the driver and taken from
 * the core's table (core/uapi/uapi-constants.ts) so each value is written
 * once; the 64-bit bind flags as bigints. Version-dependent values
 * (IOMMU_SVA_VTD_GPASID_LAST, the VT-d argsz) come from core/uapi/kernel-versions.ts.
 */
import { UAPI } from '../../../core/uapi/uapi-constants.js';

export const IOMMU_INV_GRANU = {
  DOMAIN: UAPI.IOMMU_INV_GRANU_DOMAIN,
  PASID: UAPI.IOMMU_INV_GRANU_PASID,
  ADDR: UAPI.IOMMU_INV_GRANU_ADDR,
} as const;

export const IOMMU_INV_ADDR_FLAGS = {
  PASID: UAPI.IOMMU_INV_ADDR_FLAGS_PASID,
  LEAF: UAPI.IOMMU_INV_ADDR_FLAGS_LEAF,
} as const;
export const IOMMU_INV_PASID_FLAGS = { PASID: UAPI.IOMMU_INV_PASID_FLAGS_PASID } as const;

export const IOMMU_PASID_FORMAT_INTEL_VTD = UAPI.IOMMU_PASID_FORMAT_INTEL_VTD;
export const IOMMU_SVA_GPASID_VAL = BigInt(UAPI.IOMMU_SVA_GPASID_VAL);

/** iommu_gpasid_bind_data_vtd.flags (WPE exists from v5.13). */
export const IOMMU_SVA_VTD_GPASID = {
  SRE: BigInt(UAPI.IOMMU_SVA_VTD_GPASID_SRE),
  EAFE: BigInt(UAPI.IOMMU_SVA_VTD_GPASID_EAFE),
  WPE: BigInt(UAPI.IOMMU_SVA_VTD_GPASID_WPE),
  /** CD|EMTE|PCD|PWT: memory-type flags, all rejected by v5.10. */
  MTS_MASK: BigInt(UAPI.IOMMU_SVA_VTD_GPASID_MTS_MASK),
} as const;

export const IOMMU_FAULT_PAGE_REQ = UAPI.IOMMU_FAULT_PAGE_REQ;
export const IOMMU_FAULT_PERM = {
  READ: UAPI.IOMMU_FAULT_PERM_READ,
  WRITE: UAPI.IOMMU_FAULT_PERM_WRITE,
  EXEC: UAPI.IOMMU_FAULT_PERM_EXEC,
  PRIV: UAPI.IOMMU_FAULT_PERM_PRIV,
} as const;
export const IOMMU_FAULT_PAGE_REQUEST = {
  PASID_VALID: UAPI.IOMMU_FAULT_PAGE_REQUEST_PASID_VALID,
  LAST_PAGE: UAPI.IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
  PRIV_DATA: UAPI.IOMMU_FAULT_PAGE_REQUEST_PRIV_DATA,
  NEEDS_PASID: UAPI.IOMMU_FAULT_PAGE_RESPONSE_NEEDS_PASID,
} as const;
export const IOMMU_PAGE_RESP_FAILURE = UAPI.IOMMU_PAGE_RESP_FAILURE;

/** VT-d driver limits (include/linux/intel-iommu.h, ioasid.h). */
export const PASID_MIN = 1;
export const PASID_MAX = 0x10_0000;
export const INVALID_IOASID = 0xffff_ffff;
