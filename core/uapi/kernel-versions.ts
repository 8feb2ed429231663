/**
 * Kernel versions as data (reference/uapi.md §1, §4). The core's checks read
 * these constants and nothing else, so choosing a version changes values, never
 * code paths. Sizes are derived from the layouts, not written again.
 */
import { offsetOf, offsetOfEnd } from './layout-dsl.js';
import { LAYOUTS } from './layouts.js';
import { UAPI } from './uapi-constants.js';

export type KernelName = 'v5.10' | 'v5.13' | 'v5.10-proposed';

export interface KernelVersion {
  readonly name: KernelName;
  /** false for profiles that model patches proposed upstream but never merged. */
  readonly mainline: boolean;
  readonly summary: string;

  // Sizes (§2.3), from the v5.10 layout.
  /** Bytes always copied first, before argsz is known: offsetof(granu). */
  readonly cacheInfoMinsz: number;
  /** Minimum argsz for PASID granularity: offsetofend(granu.pasid_info). */
  readonly cacheInfoArgszPasid: number;
  /** Minimum argsz for ADDR granularity: offsetofend(granu.addr_info). */
  readonly cacheInfoArgszAddr: number;
  /** sizeof(struct iommu_cache_invalidate_info): the most ever copied. */
  readonly cacheInfoSize: number;
  /** offsetof(vendor) in the bind data. */
  readonly bindMinsz: number;
  readonly bindSize: number;
  /** VT-d's own argsz requirement for the bind data: offsetofend(vendor.vtd) (§5.2 step 3). */
  readonly vtdBindArgsz: number;

  // Checks of the generic layer (§4.1 step 7, §4.2 step 4, §4.8 step 4).
  readonly IOMMU_CACHE_INVALIDATE_INFO_VERSION_1: number;
  /** (1 << IOMMU_CACHE_INV_TYPE_NR) - 1. */
  readonly cacheTypeMask: number;
  readonly IOMMU_INV_GRANU_NR: number;
  readonly invAddrFlagsMask: number;
  readonly invPasidFlagsMask: number;
  readonly IOMMU_GPASID_BIND_VERSION_1: number;
  readonly IOMMU_PASID_FORMAT_LAST: number;
  /** Flags allowed in iommu_gpasid_bind_data.flags. */
  readonly bindFlagsMask: bigint;
  /**
   * How many low bits of the bind flags the mask check sees. 64 with the stable
   * fix ("Fixes: d90573812eea", 64-bit mask); the original v5.10.0 saw only 32.
   */
  readonly bindFlagsCheckedBits: number;
  readonly IOMMU_PAGE_RESP_VERSION_1: number;
  readonly pageRespFlagsMask: number;

  // Vendor-side constants (VT-d, §5.2), here because they change with the kernel.
  /** IOMMU_SVA_VTD_GPASID_LAST: VT-d accepts vendor flags below it. */
  readonly IOMMU_SVA_VTD_GPASID_LAST: bigint;
  /** IOMMU_PASID_FORMAT_* names this kernel knows. */
  readonly pasidFormats: { readonly [format: number]: string };
  /**
   * The PRQ thread answers Invalid to privileged requests that read or write and to execute
   * requests that also read (v5.13, commit 78a523fe73b8; uapi.md §5.5).
   */
  readonly prqRejectsPrivAndExecRead: boolean;
}

const cacheLayout = LAYOUTS.iommu_cache_invalidate_info;
const bindLayout = LAYOUTS.iommu_gpasid_bind_data;

const V5_10: KernelVersion = {
  name: 'v5.10',
  mainline: true,
  summary: 'v5.10 with its stable fixes (64-bit bind flags mask); VT-d flag bits 0..5',
  cacheInfoMinsz: offsetOf(cacheLayout, 'granu'),
  cacheInfoArgszPasid: offsetOfEnd(cacheLayout, 'granu.pasid_info'),
  cacheInfoArgszAddr: offsetOfEnd(cacheLayout, 'granu.addr_info'),
  cacheInfoSize: cacheLayout.size,
  bindMinsz: offsetOf(bindLayout, 'vendor'),
  bindSize: bindLayout.size,
  vtdBindArgsz: offsetOfEnd(bindLayout, 'vendor.vtd'),
  IOMMU_CACHE_INVALIDATE_INFO_VERSION_1: UAPI.IOMMU_CACHE_INVALIDATE_INFO_VERSION_1,
  cacheTypeMask: (1 << UAPI.IOMMU_CACHE_INV_TYPE_NR) - 1,
  IOMMU_INV_GRANU_NR: UAPI.IOMMU_INV_GRANU_NR,
  invAddrFlagsMask:
    UAPI.IOMMU_INV_ADDR_FLAGS_PASID | UAPI.IOMMU_INV_ADDR_FLAGS_ARCHID | UAPI.IOMMU_INV_ADDR_FLAGS_LEAF,
  invPasidFlagsMask: UAPI.IOMMU_INV_PASID_FLAGS_PASID | UAPI.IOMMU_INV_PASID_FLAGS_ARCHID,
  IOMMU_GPASID_BIND_VERSION_1: UAPI.IOMMU_GPASID_BIND_VERSION_1,
  IOMMU_PASID_FORMAT_LAST: 2,
  bindFlagsMask: BigInt(UAPI.IOMMU_SVA_GPASID_VAL),
  bindFlagsCheckedBits: 64,
  IOMMU_PAGE_RESP_VERSION_1: UAPI.IOMMU_PAGE_RESP_VERSION_1,
  pageRespFlagsMask: UAPI.IOMMU_PAGE_RESP_PASID_VALID,
  IOMMU_SVA_VTD_GPASID_LAST: 0x40n,
  pasidFormats: { [UAPI.IOMMU_PASID_FORMAT_INTEL_VTD]: 'IOMMU_PASID_FORMAT_INTEL_VTD' },
  prqRejectsPrivAndExecRead: false,
};

/** The modelled kernels. */
export const KERNELS: Readonly<Record<KernelName, KernelVersion>> = {
  'v5.10': V5_10,
  // bb0f61533dfd: IOMMU_SVA_VTD_GPASID_WPE = 1<<6, LAST moves to 1<<7. No layout change.
  'v5.13': {
    ...V5_10,
    name: 'v5.13',
    summary:
      'v5.13: adds IOMMU_SVA_VTD_GPASID_WPE, VT-d flag bits 0..6; the PRQ thread rejects privileged R/W and execute+read requests',
    IOMMU_SVA_VTD_GPASID_LAST: 0x80n,
    prqRejectsPrivAndExecRead: true,
  },
  // Not mainline: the SMMUv3 plugin's opt-in profile, where a proposed
  // out-of-tree SMMUv3 PASID-table format takes value 2.
  'v5.10-proposed': {
    ...V5_10,
    name: 'v5.10-proposed',
    mainline: false,
    summary: 'NOT MAINLINE: v5.10 plus a proposed SMMUv3 bind format (2); IOMMU_PASID_FORMAT_LAST = 3',
    IOMMU_PASID_FORMAT_LAST: 3,
    pasidFormats: { ...V5_10.pasidFormats, 2: 'IOMMU_PASID_FORMAT_SMMUV3 (proposed, not mainline)' },
  },
};

export const KERNEL_NAMES = Object.keys(KERNELS) as KernelName[];

export function isKernelName(s: string): s is KernelName {
  return Object.hasOwn(KERNELS, s);
}
