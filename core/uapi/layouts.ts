/**
 * The structs of include/uapi/linux/iommu.h as declarations (reference/uapi.md §2.2),
 * in two header versions: v5.10 (argsz era; identical up to the removal in v5.18)
 * and the pre-argsz v5.8 header (§2.4), so an old binary's bytes can be built.
 * Offsets are computed by layout-dsl.ts, never written here.
 */
import {
  bytes,
  type FieldSpec,
  type Layout,
  resolveLayout,
  type StructSpec,
  struct,
  u8,
  u32,
  u64,
  u64array,
  union,
} from './layout-dsl.js';

// Values of the fields that choose a union member (uapi.md §2.1); kept local so
// that this file depends on nothing but the DSL.
const FAULT_DMA_UNRECOV = 1;
const FAULT_PAGE_REQ = 2;
const INV_GRANU_PASID = 1;

const faultUnrecoverable: StructSpec = {
  name: 'iommu_fault_unrecoverable',
  fields: [u32('reason'), u32('flags'), u32('pasid'), u32('perm'), u64('addr'), u64('fetch_addr')],
};

const faultPageRequest: StructSpec = {
  name: 'iommu_fault_page_request',
  fields: [u32('flags'), u32('pasid'), u32('grpid'), u32('perm'), u64('addr'), u64array('private_data', 2)],
};

const fault: StructSpec = {
  name: 'iommu_fault',
  fields: [
    u32('type'),
    u32('padding'),
    union(
      null,
      [struct('event', faultUnrecoverable), struct('prm', faultPageRequest), bytes('padding2', 56)],
      { by: 'type', cases: { [FAULT_DMA_UNRECOV]: 'event', [FAULT_PAGE_REQ]: 'prm' }, otherwise: 'padding2' },
    ),
  ],
};

const pageResponseFields: readonly FieldSpec[] = [
  u32('version'),
  u32('flags'),
  u32('pasid'),
  u32('grpid'),
  u32('code'),
];

const pageResponse: StructSpec = {
  name: 'iommu_page_response',
  fields: [u32('argsz'), ...pageResponseFields],
};

const invAddrInfo: StructSpec = {
  name: 'iommu_inv_addr_info',
  fields: [u32('flags'), u32('archid'), u64('pasid'), u64('addr'), u64('granule_size'), u64('nb_granules')],
};

const invPasidInfo: StructSpec = {
  name: 'iommu_inv_pasid_info',
  fields: [u32('flags'), u32('archid'), u64('pasid')],
};

/** Writes pasid_info last only for PASID granularity, so its zeroed tail does not hide addr_info. */
const granuSelect = { by: 'granularity', cases: { [INV_GRANU_PASID]: 'pasid_info' }, otherwise: 'addr_info' };

const cacheInvalidateInfo: StructSpec = {
  name: 'iommu_cache_invalidate_info',
  fields: [
    u32('argsz'),
    u32('version'),
    u8('cache'),
    u8('granularity'),
    bytes('padding', 6),
    union('granu', [struct('pasid_info', invPasidInfo), struct('addr_info', invAddrInfo)], granuSelect),
  ],
};

const gpasidBindDataVtd: StructSpec = {
  name: 'iommu_gpasid_bind_data_vtd',
  fields: [u64('flags'), u32('pat'), u32('emt')],
};

const vtdSelect = { by: 'format', cases: {}, otherwise: 'vtd' };

const gpasidBindData: StructSpec = {
  name: 'iommu_gpasid_bind_data',
  fields: [
    u32('argsz'),
    u32('version'),
    u32('format'),
    u32('addr_width'),
    u64('flags'),
    u64('gpgd'),
    u64('hpasid'),
    u64('gpasid'),
    bytes('padding', 8),
    union('vendor', [struct('vtd', gpasidBindDataVtd)], vtdSelect),
  ],
};

/** The nine struct and union-holding types of the v5.10 header, in header order. */
export const LAYOUT_NAMES = [
  'iommu_fault_unrecoverable',
  'iommu_fault_page_request',
  'iommu_fault',
  'iommu_page_response',
  'iommu_inv_addr_info',
  'iommu_inv_pasid_info',
  'iommu_cache_invalidate_info',
  'iommu_gpasid_bind_data_vtd',
  'iommu_gpasid_bind_data',
] as const;

export type LayoutName = (typeof LAYOUT_NAMES)[number];

const V5_10_SPECS: Record<LayoutName, StructSpec> = {
  iommu_fault_unrecoverable: faultUnrecoverable,
  iommu_fault_page_request: faultPageRequest,
  iommu_fault: fault,
  iommu_page_response: pageResponse,
  iommu_inv_addr_info: invAddrInfo,
  iommu_inv_pasid_info: invPasidInfo,
  iommu_cache_invalidate_info: cacheInvalidateInfo,
  iommu_gpasid_bind_data_vtd: gpasidBindDataVtd,
  iommu_gpasid_bind_data: gpasidBindData,
};

/** v5.10 layouts by struct name. */
export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = Object.fromEntries(
  LAYOUT_NAMES.map((n) => [n, resolveLayout(V5_10_SPECS[n])]),
) as Record<LayoutName, Layout>;

// Pre-argsz header (torvalds @ 1bdd3e05, uapi.md §2.4): no argsz, anonymous unions,
// cache-info padding[2], bind data with addr_width after gpasid and padding[12].
const LEGACY_NAMES = [
  'iommu_page_response',
  'iommu_cache_invalidate_info',
  'iommu_gpasid_bind_data',
] as const;

/** The three user-filled structs whose layout the argsz series changed. */
export type LegacyLayoutName = (typeof LEGACY_NAMES)[number];

const V5_8_SPECS: Record<LegacyLayoutName, StructSpec> = {
  iommu_page_response: { name: 'iommu_page_response', fields: pageResponseFields },
  iommu_cache_invalidate_info: {
    name: 'iommu_cache_invalidate_info',
    fields: [
      u32('version'),
      u8('cache'),
      u8('granularity'),
      bytes('padding', 2),
      union(null, [struct('pasid_info', invPasidInfo), struct('addr_info', invAddrInfo)], granuSelect),
    ],
  },
  iommu_gpasid_bind_data: {
    name: 'iommu_gpasid_bind_data',
    fields: [
      u32('version'),
      u32('format'),
      u64('flags'),
      u64('gpgd'),
      u64('hpasid'),
      u64('gpasid'),
      u32('addr_width'),
      bytes('padding', 12),
      union(null, [struct('vtd', gpasidBindDataVtd)], vtdSelect),
    ],
  },
};

/** v5.8 (pre-argsz) layouts of the three structs that changed. */
export const LEGACY_LAYOUTS: Readonly<Record<LegacyLayoutName, Layout>> = Object.fromEntries(
  LEGACY_NAMES.map((n) => [n, resolveLayout(V5_8_SPECS[n])]),
) as Record<LegacyLayoutName, Layout>;

/** Header versions a user binary can have been compiled against. */
export const HEADERS = {
  'v5.10': LAYOUTS as Readonly<Record<string, Layout>>,
  'v5.8': LEGACY_LAYOUTS as Readonly<Record<string, Layout>>,
} as const;

export type HeaderVersion = keyof typeof HEADERS;

export function isLayoutName(s: string): s is LayoutName {
  return (LAYOUT_NAMES as readonly string[]).includes(s);
}
