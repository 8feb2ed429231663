/**
 * Constants and shapes of the SMMUv3 nested-stage UAPI as proposed upstream
 * and NEVER MERGED into mainline (Eric Auger's "SMMUv3 nested stage" series,
 * v13-v15 and RFC v16; reference C.2, C.3, C.5). Only the 'proposed' profile
 * uses them.
 *
 * The series passed an `iommu_pasid_table_config` to a separate
 * attach_pasid_table op. The simulator's core has one bind entry point
 * (iommu_uapi_sva_bind_gpasid), so the proposed profile also accepts a bind
 * with format IOMMU_PASID_FORMAT_SMMUV3_SIM = 2, read as "attach the guest CD
 * table at gpgd, config TRANSLATE". That number is this simulator's choice in
 * the bind-format namespace (VT-d is 1; the series' own SMMUV3 format was 1 in
 * a separate struct), and it needs a core whose IOMMU_PASID_FORMAT_LAST is 3:
 * the kernel profile 'v5.10-proposed'.
 */

/** Bind format for "attach a guest SMMUv3 CD table" through the bind-gpasid entry point (simulator's number). */
export const IOMMU_PASID_FORMAT_SMMUV3_SIM = 2;
/** IOMMU_PASID_FORMAT_LAST a core must have to accept it. */
export const REQUIRED_PASID_FORMAT_LAST = 3;

/** iommu_pasid_table_config (series) constants. */
export const PASID_TABLE_CFG_VERSION_1 = 1;
export const IOMMU_PASID_FORMAT_SMMUV3 = 1;
export const PASID_TABLE_SMMUV3_CFG_VERSION_1 = 1;
export const IOMMU_PASID_CONFIG = { TRANSLATE: 1, BYPASS: 2, ABORT: 3 } as const;
export type PasidConfigName = 'translate' | 'bypass' | 'abort';

/** The decoded iommu_pasid_table_config of the series (argsz, version, format, base_ptr, pasid_bits, config, vendor smmuv3). */
export interface IommuPasidTableConfig {
  readonly argsz: number;
  readonly version: number;
  readonly format: number;
  /** Guest physical address of the CD table (S1ContextPtr). */
  readonly basePtr: number;
  /** log2 of the number of CDs; the series supports only 0 (one CD). */
  readonly pasidBits: number;
  readonly config: number;
  readonly smmuv3: { readonly version: number; readonly s1fmt: number; readonly s1dss: number };
}

/** sizeof(struct iommu_pasid_table_config) in the series: argsz..config + padding + 16-byte vendor union. */
export const PASID_TABLE_CONFIG_SIZE = 40;
