/**
 * Cache behaviour seen through translate(): device-TLB fills from ATS
 * translation requests of ATS-enabled contexts, caching of not-present
 * results with CM = 1 (and not with CM = 0), and the `qemu` IOTLB policy
 * (source-id tagged, 1024 entries, everything flushed when full,
 * reference/vtd.md §4.2).
 */
import { describe, expect, it } from 'vitest';
import { ACCESS, NO_PASID, TranslationRequest, TranslationResult } from '../../../core/model/translation.js';
import { VTD_FAULT as F } from '../fault-reasons.js';
import { attachDevice, createDomain, initRootTable, setPasidTableEntry } from '../setup.js';
import { flMap, hostSpace, slMap, unmapPage } from '../structures/page-table-builder.js';
import { EMPTY_PASID_ENTRY, PGTT } from '../structures/pasid-entry.js';
import { ccDesc, devTlbDesc, iotlbDesc, pcDesc, pdevTlbDesc, piotlbDesc } from '../testing/descriptors.js';
import { type Fixture, makeFixture } from '../testing/test-unit.js';
import { DEFAULT_CACHE_OPTIONS, QEMU_CACHE_OPTIONS, type VtdCacheOptions } from './cache-options.js';

const D1 = 0x0310;
const D2 = 0x0318;

interface Opts {
  scalable?: boolean;
  cm?: boolean;
  ats?: boolean;
  caches?: VtdCacheOptions;
}

function rig(o: Opts = {}) {
  const f: Fixture = makeFixture({ caps: { cm: o.cm ?? false }, caches: o.caches ?? DEFAULT_CACHE_OPTIONS });
  const { hw, memory, frames } = f;
  initRootTable(hw, o.scalable ?? false);
  const d = createDomain(hw, 1, 4, false);
  attachDevice(hw, D1, 1, 'sl', { ats: o.ats ?? false });
  const host = hostSpace(frames);
  const map = (vpn: number, pfn: number, w = true) =>
    slMap(memory, host, d.slptptr / 4096, 4, vpn, pfn, 12, { r: true, w });
  const unmap = (vpn: number) => unmapPage(memory, host, d.slptptr / 4096, 4, vpn, false);
  const req = new TranslationRequest();
  const out = new TranslationResult();
  const tr = (sid: number, vpn: number, x: { ats?: boolean; access?: number; pasid?: number } = {}) => {
    req.sid = sid;
    req.pasid = x.pasid ?? NO_PASID;
    req.iovaPfn = vpn;
    req.access = x.access ?? ACCESS.READ;
    req.ats = x.ats ?? false;
    hw.translate(req, out);
    return { code: out.archCode, outPfn: out.outPfn, perm: out.perm, hit: out.hit };
  };
  const submit = (...descs: bigint[][]) => expect(hw.submitDescriptors(descs).error).toBeNull();
  return { f, hw, d, map, unmap, tr, submit, wide: o.scalable ?? false };
}

describe('device-TLB (ATS)', () => {
  it.each([false, true])(
    'an ATS translation request fills the device-TLB the device then uses (scalable: %s)',
    (scalable) => {
      const r = rig({ scalable, ats: true });
      r.map(0x100, 0x500, false);
      const ats = r.tr(D1, 0x100, { ats: true });
      expect(ats).toMatchObject({ code: 0, outPfn: 0x500, hit: false });
      expect(ats.perm & 3, 'the completion reports read-only').toBe(1);
      const iotlbLookups = r.hw.caches.iotlb.counters().lookups;
      expect(r.tr(D1, 0x100)).toMatchObject({ code: 0, outPfn: 0x500, hit: true });
      expect(r.hw.caches.iotlb.counters().lookups, 'served by the device-TLB').toBe(iotlbLookups);
      expect(r.hw.caches.counters().devTlb!.hits).toBe(1);
    },
  );

  it('a write uses a device-TLB entry only if its translation request asked for write (so D is set)', () => {
    // First level always has A/D. An ATS read (NW = 1) does not set D; a later write must not slip
    // through the device-TLB without D: it goes to the IOMMU, which sets D.
    const f: Fixture = makeFixture({ caches: DEFAULT_CACHE_OPTIONS });
    initRootTable(f.hw, true);
    createDomain(f.hw, 1, 4, false);
    const { flptptr } = attachDevice(f.hw, D1, 1, 'fl', { ats: true, flLevels: 4 });
    flMap(f.memory, hostSpace(f.frames), flptptr! / 4096, 4, 0x100, 0x500, 12, { w: true, u: true });
    const leaf = () => {
      let table = flptptr!; // 0x100 is entry 0 at levels 4, 3 and 2, entry 0x100 at level 1
      for (let l = 4; l > 1; l--) table = Number(f.memory.read64(table)! & 0xf_ffff_ffff_f000n);
      return f.memory.read64(table + 0x100 * 8)!;
    };
    const req = new TranslationRequest();
    const out = new TranslationResult();
    /** Translates page 0x100; returns whether the IOMMU's IOTLB was consulted (not served by the device). */
    const tr = (access: number, ats: boolean) => {
      req.sid = D1;
      req.pasid = NO_PASID;
      req.iovaPfn = 0x100;
      req.access = access;
      req.ats = ats;
      const before = f.hw.caches.iotlb.counters().lookups;
      expect(f.hw.translate(req, out)).toBe(0);
      return f.hw.caches.iotlb.counters().lookups > before;
    };
    tr(ACCESS.READ, true);
    expect(leaf() & 0x60n, 'A set, D not').toBe(0x20n);
    expect(tr(ACCESS.READ, false), 'a read uses the device-TLB entry').toBe(false);
    expect(tr(ACCESS.WRITE, false), 'a write goes to the IOMMU').toBe(true);
    expect(leaf() & 0x40n, 'which sets D').toBe(0x40n);
    tr(ACCESS.WRITE, true);
    expect(tr(ACCESS.WRITE, false), 'an entry filled by a write request serves writes').toBe(false);
  });

  it('is not flushed by IOTLB invalidation: the device-TLB invalidation is required too', () => {
    const r = rig({ ats: true });
    r.map(0x100, 0x500);
    r.tr(D1, 0x100, { ats: true });
    r.unmap(0x100);
    r.submit(iotlbDesc(3, 1, { vpn: 0x100 }));
    expect(r.tr(D1, 0x100), 'stale in the device').toMatchObject({ code: 0, outPfn: 0x500, hit: true });
    r.submit(devTlbDesc(D1, 0x100n << 12n, false));
    expect(r.tr(D1, 0x100).code).toBe(F.READ_NOT_PERMITTED);
  });

  it('tags device-TLB entries by PASID: a PASID invalidation leaves requests without PASID alone', () => {
    const r = rig({ scalable: true, ats: true });
    r.map(0x100, 0x500);
    r.tr(D1, 0x100, { ats: true });
    r.tr(D1, 0x100, { ats: true, pasid: 0 });
    r.submit(pdevTlbDesc(D1, 0, 0x100n << 12n));
    const devHits = () => r.hw.caches.counters().devTlb!.hits;
    const h0 = devHits();
    r.tr(D1, 0x100);
    expect(devHits(), 'no PASID: still in the device-TLB').toBe(h0 + 1);
    r.tr(D1, 0x100, { pasid: 0 });
    expect(devHits(), 'PASID 0: invalidated').toBe(h0 + 1);
  });

  it('a device whose context does not enable ATS gets TT / DTE faults for translation requests', () => {
    expect(rig().tr(D1, 0x100, { ats: true }).code).toBe(F.TRANSLATION_TYPE_BLOCKED);
    expect(rig({ scalable: true }).tr(D1, 0x100, { ats: true }).code).toBe(F.SM_DTE_CLEAR);
  });
});

describe('caching mode', () => {
  it.each([false, true])(
    'CM = 0: a not-present result is not cached, a new mapping is seen at once (scalable: %s)',
    (scalable) => {
      const r = rig({ scalable });
      expect(r.tr(D1, 0x100).code).not.toBe(0);
      r.map(0x100, 0x500);
      expect(r.tr(D1, 0x100)).toMatchObject({ code: 0, outPfn: 0x500 });
    },
  );

  it.each([false, true])(
    'CM = 1: a not-present leaf is cached until invalidated (scalable: %s)',
    (scalable) => {
      const r = rig({ scalable, cm: true });
      const first = r.tr(D1, 0x100).code;
      expect(first).toBe(scalable ? F.SM_SL_PTE_NOT_PRESENT : F.READ_NOT_PERMITTED);
      r.map(0x100, 0x500);
      expect(r.tr(D1, 0x100).code, 'cached not-present').toBe(first);
      // Legacy reports the access the request made, even from the cached marker.
      if (!scalable) expect(r.tr(D1, 0x100, { access: ACCESS.WRITE }).code).toBe(F.WRITE_NOT_PERMITTED);
      r.submit(iotlbDesc(3, 1, { vpn: 0x100, wide: scalable }));
      expect(r.tr(D1, 0x100)).toMatchObject({ code: 0, outPfn: 0x500 });
    },
  );

  it('CM = 1: a not-present context entry is cached until the context cache is invalidated', () => {
    for (const cm of [false, true]) {
      const r = rig({ cm });
      expect(r.tr(D2, 0x100).code).toBe(F.CONTEXT_ENTRY_NOT_PRESENT);
      attachDevice(r.hw, D2, 1, 'sl');
      r.map(0x100, 0x500);
      expect(r.tr(D2, 0x100).code, `cm ${cm}`).toBe(cm ? F.CONTEXT_ENTRY_NOT_PRESENT : 0);
      r.submit(ccDesc(3, { sid: D2 }));
      expect(r.tr(D2, 0x100).code).toBe(0);
    }
  });

  it('CM = 1: a not-present PASID entry is cached until the PASID cache is invalidated', () => {
    const r = rig({ scalable: true, cm: true });
    r.map(0x100, 0x500);
    expect(r.tr(D1, 0x100, { pasid: 1 }).code).toBe(F.SM_PASID_ENTRY_NOT_PRESENT);
    setPasidTableEntry(r.hw, D1, 1, {
      ...EMPTY_PASID_ENTRY,
      P: true,
      PGTT: PGTT.SL_ONLY,
      AW: 2,
      DID: 1,
      SLPTPTR: BigInt(r.d.slptptr),
    });
    expect(r.tr(D1, 0x100, { pasid: 1 }).code).toBe(F.SM_PASID_ENTRY_NOT_PRESENT);
    // Linux names the DID of the entry it just wrote (pasid.c, CM = 1); another PASID is not enough.
    r.submit(pcDesc(1, 1, 2));
    expect(r.tr(D1, 0x100, { pasid: 1 }).code).toBe(F.SM_PASID_ENTRY_NOT_PRESENT);
    r.submit(pcDesc(1, 1, 1));
    expect(r.tr(D1, 0x100, { pasid: 1 })).toMatchObject({ code: 0, outPfn: 0x500 });
  });
});

describe("the 'qemu' IOTLB policy", () => {
  it('tags entries by source-id: devices of one domain do not share them', () => {
    for (const [caches, shared] of [
      [DEFAULT_CACHE_OPTIONS, true],
      [QEMU_CACHE_OPTIONS, false],
    ] as const) {
      const r = rig({ caches });
      attachDevice(r.hw, D2, 1, 'sl');
      r.map(0x100, 0x500);
      expect(r.tr(D1, 0x100).hit).toBe(false);
      expect(r.tr(D2, 0x100).hit, caches.iotlb.policy).toBe(shared);
    }
  });

  it('domain-selective invalidation still finds every source-id of the DID, and only those', () => {
    const r = rig({ caches: QEMU_CACHE_OPTIONS });
    attachDevice(r.hw, D2, 1, 'sl');
    const d2 = createDomain(r.hw, 2, 4, false);
    attachDevice(r.hw, 0x0320, 2, 'sl');
    r.map(0x100, 0x500);
    slMap(r.f.memory, hostSpace(r.f.frames), d2.slptptr / 4096, 4, 0x100, 0x600, 12, { r: true, w: true });
    for (const s of [D1, D2, 0x0320]) r.tr(s, 0x100);
    r.submit(iotlbDesc(2, 1));
    expect([D1, D2, 0x0320].map((s) => r.tr(s, 0x100).hit)).toEqual([false, false, true]);
  });

  it('holds 1024 entries and flushes them all when an insert finds it full; no paging-structure caches', () => {
    const r = rig({ caches: QEMU_CACHE_OPTIONS });
    expect([r.hw.caches.slPsc, r.hw.caches.flPsc]).toEqual([null, null]);
    for (let i = 0; i <= 1024; i++) r.map(0x1000 + i, 0x5000 + i);
    for (let i = 0; i < 1024; i++) r.tr(D1, 0x1000 + i);
    expect(r.hw.caches.iotlb.counters().capacity).toBe(1024);
    expect([0, 511, 1023].map((i) => r.tr(D1, 0x1000 + i).hit)).toEqual([true, true, true]);
    r.tr(D1, 0x1000 + 1024); // the 1025th page: flush, then insert
    expect(r.hw.caches.iotlb.counters().evictions).toBe(1024);
    expect(r.tr(D1, 0x1000 + 1024).hit).toBe(true);
    expect(r.tr(D1, 0x1000).hit).toBe(false);
  });
});

describe('saved state', () => {
  it('restores a device-TLB the run added into a unit that never had one, and the right to make one', () => {
    const f = makeFixture();
    initRootTable(f.hw, false);
    createDomain(f.hw, 1, 4, false);
    attachDevice(f.hw, 0x10, 1, 'sl', { ats: true });
    attachDevice(f.hw, 0x18, 1, 'sl', { ats: true });
    expect(f.hw.caches.devTlb[0x10]).toBeUndefined(); // no ATS request yet: no device-TLB
    f.hw.caches.devTlbForFill(0x10); // what the first ATS translation request does
    const saved = f.hw.caches.saveState();
    expect([...saved.devTlb.keys()]).toEqual([0x10]);
    const fresh = makeFixture();
    expect(fresh.hw.caches.devTlb[0x10]).toBeUndefined();
    fresh.hw.caches.loadState(saved);
    expect(fresh.hw.caches.devTlb[0x10]).toBeDefined();
    expect(fresh.hw.caches.devTlbCount).toBe(1);
    expect(fresh.hw.caches.devTlbForFill(0x18)).toBeDefined(); // attached with ATS before the snapshot
    expect(fresh.hw.caches.devTlbForFill(0x20)).toBeUndefined(); // never allowed one
  });
});

describe('the qemu policy keys second-level entries by PASID as well (vtd.md §4.2)', () => {
  /** One device: RID_PASID 0 second-level in DID 1 (0x100 -> 0x500), PASID 5 second-level in DID 2 (0x100 -> 0x600). */
  function twoDomains() {
    const f = makeFixture({ caches: QEMU_CACHE_OPTIONS });
    initRootTable(f.hw, true);
    const d1 = createDomain(f.hw, 1, 4, false);
    const d2 = createDomain(f.hw, 2, 4, false);
    const sid = 0x0310;
    attachDevice(f.hw, sid, 1, 'sl');
    attachDevice(f.hw, sid, 2, 'sl', { pasid: 5 });
    const host = hostSpace(f.frames);
    slMap(f.memory, host, d1.slptptr / 4096, 4, 0x100, 0x500, 12, { r: true, w: true });
    slMap(f.memory, host, d2.slptptr / 4096, 4, 0x100, 0x600, 12, { r: true, w: true });
    const req = new TranslationRequest();
    const out = new TranslationResult();
    const go = (pasid: number) => {
      req.sid = sid;
      req.pasid = pasid;
      req.iovaPfn = 0x100;
      req.access = ACCESS.READ;
      expect(f.hw.translate(req, out)).toBe(0);
      return { out: out.outPfn, hit: out.hit };
    };
    return { f, go };
  }

  it('two PASIDs of one device in different domains do not share an entry', () => {
    const { go } = twoDomains();
    expect(go(NO_PASID)).toEqual({ out: 0x500, hit: false });
    expect(go(5)).toEqual({ out: 0x600, hit: false });
    expect(go(NO_PASID)).toEqual({ out: 0x500, hit: true });
    expect(go(5)).toEqual({ out: 0x600, hit: true });
  });

  it('a domain-selective invalidation drops its DID only; a PASID-selective P_IOTLB drops DID + PASID', () => {
    const { f, go } = twoDomains();
    go(NO_PASID);
    go(5);
    expect(f.hw.submitDescriptors([iotlbDesc(2, 1)]).error).toBeNull();
    expect(go(NO_PASID).hit).toBe(false);
    expect(go(5).hit).toBe(true);
    expect(f.hw.submitDescriptors([piotlbDesc(2, 2, 5)]).error).toBeNull();
    expect(go(5).hit).toBe(false);
    expect(go(NO_PASID).hit).toBe(true);
  });
});
