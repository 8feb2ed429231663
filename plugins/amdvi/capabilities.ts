/** What an AMD-Vi unit models, per UAPI profile (reference smmuv3-amdvi.md D.2, D.3). */
import type { UnitCapabilities } from '../../core/plugin/contract.js';

/** Every limit of the model, each answered with an explicit event, event-log entry or errno. */
export const NOT_MODELLED: readonly string[] = [
  'guest translation: GCR3 tables, v2 page tables, GN translations (EFR.GTSup = 0; DTE.GV/GIoV -> ILLEGAL_DEV_TABLE_ENTRY; INVALIDATE_IOMMU_PAGES GN=1 -> ILLEGAL_COMMAND_ERROR; PASID-tagged UAPI invalidation -> ENOENT)',
  'peripheral page requests: PPR log, COMPLETE_PPR_REQUEST (EFR.PPRSup = 0; pageRequest -> ENODEV; DTE.PPR -> ILLEGAL_DEV_TABLE_ENTRY)',
  'ATS: device IOTLB and INVALIDATE_IOTLB_PAGES (ATS requests -> NOT_MODELLED or INVALID_DEVICE_REQUEST; the command -> ILLEGAL_COMMAND_ERROR)',
  'PREFETCH_IOMMU_PAGES (EFR.PreFSup = 0 -> ILLEGAL_COMMAND_ERROR)',
  'hardware access/dirty updates (DTE.HAD != 0 -> ILLEGAL_DEV_TABLE_ENTRY)',
  'exclusion range (EXCL_BASE.ExEn -> EOPNOTSUPP)',
  'interrupt remapping (DTE IV/IntCtl and the interrupt table are kept raw; INVALIDATE_INTERRUPT_TABLE has nothing to drop)',
  'NextLevel-7 page sizes outside (level size, 512 x level size] -> NOT_MODELLED',
  'page-directory cache (none is kept, so the PDE bit has nothing extra to drop)',
  'PTE reserved-bit checks, EXEC/PRIV permission checks on v1 tables, DTE.SE (only DTE.SA suppresses logging)',
  'event-log and command-buffer interrupts (only the STATUS bits are set)',
];

export function amdviCapabilities(profile: 'v5.10' | 'proposed', iotlbName: string): UnitCapabilities {
  return {
    arch: 'amdvi',
    profile,
    pasidBits: 0,
    // v5.10: the AMD driver had no cache_invalidate op. 'proposed': the C.3 mapping (see uapi.ts),
    // IOTLB PASID granularity by ARCHID only; PASID-tagged requests are refused.
    cacheInvalidation:
      profile === 'proposed'
        ? [
            { cache: 'iotlb', granularities: ['domain', 'pasid', 'addr'] },
            { cache: 'pasid', granularities: ['domain'] },
          ]
        : [],
    bindFormats: [],
    pageRequests: false,
    nested: false,
    ats: false,
    caches: [iotlbName, 'dte'],
    notModelled: NOT_MODELLED,
  };
}
