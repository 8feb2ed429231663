/**
 * From user bytes to the VT-d driver: the core's iommu_uapi_* entry points
 * (copies and generic checks) in front of this driver's vendor ops, so the
 * gotchas that span both layers (uapi.md §7) are checked together.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../../core/uapi/codec.js';
import {
  iommuUapiCacheInvalidate,
  iommuUapiSvaBindGpasid,
  iommuUapiSvaUnbindGpasid,
} from '../../../core/uapi/iommu-core.js';
import { KERNELS } from '../../../core/uapi/kernel-versions.js';
import type { IommuGpasidBindData } from '../../../core/uapi/structs.js';
import { UserMemory } from '../../../core/uapi/user-memory.js';
import { allocPasid, bindData, invInfo, rig } from './test-support.js';

const K = KERNELS['v5.10'];
const UPTR = 0x1000;

function userWith(bytes: Uint8Array): UserMemory {
  const u = new UserMemory();
  u.map(UPTR, bytes);
  return u;
}

function bindBytes(d: IommuGpasidBindData, mapped = 72): Uint8Array {
  return encode('iommu_gpasid_bind_data', d).subarray(0, mapped);
}

describe('core + VT-d driver', () => {
  it('format 0 passes the core and is rejected by VT-d with EINVAL', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    const user = userWith(bindBytes(bindData({ format: 0, hpasid: BigInt(p) })));
    const res = iommuUapiSvaBindGpasid(K, user, UPTR, {
      ops: r.driver.ops,
      call: { device: r.device, mm: 1 },
    });
    expect(res).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect((res as { detail: string }).detail).toMatch(/vendor|sva_bind_gpasid/);
  });

  it('argsz 56 passes the core (vendor union zero) and VT-d asks for 72', () => {
    const r = rig();
    const p = allocPasid(r.driver);
    const user = userWith(bindBytes(bindData({ argsz: 56, hpasid: BigInt(p) }), 56));
    const res = iommuUapiSvaBindGpasid(K, user, UPTR, {
      ops: r.driver.ops,
      call: { device: r.device, mm: 1 },
    });
    expect(res).toMatchObject({ ok: false, errno: 'EINVAL' });
    expect(r.events.of('vtd.driver.gpasid.bound')).toEqual([]);
  });

  it('a non-PCI device gets ENOTSUPP (524) through the core', () => {
    const r = rig({ device: { pci: false } });
    const p = allocPasid(r.driver);
    const user = userWith(bindBytes(bindData({ hpasid: BigInt(p) })));
    const res = iommuUapiSvaBindGpasid(K, user, UPTR, {
      ops: r.driver.ops,
      call: { device: r.device, mm: 1 },
    });
    expect(res).toMatchObject({ ok: false, errno: 'ENOTSUPP' });
  });

  it('user unbind with hpasid 0x1_0000_0005 unbinds PASID 5 (truncated by the core)', () => {
    const r = rig();
    for (let i = 0; i < 5; i++) allocPasid(r.driver);
    const t = { ops: r.driver.ops, call: { device: r.device, mm: 1 } };
    expect(iommuUapiSvaBindGpasid(K, userWith(bindBytes(bindData({ hpasid: 5n }))), UPTR, t).ok).toBe(true);
    const res = iommuUapiSvaUnbindGpasid(
      K,
      userWith(bindBytes(bindData({ hpasid: 0x1_0000_0005n }))),
      UPTR,
      t,
    );
    expect(res.ok).toBe(true);
    expect(r.events.of('vtd.driver.gpasid.unbound')).toMatchObject([{ pasid: 5, svmFreed: true }]);
  });

  it('cache invalidate with a huge argsz: the vendor sees it, the descriptors are the same', () => {
    const r = rig({ device: { ats: false } });
    const info = invInfo({ argsz: 4096, addr: { flags: 1, pasid: 3n, addr: 0x8000n } });
    const res = iommuUapiCacheInvalidate(K, userWith(encode('iommu_cache_invalidate_info', info)), UPTR, {
      ops: r.driver.ops,
      call: { device: r.device, mm: 1 },
    });
    expect(res.ok).toBe(true);
    expect(r.hw.descriptors).toEqual([[0x0000_0003_002a_0036n, 0x8000n, 0n, 0n]]);
  });

  it('IOTLB at DOMAIN granularity: the core allows it, the driver swallows it with 0 and a diagnostic', () => {
    const r = rig();
    const info = invInfo({ argsz: 16, granularity: 0, cache: 1 });
    const res = iommuUapiCacheInvalidate(K, userWith(encode('iommu_cache_invalidate_info', info)), UPTR, {
      ops: r.driver.ops,
      call: { device: r.device, mm: 1 },
    });
    expect(res.ok).toBe(true);
    expect(r.hw.submitted).toEqual([]);
    expect(r.events.noted()).toEqual(['vtd.sva-invalidate.unsupported']);
  });
});
