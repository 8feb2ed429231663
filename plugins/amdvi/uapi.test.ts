/** The 'proposed' profile's cache_invalidate (C.3): what becomes a native command and what is refused (D.3). */
import { describe, expect, it } from 'vitest';
import { ACCESS } from '../../core/model/translation.js';
import type { DeviceConfig } from '../../core/plugin/contract.js';
import type { IommuCacheInvalidateInfo } from '../../core/uapi/structs.js';
import { UAPI } from '../../core/uapi/uapi-constants.js';
import { Fixture } from './test-fixture.js';

const DEVICE: DeviceConfig = {
  name: 'vf',
  unit: 'amdvi0',
  sid: 0x10,
  pci: true,
  pasidBits: 0,
  ats: false,
  pri: false,
  auxDomain: false,
};

function info(
  cache: number,
  granularity: number,
  granu: { pasid?: Partial<IommuCacheInvalidateInfo['granu']['pasid_info']>; addr?: object } = {},
): IommuCacheInvalidateInfo {
  return {
    argsz: 88,
    version: 1,
    cache,
    granularity,
    padding: new Uint8Array(6),
    granu: {
      pasid_info: { flags: 0, archid: 0, pasid: 0n, ...granu.pasid },
      addr_info: {
        flags: 0,
        archid: 0,
        pasid: 0n,
        addr: 0n,
        granule_size: 4096n,
        nb_granules: 1n,
        ...granu.addr,
      },
    },
  };
}

/** A 'proposed' unit with page 0x10000 of domain 7 cached. */
function cached(): Fixture {
  const f = new Fixture({ profile: 'proposed' });
  const { root } = f.setup({ domainId: 7 });
  f.cmd('amdvi.pagetable.map', { root: `0x${root.toString(16)}`, iova: '0x10000', pa: '0x400000' });
  expect(f.dma(0x10, 0x10000, ACCESS.READ)).toBe(0);
  return f;
}

/** Calls the vendor op; returns its errno and how many native commands ran. */
function invalidate(f: Fixture, i: IommuCacheInvalidateInfo): { r: unknown; commands: number } {
  const before = f.emitted.length;
  const r = f.unit.ops.cacheInvalidate!({ device: DEVICE, mm: 1 }, i);
  return { r, commands: f.emitted.slice(before).filter((e) => e.type === 'amdvi.command.executed').length };
}

describe("'proposed' cache_invalidate", () => {
  it('refuses PASID-tagged requests with ENOENT and runs nothing (pasidBits 0, no GN translations)', () => {
    const f = cached();
    const PASID = UAPI.IOMMU_INV_GRANU_PASID;
    const IOTLB = UAPI.IOMMU_CACHE_INV_TYPE_IOTLB;
    const pasidFlag = { flags: UAPI.IOMMU_INV_PASID_FLAGS_PASID, pasid: 1n };
    const refused = [
      info(IOTLB, PASID, { pasid: pasidFlag }),
      info(IOTLB, PASID, { pasid: { ...pasidFlag, flags: 3, archid: 7 } }),
      info(IOTLB, UAPI.IOMMU_INV_GRANU_ADDR, {
        addr: { flags: UAPI.IOMMU_INV_ADDR_FLAGS_PASID, pasid: 1n, addr: 0x10000n },
      }),
      info(UAPI.IOMMU_CACHE_INV_TYPE_PASID, PASID, { pasid: pasidFlag }),
    ];
    for (const i of refused) expect(invalidate(f, i)).toEqual({ r: 'ENOENT', commands: 0 });
    expect(f.dma(0x10, 0x10000, ACCESS.READ)).toBe(0);
    expect(f.out.hit).toBe(true);
  });

  it('still maps PASID granularity with ARCHID only to the DomainID, GN=0', () => {
    const f = cached();
    const i = info(UAPI.IOMMU_CACHE_INV_TYPE_IOTLB, UAPI.IOMMU_INV_GRANU_PASID, {
      pasid: { flags: UAPI.IOMMU_INV_PASID_FLAGS_ARCHID, archid: 7 },
    });
    expect(invalidate(f, i)).toEqual({ r: 0, commands: 2 });
    expect(f.of('amdvi.iotlb.invalidated').at(-1)).toMatchObject({ domainId: 7, pasid: null, dropped: 1 });
  });
});
