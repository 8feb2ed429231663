/**
 * The driver over vtd-hw's real VtdHardware: descriptors the driver builds
 * must pass the hardware's queued-invalidation checks and reach its caches,
 * and the nested PASID entry must land where the hardware walks.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../../core/plugin/contract.js';
import { attachDevice, createDomain, initRootTable } from '../setup.js';
import { decodePasidEntry, PGTT, readPasidEntryWords } from '../structures/pasid-entry.js';
import { makeFixture } from '../testing/test-unit.js';
import { createIntelDriver } from './index.js';
import { bindData, invInfo, pciDevice, RecordingFaults } from './test-support.js';

function realRig(device: Partial<DeviceConfig> = {}) {
  const f = makeFixture();
  initRootTable(f.hw, true);
  const domain = createDomain(f.hw, 5, 4, true);
  domain.maxAddr = 0x4000_0000n;
  const dev = pciDevice({ sid: 0x0210, ...device });
  attachDevice(f.hw, dev.sid, 5, 'sl', { ats: dev.ats, pri: dev.pri });
  const faults = new RecordingFaults();
  const driver = createIntelDriver(f.hw, {
    events: { emit: (type, data) => f.events.push({ type, data }) },
    faults,
  });
  driver.addDevice(dev);
  const call = { device: dev, mm: 0x42 };
  const of = (type: string) =>
    f.events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);
  return { ...f, driver, dev, call, faults, of };
}

describe('intel driver on the real VtdHardware', () => {
  it('bind writes a nested entry the hardware finds by walking root -> context -> PASID directory', () => {
    const r = realRig();
    const pasid = r.driver.command('vtd.ioasid.alloc', {});
    expect(pasid).toEqual({ ok: true, value: 1 });
    expect(r.driver.ops.bindGpasid!(r.call, bindData({ hpasid: 1n, gpgd: 0x12_3000n }))).toBe(0);
    const pa = r.hw.pasidEntryAddress(r.dev.sid, 1, false)!;
    const e = decodePasidEntry(readPasidEntryWords(r.memory, pa)!);
    expect(e).toMatchObject({ P: true, PGTT: PGTT.NESTED, DID: 5, FLPTPTR: 0x12_3000n, AW: 2 });
    expect(e.SLPTPTR).toBe(BigInt(r.hw.domains.get(5)!.slptptr));
  });

  it('UAPI invalidations pass the hardware checks and reach its IOTLB and device TLB', () => {
    const r = realRig({ ats: true });
    const info = invInfo({
      addr: { flags: 1, pasid: 1n, addr: 0x20_0000n, granule_size: 4096n, nb_granules: 8n },
    });
    expect(r.driver.ops.cacheInvalidate!(r.call, info)).toBe(0);
    expect(r.of('vtd.qi.stopped')).toEqual([]);
    expect(r.of('vtd.cache.invalidated')).toMatchObject([
      { cache: 'iotlb', granularity: 'pasid-page', did: 5, pasid: 1, pages: 8 },
      { cache: 'devTlb', granularity: 'pasid', sid: 0x210, pasid: 1, pages: 8 },
    ]);
  });

  it('a PASID above 20 bits makes a descriptor with reserved bits: IQE, cleared by the driver, still 0', () => {
    const r = realRig({ ats: false });
    const info = invInfo({ addr: { flags: 1, pasid: 0x10_0001n } });
    expect(r.driver.ops.cacheInvalidate!(r.call, info)).toBe(0);
    expect(r.of('vtd.qi.stopped')).toHaveLength(1);
    expect(r.hw.qi.iqe).toBe(false);
    // The queue runs again.
    expect(r.driver.ops.cacheInvalidate!(r.call, invInfo({ addr: { flags: 1, pasid: 1n } }))).toBe(0);
    expect(r.of('vtd.cache.invalidated')).toHaveLength(1);
  });

  it('an address mask above CAP.MAMV is refused by the hardware', () => {
    const r = realRig({ ats: false });
    const info = invInfo({ addr: { flags: 1, pasid: 1n, granule_size: 1n << 31n, nb_granules: 1n } });
    expect(r.driver.ops.cacheInvalidate!(r.call, info)).toBe(0);
    expect(r.of('vtd.qi.stopped')[0]!.reason).toMatch(/MAMV/);
  });

  it('unbind teardown and PRQ drain descriptors are accepted; page responses leave through the queue', () => {
    const r = realRig({ ats: true, pri: true });
    r.driver.command('vtd.ioasid.alloc', {});
    r.driver.ops.bindGpasid!(r.call, bindData({ hpasid: 1n }));
    r.driver.pageRequest(r.dev, {
      pasid: 1,
      addr: 0x1000n,
      read: true,
      write: false,
      exec: false,
      priv: false,
      grpid: 9,
      last: true,
      privateData: null,
    });
    const { fault } = r.faults.reports[0]!;
    const msg = { argsz: 24, version: 1, flags: 1, pasid: 1, grpid: 9, code: 2 };
    expect(r.driver.ops.pageResponse!(r.call, fault, msg)).toBe(0);
    expect(r.of('vtd.page-response.sent')).toMatchObject([{ sid: 0x210, pasid: 1, grpid: 9, code: 2 }]);
    expect(r.driver.ops.unbindGpasid!(r.call, 1)).toBe(0);
    expect(r.of('vtd.qi.stopped')).toEqual([]);
    expect(r.of('vtd.driver.descriptors.submitted').map((d) => [d.why, d.error])).toEqual([
      ['pasid-teardown', null],
      ['prq-drain', null],
    ]);
  });
});
