import { describe, expect, it } from 'vitest';
import type { VendorCall } from '../../../core/uapi/vendor-ops.js';
import { bits, invInfo, NESTING_DOMAIN, pciDevice, rig } from './test-support.js';

const call = (device = pciDevice(), mm = 1): VendorCall => ({ device, mm });

describe('cacheInvalidate preconditions (uapi.md §5.1 step 1)', () => {
  it('non-PCI device -> ENODEV', () => {
    const r = rig({ device: { pci: false } });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), invInfo())).toBe('ENODEV');
  });

  it('device this IOMMU does not know -> ENODEV', () => {
    const r = rig();
    expect(r.driver.ops.cacheInvalidate!(call(pciDevice({ sid: 0x200, name: 'other' })), invInfo())).toBe(
      'ENODEV',
    );
  });

  it('no domain -> EINVAL; domain not nesting -> EINVAL', () => {
    const r = rig();
    r.hw.domains.delete(r.device.sid);
    expect(r.driver.ops.cacheInvalidate!(call(r.device), invInfo())).toBe('EINVAL');
    r.hw.domains.set(r.device.sid, { ...NESTING_DOMAIN, nesting: false });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), invInfo())).toBe('EINVAL');
    expect(r.hw.submitted).toEqual([]);
  });
});

describe('silent success for unsupported combinations', () => {
  const cases: [string, number, number, string[]][] = [
    ['IOTLB at DOMAIN', 0x1, 0, ['iotlb']],
    ['PASID cache at ADDR (core rejects; vendor still swallows)', 0x4, 2, ['pasid']],
    ['DEV_IOTLB at PASID', 0x2, 1, ['dev_iotlb']],
    ['PASID cache at PASID', 0x4, 1, ['pasid']],
  ];
  for (const [name, cache, granularity, skipped] of cases) {
    it(`${name}: returns 0, submits nothing, notes it`, () => {
      const r = rig({ device: { ats: false } });
      expect(r.driver.ops.cacheInvalidate!(call(r.device), invInfo({ cache, granularity }))).toBe(0);
      expect(r.hw.submitted).toEqual([]);
      const noted = r.events.of('core.diagnostic.noted');
      expect(noted).toHaveLength(1);
      expect(noted[0]).toMatchObject({ unit: 'vtd0', what: 'vtd.sva-invalidate.unsupported' });
      expect((noted[0]!.detail as { skipped: string[] }).skipped).toEqual(skipped);
    });
  }

  it('stops at the first unsupported bit: IOTLB runs, then DEV_IOTLB at PASID stops PASID-cache too', () => {
    const r = rig({ device: { ats: false } });
    const info = invInfo({ cache: 0x7, granularity: 1, pasid: { flags: 1, pasid: 9n } });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), info)).toBe(0);
    expect(r.hw.descriptors).toHaveLength(1);
    expect(bits(r.hw.descriptors[0]![0]!, 0, 4)).toBe(6);
    const detail = r.events.of('core.diagnostic.noted')[0]!.detail as { cache: string; skipped: string[] };
    expect(detail.cache).toBe('dev_iotlb');
    expect(detail.skipped).toEqual(['dev_iotlb', 'pasid']);
  });
});

describe('IOTLB invalidation', () => {
  it('PASID granularity: P_IOTLB PASID-selective with the domain DID and the PASID when flagged', () => {
    const r = rig({ device: { ats: false } });
    expect(
      r.driver.ops.cacheInvalidate!(
        call(r.device),
        invInfo({ granularity: 1, pasid: { flags: 1, pasid: 0x33n } }),
      ),
    ).toBe(0);
    const [d] = r.hw.descriptors;
    expect(d).toEqual([0x0000_0033_002a_0026n, 0n, 0n, 0n]);
    expect(r.events.of('vtd.driver.descriptors.submitted')[0]).toMatchObject({
      why: 'iotlb',
      pasid: 0x33,
      processed: 1,
    });
  });

  it('PASID granularity without the PASID flag uses PASID 0', () => {
    const r = rig({ device: { ats: false } });
    r.driver.ops.cacheInvalidate!(
      call(r.device),
      invInfo({ granularity: 1, pasid: { flags: 2, pasid: 0x33n } }),
    );
    expect(bits(r.hw.descriptors[0]![0]!, 32, 32)).toBe(0);
  });

  it('ADDR granularity: page-selective, AM from to_vtd_size, IH from LEAF', () => {
    const r = rig({ device: { ats: false } });
    const info = invInfo({
      granularity: 2,
      addr: { flags: 0x5, pasid: 4n, addr: 0x40_0000n, granule_size: 4096n, nb_granules: 16n },
    });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), info)).toBe(0);
    const [d] = r.hw.descriptors;
    expect(d![0]).toBe(0x0000_0004_002a_0036n);
    expect(d![1]).toBe(0x40_0044n); // addr | IH | AM 4
    expect(r.events.noted()).toEqual([]);
  });

  it('unaligned address is only logged', () => {
    const r = rig({ device: { ats: false } });
    const info = invInfo({
      addr: { flags: 1, pasid: 4n, addr: 0x40_1000n, granule_size: 4096n, nb_granules: 4n },
    });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), info)).toBe(0);
    expect(r.events.noted()).toEqual(['vtd.sva-invalidate.unaligned-address']);
    expect(r.hw.descriptors[0]![1]).toBe(0x40_1002n);
  });

  it('the PASID is truncated to 32 bits before it is shifted', () => {
    const r = rig({ device: { ats: false } });
    r.driver.ops.cacheInvalidate!(call(r.device), invInfo({ addr: { flags: 1, pasid: 0x1_0000_0007n } }));
    expect(r.hw.descriptors[0]![0]! >> 32n).toBe(7n);
  });

  it('a hardware error (IQE) is cleared by the driver and ignored: still 0', () => {
    const r = rig({ device: { ats: false } });
    r.hw.reject = () => 'reserved bits';
    expect(r.driver.ops.cacheInvalidate!(call(r.device), invInfo())).toBe(0);
    expect(r.hw.iqeCleared).toBe(1);
    expect(r.events.noted()).toEqual(['vtd.qi.submit-error']);
  });
});

describe('device-TLB invalidation and the ATS fall-through', () => {
  it('IOTLB at ADDR with ATS falls through into a PASID device-TLB flush', () => {
    const r = rig({ device: { ats: true } });
    const info = invInfo({ addr: { flags: 1, pasid: 4n, addr: 0x40_0000n, nb_granules: 4n } });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), info)).toBe(0);
    const [iotlb, dev] = r.hw.descriptors;
    expect(bits(iotlb![0]!, 0, 4)).toBe(6);
    expect(bits(dev![0]!, 0, 4)).toBe(8);
    expect(bits(dev![0]!, 16, 16)).toBe(0x0108);
    expect(bits(dev![0]!, 32, 20)).toBe(4);
    expect(bits(dev![0]!, 4, 5)).toBe(0); // queue depth 32 masked to 5 bits
    expect(dev![1]).toBe(0x40_1800n); // 4 pages at 0x400000: one 1 above bit 11, zero at 13, S
  });

  it('IOTLB at PASID with ATS flushes the whole device TLB of the PASID (size 52, addr 0)', () => {
    const r = rig({ device: { ats: true } });
    r.driver.ops.cacheInvalidate!(
      call(r.device),
      invInfo({ granularity: 1, pasid: { flags: 1, pasid: 3n } }),
    );
    const [, dev] = r.hw.descriptors;
    expect(dev![1]).toBe(0x7fff_ffff_ffff_f800n);
  });

  it('IOTLB + DEV_IOTLB at ADDR with ATS: the device TLB is flushed twice (fall-through, then its own bit)', () => {
    const r = rig({ device: { ats: true } });
    r.driver.ops.cacheInvalidate!(call(r.device), invInfo({ cache: 3, addr: { flags: 1, pasid: 4n } }));
    expect(r.hw.descriptors.map((d) => bits(d[0]!, 0, 4))).toEqual([6, 8, 8]);
  });

  it('DEV_IOTLB without ATS warns and sends nothing', () => {
    const r = rig({ device: { ats: false } });
    expect(r.driver.ops.cacheInvalidate!(call(r.device), invInfo({ cache: 2 }))).toBe(0);
    expect(r.hw.submitted).toEqual([]);
    expect(r.events.noted()).toEqual(['vtd.sva-invalidate.dev-iotlb-without-ats']);
  });

  it('ATS needs ECAP.DT as well as the device', () => {
    const r = rig({ device: { ats: true }, caps: { dt: false } });
    r.driver.ops.cacheInvalidate!(call(r.device), invInfo({ cache: 1 }));
    expect(r.hw.descriptors).toHaveLength(1);
  });

  it('PFSID is the device id only with ECAP.DIT', () => {
    const r = rig({ device: { ats: true, sid: 0xab12 }, caps: { dit: true } });
    r.driver.ops.cacheInvalidate!(call(r.device), invInfo({ cache: 2 }));
    const d = r.hw.descriptors[0]![0]!;
    expect(bits(d, 12, 4)).toBe(0x2);
    expect(bits(d, 52, 12)).toBe(0xab1);
  });
});
