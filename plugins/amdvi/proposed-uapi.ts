/**
 * NOT MAINLINE. Constants and mappings of the 'proposed' profile: no AMD-Vi
 * implementation of the v5.10 guest-PASID UAPI was ever merged or posted, so
 * these follow the mapping implied by the Linux AMD driver's command builders
 * (reference smmuv3-amdvi.md C.3, C.4), labelled "proposed" everywhere.
 */
import { UAPI } from '../../core/uapi/uapi-constants.js';
import { AMDVI_EVENT, AMDVI_EVENT_FLAG } from './faults.js';

/**
 * Errno for UAPI requests the proposal cannot serve: DEV_IOTLB needs ATS, and
 * PASID-tagged requests need guest translation, both of which this model lacks
 * (D.3). ENOENT follows Eric Auger's SMMUv3 series, which answered the requests
 * it did not support (PASID-tagged IOTLB, DEV_IOTLB) the same way.
 */
export const PROPOSED_UNSUPPORTED_ERRNO = 'ENOENT' as const;

/** IOMMU fault reason for an AMD-Vi event (C.4, a proposal); undefined = not reported. */
export function proposedFaultReason(code: number, flags: number, addressSize: boolean): number | undefined {
  switch (code) {
    case AMDVI_EVENT.IO_PAGE_FAULT:
      // Interrupt requests (I flag) are not DMA faults and are not reported.
      if (flags & AMDVI_EVENT_FLAG.I) return undefined;
      if (addressSize) return UAPI.IOMMU_FAULT_REASON_OOR_ADDRESS;
      return flags & AMDVI_EVENT_FLAG.PR
        ? UAPI.IOMMU_FAULT_REASON_PERMISSION
        : UAPI.IOMMU_FAULT_REASON_PTE_FETCH;
    case AMDVI_EVENT.PAGE_TAB_HARDWARE_ERROR:
      return UAPI.IOMMU_FAULT_REASON_WALK_EABT;
    case AMDVI_EVENT.DEV_TAB_HARDWARE_ERROR:
    case AMDVI_EVENT.ILLEGAL_DEV_TABLE_ENTRY:
      // The DTE is host-owned: the guest learns only that something failed.
      return UAPI.IOMMU_FAULT_REASON_UNKNOWN;
    default:
      return undefined;
  }
}
