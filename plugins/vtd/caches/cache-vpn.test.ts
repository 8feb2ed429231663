/**
 * How the VT-d caches key input pages (cache-vpn.ts), and what that means end to end: upper-half
 * canonical first-level addresses (kernel and supervisor SVA) are cached, hit and invalidated
 * like lower-half ones, and a non-canonical alias of one never reaches its entry.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS, TranslationRequest, TranslationResult } from '../../../core/model/translation.js';
import { attachDevice, createDomain, initRootTable } from '../setup.js';
import { flMap, hostSpace } from '../structures/page-table-builder.js';
import { pdevTlbDesc, piotlbDesc } from '../testing/descriptors.js';
import { makeFixture } from '../testing/test-unit.js';
import { cacheVpn } from './cache-vpn.js';

const UPPER = 2 ** 52 - 2 ** 35; // first page of the upper half of a 48-bit address space

describe('cacheVpn', () => {
  it('keeps lower-half pages, folds the canonical upper half into [2^44, 2^45), refuses the rest', () => {
    expect(cacheVpn(0x1234, true)).toBe(0x1234);
    expect(cacheVpn(2 ** 44 - 1, true)).toBe(2 ** 44 - 1);
    expect(cacheVpn(2 ** 52 - 1, true)).toBe(2 ** 45 - 1);
    expect(cacheVpn(2 ** 52 - 2 ** 44, true)).toBe(2 ** 44);
    expect(cacheVpn(UPPER + 5, true)).toBe(2 ** 45 - 2 ** 35 + 5);
    expect(cacheVpn(2 ** 44, true)).toBe(-1); // bit 56 set without its sign extension
    expect(cacheVpn(2 ** 51, true)).toBe(-1);
    expect(cacheVpn(2 ** 44, false)).toBe(2 ** 44); // a 5-level second-level page
    expect(cacheVpn(2 ** 45, false)).toBe(-1);
  });
});

/** A first-level (PASID 0, DID 1) ATS device with one lower-half and one upper-half page mapped. */
function world() {
  const f = makeFixture();
  initRootTable(f.hw, true);
  createDomain(f.hw, 1, 4, false);
  const sid = 0x0310;
  const { flptptr } = attachDevice(f.hw, sid, 1, 'fl', { ats: true });
  const host = hostSpace(f.frames);
  flMap(f.memory, host, flptptr! / 4096, 4, 0x100, 0x3000, 12, { w: true, u: true });
  flMap(f.memory, host, flptptr! / 4096, 4, UPPER + 0x100, 0x5000, 12, { w: true, u: true });
  const req = new TranslationRequest();
  const out = new TranslationResult();
  const translate = (vpn: number, o: { ats?: boolean; write?: boolean } = {}) => {
    req.sid = sid;
    req.pasid = 0;
    req.iovaPfn = vpn;
    req.access = o.write ? ACCESS.WRITE : ACCESS.READ;
    req.ats = o.ats ?? false;
    const kind = f.hw.translate(req, out);
    return { kind, code: out.archCode, out: out.outPfn, hit: out.hit };
  };
  return { f, sid, translate };
}

describe('upper-half canonical first-level pages', () => {
  it('a page-selective P_IOTLB at an upper-half address drops its IOTLB entry', () => {
    const { f, translate } = world();
    expect(translate(UPPER + 0x100)).toMatchObject({ kind: 0, out: 0x5000, hit: false });
    expect(translate(UPPER + 0x100)).toMatchObject({ out: 0x5000, hit: true });
    const r = f.hw.submitDescriptors([piotlbDesc(3, 1, 0, { vpn: UPPER + 0x100, am: 0, ih: true })]);
    expect(r.error).toBeNull();
    expect(translate(UPPER + 0x100)).toMatchObject({ out: 0x5000, hit: false });
  });

  it('the device-TLB hits an upper-half page, is invalidated at its address, and a non-canonical alias faults', () => {
    const { f, sid, translate } = world();
    expect(translate(UPPER + 0x100, { ats: true })).toMatchObject({ kind: 0, out: 0x5000 });
    const devTlb = f.hw.caches.devTlb[sid]!; // made by that first ATS translation request
    expect(translate(UPPER + 0x100)).toMatchObject({ out: 0x5000, hit: true });
    expect(devTlb.counters().hits).toBe(1);
    // Same low 45 bits, not canonical: not the cached page; the IOMMU answers 0x80.
    const alias = (UPPER + 0x100) % 2 ** 45;
    expect(translate(alias)).toMatchObject({ code: 0x80 });
    expect(devTlb.counters().hits).toBe(1);
    const addr = BigInt(UPPER + 0x100) << 12n;
    expect(f.hw.submitDescriptors([pdevTlbDesc(sid, 0, addr)]).error).toBeNull();
    expect(devTlb.liveCount()).toBe(0);
  });
});
