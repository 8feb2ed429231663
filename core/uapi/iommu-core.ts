/**
 * The generic IOMMU layer's UAPI entry points (drivers/iommu/iommu.c, v5.10),
 * with the copies, checks, order and errno of reference/uapi.md §4.1–§4.5.
 * Every function returns a UapiResult; nothing throws for user input. A core
 * failure's detail names the check; a vendor failure's detail says so.
 *
 * Each entry point has a *Traced twin that also reports how many bytes were
 * copied from user memory and the kernel-side struct as far as it was filled
 * (what `viommu uapi check` prints, even for a failed call).
 */
import { hex } from '../model/hex.js';
import { decode } from './codec.js';
import { type ErrnoCode, fail, ok, type UapiResult } from './errno.js';
import type { KernelVersion } from './kernel-versions.js';
import type { IommuCacheInvalidateInfo, IommuGpasidBindData } from './structs.js';
import { UAPI } from './uapi-constants.js';
import type { UserMemory } from './user-memory.js';
import type { VendorCall, VendorOps } from './vendor-ops.js';

/** Where a UAPI call goes: the device's domain ops and the call context. */
export interface UapiTarget {
  readonly ops: VendorOps;
  readonly call: VendorCall;
}

/** A core call with what it copied. `struct` is null when the first copy faulted or it never ran. */
export interface CoreTrace<T, S> {
  readonly result: UapiResult<T>;
  readonly copied: number;
  readonly struct: S | null;
}

/** Vendor ops that accept everything: runs the core's copies and checks alone. */
export const ACCEPT_ALL_OPS: VendorOps = {
  cacheInvalidate: () => 0,
  bindGpasid: () => 0,
  unbindGpasid: () => 0,
  pageResponse: () => 0,
};

function vendorResult<T>(op: string, r: ErrnoCode, value: T): UapiResult<T> {
  return r === 0 ? ok(value) : fail(r, `vendor ${op} returned ${r}`);
}

/**
 * The two-step copy both user structs use (§4.1 steps 2–6, §4.2 steps 1–3):
 * minsz bytes first, then argsz checks, then min(argsz, size) - minsz more.
 * `argszFloor` gets the struct decoded after the first copy and returns the
 * minimum argsz its content requires and the check's name, or null.
 */
function copyInTwoSteps<S extends { argsz: number }>(
  user: UserMemory,
  uptr: number,
  minsz: number,
  size: number,
  decodeK: (kbuf: Uint8Array) => S,
  argszFloor: (head: S) => { need: number; what: string } | null,
):
  | { errno: 'EFAULT' | 'EINVAL'; detail: string; copied: number; struct: S | null }
  | { copied: number; struct: S } {
  const kbuf = new Uint8Array(size); // kernel copies start zeroed
  const head = user.copyFromUser(uptr, minsz);
  if (head === 'EFAULT') {
    const detail = `copy_from_user of the first ${minsz} bytes at ${hex(uptr)} faulted (argsz not read yet)`;
    return { errno: 'EFAULT', detail, copied: 0, struct: null };
  }
  kbuf.set(head);
  const k1 = decodeK(kbuf);
  const argsz = k1.argsz;
  if (argsz < minsz) {
    return { errno: 'EINVAL', detail: `argsz ${argsz} < ${minsz} (minimum size)`, copied: minsz, struct: k1 };
  }
  const floor = argszFloor(k1);
  if (floor && argsz < floor.need) {
    const detail = `argsz ${argsz} < ${floor.need} required for ${floor.what}`;
    return { errno: 'EINVAL', detail, copied: minsz, struct: k1 };
  }
  const rest = Math.min(argsz, size) - minsz;
  const tail = user.copyFromUser(uptr + minsz, rest);
  if (tail === 'EFAULT') {
    const detail = `copy_from_user of ${rest} more bytes at ${hex(uptr + minsz)} faulted (argsz ${argsz})`;
    return { errno: 'EFAULT', detail, copied: minsz, struct: k1 };
  }
  kbuf.set(tail, minsz);
  return { copied: minsz + rest, struct: decodeK(kbuf) };
}

const decodeCacheInfo = (b: Uint8Array) => decode('iommu_cache_invalidate_info', b);
const decodeBindData = (b: Uint8Array) => decode('iommu_gpasid_bind_data', b);

function firstNonZero(b: Uint8Array): number {
  return b.findIndex((x) => x !== 0);
}

/** iommu_check_cache_invl_data (§4.1 step 7): the first failing check's description, or null. */
function checkCacheInfo(k: KernelVersion, info: IommuCacheInvalidateInfo): string | null {
  if (info.version !== k.IOMMU_CACHE_INVALIDATE_INFO_VERSION_1) {
    return `version ${info.version} != IOMMU_CACHE_INVALIDATE_INFO_VERSION_1 (${k.IOMMU_CACHE_INVALIDATE_INFO_VERSION_1})`;
  }
  if (info.cache & ~k.cacheTypeMask)
    return `cache ${hex(info.cache)} has bits outside ${hex(k.cacheTypeMask)}`;
  if (info.granularity >= k.IOMMU_INV_GRANU_NR) {
    return `granularity ${info.granularity} >= IOMMU_INV_GRANU_NR (${k.IOMMU_INV_GRANU_NR})`;
  }
  switch (info.granularity) {
    case UAPI.IOMMU_INV_GRANU_ADDR: {
      if (info.cache & UAPI.IOMMU_CACHE_INV_TYPE_PASID) return 'ADDR granularity with the PASID-cache bit';
      const f = info.granu.addr_info.flags;
      if (f & ~k.invAddrFlagsMask)
        return `addr_info.flags ${hex(f)} has bits outside ${hex(k.invAddrFlagsMask)}`;
      break;
    }
    case UAPI.IOMMU_INV_GRANU_PASID: {
      const f = info.granu.pasid_info.flags;
      if (f & ~k.invPasidFlagsMask)
        return `pasid_info.flags ${hex(f)} has bits outside ${hex(k.invPasidFlagsMask)}`;
      break;
    }
    case UAPI.IOMMU_INV_GRANU_DOMAIN:
      if (info.cache & UAPI.IOMMU_CACHE_INV_TYPE_DEV_IOTLB)
        return 'DOMAIN granularity with the DEV_IOTLB bit';
      break;
  }
  const p = firstNonZero(info.padding);
  return p >= 0 ? `padding[${p}] is ${hex(info.padding[p])}, must be zero` : null;
}

/** iommu_uapi_cache_invalidate with its trace. Errno: ENODEV, EFAULT, EINVAL, or the vendor's. */
export function cacheInvalidateTraced(
  k: KernelVersion,
  user: UserMemory,
  uptr: number,
  t: UapiTarget,
): CoreTrace<{ info: IommuCacheInvalidateInfo; copied: number }, IommuCacheInvalidateInfo> {
  if (!t.ops.cacheInvalidate)
    return { result: fail('ENODEV', 'no cache_invalidate op'), copied: 0, struct: null };
  const c = copyInTwoSteps(user, uptr, k.cacheInfoMinsz, k.cacheInfoSize, decodeCacheInfo, (head) => {
    if (head.granularity === UAPI.IOMMU_INV_GRANU_PASID)
      return { need: k.cacheInfoArgszPasid, what: 'PASID granularity' };
    if (head.granularity === UAPI.IOMMU_INV_GRANU_ADDR)
      return { need: k.cacheInfoArgszAddr, what: 'ADDR granularity' };
    return null; // DOMAIN or an out-of-range value: argsz >= minsz is enough here
  });
  if ('errno' in c) return { result: fail(c.errno, c.detail), copied: c.copied, struct: c.struct };
  const info = c.struct;
  const bad = checkCacheInfo(k, info);
  if (bad) return { result: fail('EINVAL', bad), copied: c.copied, struct: info };
  const r = t.ops.cacheInvalidate(t.call, info);
  return {
    result: vendorResult('cache_invalidate', r, { info, copied: c.copied }),
    copied: c.copied,
    struct: info,
  };
}

/** iommu_uapi_cache_invalidate (§4.1). Errno: ENODEV, EFAULT, EINVAL, or the vendor's. */
export function iommuUapiCacheInvalidate(
  k: KernelVersion,
  user: UserMemory,
  uptr: number,
  t: UapiTarget,
): UapiResult<{ info: IommuCacheInvalidateInfo; copied: number }> {
  return cacheInvalidateTraced(k, user, uptr, t).result;
}

/** iommu_check_bind_data (§4.2 step 4), with the stable fix's 64-bit flags mask. */
function checkBindData(k: KernelVersion, d: IommuGpasidBindData): string | null {
  if (d.version !== k.IOMMU_GPASID_BIND_VERSION_1) {
    return `version ${d.version} != IOMMU_GPASID_BIND_VERSION_1 (${k.IOMMU_GPASID_BIND_VERSION_1})`;
  }
  if (d.format >= k.IOMMU_PASID_FORMAT_LAST) {
    return `format ${d.format} >= IOMMU_PASID_FORMAT_LAST (${k.IOMMU_PASID_FORMAT_LAST})`;
  }
  const seen = d.flags & ((1n << BigInt(k.bindFlagsCheckedBits)) - 1n);
  if (seen & ~k.bindFlagsMask) return `flags ${hex(d.flags)} has bits outside ${hex(k.bindFlagsMask)}`;
  const p = firstNonZero(d.padding);
  return p >= 0 ? `padding[${p}] is ${hex(d.padding[p])}, must be zero` : null;
}

type BindTrace =
  | { errno: 'EFAULT' | 'EINVAL'; detail: string; copied: number; data: IommuGpasidBindData | null }
  | {
      copied: number;
      data: IommuGpasidBindData;
    };

/** iommu_sva_prepare_bind_data (§4.2): copy, argsz, copy, content checks. */
function prepareBindData(k: KernelVersion, user: UserMemory, uptr: number): BindTrace {
  const c = copyInTwoSteps(user, uptr, k.bindMinsz, k.bindSize, decodeBindData, () => null);
  if ('errno' in c) return { errno: c.errno, detail: c.detail, copied: c.copied, data: c.struct };
  const bad = checkBindData(k, c.struct);
  if (bad) return { errno: 'EINVAL', detail: bad, copied: c.copied, data: c.struct };
  return { copied: c.copied, data: c.struct };
}

/** iommu_uapi_sva_bind_gpasid with its trace. Errno: ENODEV, EFAULT, EINVAL, or the vendor's. */
export function bindGpasidTraced(
  k: KernelVersion,
  user: UserMemory,
  uptr: number,
  t: UapiTarget,
): CoreTrace<{ data: IommuGpasidBindData; copied: number }, IommuGpasidBindData> {
  if (!t.ops.bindGpasid) return { result: fail('ENODEV', 'no sva_bind_gpasid op'), copied: 0, struct: null };
  const p = prepareBindData(k, user, uptr);
  if ('errno' in p) return { result: fail(p.errno, p.detail), copied: p.copied, struct: p.data };
  const r = t.ops.bindGpasid(t.call, p.data);
  return {
    result: vendorResult('sva_bind_gpasid', r, { data: p.data, copied: p.copied }),
    copied: p.copied,
    struct: p.data,
  };
}

/** iommu_uapi_sva_bind_gpasid (§4.3). The vendor sees the raw user argsz. Errno: ENODEV, EFAULT, EINVAL, vendor's. */
export function iommuUapiSvaBindGpasid(
  k: KernelVersion,
  user: UserMemory,
  uptr: number,
  t: UapiTarget,
): UapiResult<{ data: IommuGpasidBindData; copied: number }> {
  return bindGpasidTraced(k, user, uptr, t).result;
}

/** iommu_uapi_sva_unbind_gpasid with its trace. */
export function unbindGpasidTraced(
  k: KernelVersion,
  user: UserMemory,
  uptr: number,
  t: UapiTarget,
): CoreTrace<{ data: IommuGpasidBindData; pasid: number; copied: number }, IommuGpasidBindData> {
  // v5.10 quirk: the user unbind path tests for the *bind* op.
  if (!t.ops.bindGpasid)
    return { result: fail('ENODEV', 'no sva_bind_gpasid op (checked by unbind)'), copied: 0, struct: null };
  const p = prepareBindData(k, user, uptr);
  if ('errno' in p) return { result: fail(p.errno, p.detail), copied: p.copied, struct: p.data };
  // The 64-bit hpasid goes to a 32-bit ioasid_t parameter unchecked (§7 item 12).
  const pasid = Number(p.data.hpasid & 0xffff_ffffn);
  const r = iommuSvaUnbindGpasid(k, pasid, t);
  const result = r.ok ? ok({ data: p.data, pasid, copied: p.copied }) : fail<never>(r.errno, r.detail);
  return { result, copied: p.copied, struct: p.data };
}

/**
 * iommu_uapi_sva_unbind_gpasid (§4.4): needs a fully valid bind struct; only
 * hpasid is used, truncated to 32 bits. Errno: ENODEV, EFAULT, EINVAL, vendor's.
 */
export function iommuUapiSvaUnbindGpasid(
  k: KernelVersion,
  user: UserMemory,
  uptr: number,
  t: UapiTarget,
): UapiResult<{ data: IommuGpasidBindData; pasid: number; copied: number }> {
  return unbindGpasidTraced(k, user, uptr, t).result;
}

/** iommu_sva_unbind_gpasid (§4.5): the trusted in-kernel entry taking a PASID. Errno: ENODEV or the vendor's. */
export function iommuSvaUnbindGpasid(
  _k: KernelVersion,
  pasid: number,
  t: UapiTarget,
): UapiResult<{ pasid: number }> {
  if (!t.ops.unbindGpasid) return fail('ENODEV', 'no sva_unbind_gpasid op');
  return vendorResult('sva_unbind_gpasid', t.ops.unbindGpasid(t.call, pasid), { pasid });
}
