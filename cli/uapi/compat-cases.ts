/**
 * The four compatibility cases of Documentation/userspace-api/iommu.rst
 * (reference/uapi.md §3), each run through the IOMMU core for real. Where a
 * case turns on vendor flags, a stand-in vendor applies VT-d's first bind
 * checks (uapi.md §5.2 steps 2–4) with the kernel's constants; it is labelled so.
 */
import { encode, encodeLayout, fromJson, layoutFromJson } from '../../core/uapi/codec.js';
import { ERRNO, type UapiResult } from '../../core/uapi/errno.js';
import {
  ACCEPT_ALL_OPS,
  iommuUapiCacheInvalidate,
  iommuUapiSvaBindGpasid,
  type UapiTarget,
} from '../../core/uapi/iommu-core.js';
import { KERNELS, type KernelName, type KernelVersion } from '../../core/uapi/kernel-versions.js';
import { LEGACY_LAYOUTS } from '../../core/uapi/layouts.js';
import { UAPI } from '../../core/uapi/uapi-constants.js';
import { UserMemory } from '../../core/uapi/user-memory.js';
import type { VendorOps } from '../../core/uapi/vendor-ops.js';
import { cliCall } from './cli-call.js';

export interface CompatCase {
  readonly case: 1 | 2 | 3 | 4;
  readonly situation: string;
  readonly scenario: string;
  readonly call: 'cache-invalidate' | 'bind-gpasid';
  readonly kernel: KernelName;
  readonly vendor: 'accept-all' | 'vtd-like stand-in';
  readonly argsz: number;
  readonly readable: number;
  readonly ok: boolean;
  readonly errno: string | null;
  readonly errnoNumber: number | null;
  readonly copied: number | null;
  readonly detail: string | null;
}

const UPTR = 0x20000;
const call = cliCall('demo');

/** VT-d's first bind checks (§5.2 steps 2–4) with this kernel's constants; everything else accepted. */
function vtdLikeOps(k: KernelVersion): VendorOps {
  return {
    ...ACCEPT_ALL_OPS,
    bindGpasid: (_c, d) => {
      if (d.format !== UAPI.IOMMU_PASID_FORMAT_INTEL_VTD) return 'EINVAL';
      if (d.argsz < k.vtdBindArgsz) return 'EINVAL';
      if (d.vendor.vtd.flags & ~(k.IOMMU_SVA_VTD_GPASID_LAST - 1n)) return 'EINVAL';
      return 0;
    },
  };
}

/** A user buffer of `len` bytes starting with `struct`, argsz overwritten, the first `readable` mapped. */
function userBuffer(struct: Uint8Array, argsz: number | null, len: number, readable = len): UserMemory {
  const b = new Uint8Array(Math.max(len, struct.length));
  b.set(struct);
  if (argsz !== null) new DataView(b.buffer).setUint32(0, argsz, true);
  const m = new UserMemory();
  m.map(UPTR, b.subarray(0, readable));
  return m;
}

const ADDR_INV = {
  version: 1,
  cache: UAPI.IOMMU_CACHE_INV_TYPE_IOTLB,
  granularity: UAPI.IOMMU_INV_GRANU_ADDR,
  granu: { addr_info: { flags: 1, pasid: 5, addr: '0x7f0000001000', granule_size: 4096, nb_granules: 1 } },
};
const PASID_INV = {
  version: 1,
  cache: UAPI.IOMMU_CACHE_INV_TYPE_IOTLB,
  granularity: UAPI.IOMMU_INV_GRANU_PASID,
  granu: { pasid_info: { flags: 1, pasid: 5 } },
};
const BIND = { version: 1, format: 1, addr_width: 48, flags: 1, gpgd: '0x1000', hpasid: 5, gpasid: 5 };

const inv = (json: object) =>
  encode('iommu_cache_invalidate_info', fromJson('iommu_cache_invalidate_info', json));
const bind = (json: object) => encode('iommu_gpasid_bind_data', fromJson('iommu_gpasid_bind_data', json));

interface Spec {
  case: CompatCase['case'];
  situation: string;
  scenario: string;
  call: CompatCase['call'];
  kernel?: KernelName;
  vtd?: boolean;
  bytes: Uint8Array;
  argsz: number | null;
  len: number;
  readable?: number;
}

const SITUATIONS = {
  1: 'user header size == kernel size',
  2: 'old user space (smaller struct) on a new kernel',
  3: 'new user space (bigger struct) on an old kernel',
  4: 'misbehaving user space',
} as const;

function specs(): Spec[] {
  // The same ADDR invalidation as a v5.8 binary lays it out: no argsz, anonymous union at 8.
  const { granu, ...head } = ADDR_INV;
  const legacyLayout = LEGACY_LAYOUTS.iommu_cache_invalidate_info;
  const legacyInv = encodeLayout(legacyLayout, layoutFromJson(legacyLayout, { ...head, ...granu }));
  return [
    {
      case: 1,
      situation: SITUATIONS[1],
      scenario: 'ADDR invalidation, argsz 56',
      call: 'cache-invalidate',
      bytes: inv(ADDR_INV),
      argsz: 56,
      len: 56,
    },
    {
      case: 1,
      situation: SITUATIONS[1],
      scenario: 'VT-d bind, argsz 72',
      call: 'bind-gpasid',
      vtd: true,
      bytes: bind(BIND),
      argsz: 72,
      len: 72,
    },
    {
      case: 2,
      situation: SITUATIONS[2],
      scenario:
        'header whose union held only pasid_info: argsz 32, PASID granularity; kernel zero-fills the rest',
      call: 'cache-invalidate',
      bytes: inv(PASID_INV),
      argsz: 32,
      len: 32,
    },
    {
      case: 2,
      situation: SITUATIONS[2],
      scenario: 'pre-argsz v5.8 binary: its version (1) is read as argsz (not a supported case)',
      call: 'cache-invalidate',
      bytes: legacyInv,
      argsz: null,
      len: legacyInv.length,
    },
    {
      case: 3,
      situation: SITUATIONS[3],
      scenario: 'struct grew to 64 bytes, only old flags used: kernel reads 56, ignores the tail',
      call: 'cache-invalidate',
      bytes: inv(ADDR_INV),
      argsz: 64,
      len: 64,
    },
    {
      case: 3,
      situation: SITUATIONS[3],
      scenario: 'bind struct grew to 80 bytes and sets a new generic flag (bit 1)',
      call: 'bind-gpasid',
      vtd: true,
      bytes: bind({ ...BIND, flags: 3 }),
      argsz: 80,
      len: 80,
    },
    {
      case: 3,
      situation: SITUATIONS[3],
      scenario: 'a new meaning for padding[0] (non-zero) on a kernel that predates it',
      call: 'cache-invalidate',
      bytes: inv({ ...ADDR_INV, padding: '010000000000' }),
      argsz: 56,
      len: 56,
    },
    {
      case: 3,
      situation: SITUATIONS[3],
      scenario: 'v5.13 user sets IOMMU_SVA_VTD_GPASID_WPE on v5.10',
      call: 'bind-gpasid',
      vtd: true,
      bytes: bind({ ...BIND, vendor: { vtd: { flags: UAPI.IOMMU_SVA_VTD_GPASID_WPE } } }),
      argsz: 72,
      len: 72,
    },
    {
      case: 3,
      situation: SITUATIONS[3],
      scenario: 'the same WPE bind on v5.13, which knows the flag',
      call: 'bind-gpasid',
      kernel: 'v5.13',
      vtd: true,
      bytes: bind({ ...BIND, vendor: { vtd: { flags: UAPI.IOMMU_SVA_VTD_GPASID_WPE } } }),
      argsz: 72,
      len: 72,
    },
    {
      case: 4,
      situation: SITUATIONS[4],
      scenario: 'argsz too small for PASID granularity (24)',
      call: 'cache-invalidate',
      bytes: inv(PASID_INV),
      argsz: 24,
      len: 56,
    },
    {
      case: 4,
      situation: SITUATIONS[4],
      scenario: 'argsz 56 claims more than the 32 mapped bytes',
      call: 'cache-invalidate',
      bytes: inv(PASID_INV),
      argsz: 56,
      len: 56,
      readable: 32,
    },
    {
      case: 4,
      situation: SITUATIONS[4],
      scenario: 'garbage version (7)',
      call: 'cache-invalidate',
      bytes: inv({ ...ADDR_INV, version: 7 }),
      argsz: 56,
      len: 56,
    },
    {
      case: 4,
      situation: SITUATIONS[4],
      scenario: 'garbage that passes the core (format 0): the vendor refuses it',
      call: 'bind-gpasid',
      vtd: true,
      bytes: bind({ ...BIND, format: 0 }),
      argsz: 72,
      len: 72,
    },
  ];
}

function run(s: Spec): CompatCase {
  const kernel = s.kernel ?? 'v5.10';
  const k = KERNELS[kernel];
  const user = userBuffer(s.bytes, s.argsz, s.len, s.readable);
  const t: UapiTarget = { ops: s.vtd ? vtdLikeOps(k) : ACCEPT_ALL_OPS, call };
  const r: UapiResult<{ copied: number }> =
    s.call === 'cache-invalidate'
      ? iommuUapiCacheInvalidate(k, user, UPTR, t)
      : iommuUapiSvaBindGpasid(k, user, UPTR, t);
  const argsz = new DataView(s.bytes.buffer, s.bytes.byteOffset).getUint32(0, true);
  return {
    case: s.case,
    situation: s.situation,
    scenario: s.scenario,
    call: s.call,
    kernel,
    vendor: s.vtd ? 'vtd-like stand-in' : 'accept-all',
    argsz: s.argsz ?? argsz,
    readable: s.readable ?? s.len,
    ok: r.ok,
    errno: r.ok ? null : r.errno,
    errnoNumber: r.ok ? null : ERRNO[r.errno],
    copied: r.ok ? r.value.copied : null,
    detail: r.ok ? null : r.detail,
  };
}

/** Runs every case, in the documentation's order. */
export function compatCases(): CompatCase[] {
  return specs().map(run);
}
