/**
 * The queued-invalidation interface, hardware side (reference/vtd.md §5):
 * descriptor types 1..9 in their 128- and 256-bit forms, every granularity,
 * AM (and AM above MAMV), IH, DR/DW, the wait descriptor's status write and
 * interrupt, and invalid descriptors stopping the queue with IQE set at the
 * bad descriptor. Effects are observed as cache hits and misses of real
 * translations, and as the entries each invalidation reports.
 */
import { describe, expect, it } from 'vitest';
import { NO_PASID, TranslationRequest, TranslationResult } from '../../../core/model/translation.js';
import type { VtdCaps } from '../capabilities.js';
import { attachDevice, createDomain, initRootTable } from '../setup.js';
import { flMap, hostSpace, slMap } from '../structures/page-table-builder.js';
import {
  ccDesc,
  type Desc,
  devTlbDesc,
  iecDesc,
  iotlbDesc,
  pcDesc,
  pdevTlbDesc,
  piotlbDesc,
  waitDesc,
} from '../testing/descriptors.js';
import { type Fixture, makeFixture } from '../testing/test-unit.js';
import type { PageGroupResponse } from './queued-invalidation.js';

/** Devices: 0x10 (ATS), 0x13 and 0x14 share domain 1 (second level); 0x18 is alone in domain 2; 0x20 uses first-level tables in domain 1. */
const A = 0x10;
const A3 = 0x13;
const A4 = 0x14;
const B = 0x18;
const C = 0x20;
const PAGES = 16;

function rig(caps: Partial<VtdCaps> = {}, scalable = true) {
  const f = makeFixture({ caps });
  const { hw, memory, frames } = f;
  initRootTable(hw, scalable);
  const d1 = createDomain(hw, 1, 4, false);
  const d2 = createDomain(hw, 2, 4, false);
  attachDevice(hw, A, 1, 'sl', { ats: true });
  attachDevice(hw, A3, 1, 'sl');
  attachDevice(hw, A4, 1, 'sl');
  attachDevice(hw, B, 2, 'sl');
  const host = hostSpace(frames);
  for (let i = 0; i < PAGES; i++) {
    slMap(memory, host, d1.slptptr / 4096, 4, 0x100 + i, 0x1000 + i, 12, { r: true, w: true });
    slMap(memory, host, d2.slptptr / 4096, 4, 0x100 + i, 0x2000 + i, 12, { r: true, w: true });
  }
  if (scalable) {
    const { flptptr } = attachDevice(hw, C, 1, 'fl');
    for (let i = 0; i < PAGES; i++)
      flMap(memory, host, flptptr! / 4096, 4, 0x100 + i, 0x3000 + i, 12, { w: true, u: true });
  }
  const req = new TranslationRequest();
  const out = new TranslationResult();
  /** Translates a read; returns whether it hit a cache (IOTLB or device-TLB). */
  const hit = (sid: number, vpn: number, ats = false): boolean => {
    req.sid = sid;
    req.pasid = NO_PASID;
    req.iovaPfn = vpn;
    req.access = 1;
    req.ats = ats;
    expect(hw.translate(req, out), `sid 0x${sid.toString(16)} vpn 0x${vpn.toString(16)}`).toBe(0);
    return out.hit;
  };
  const warm = (sids: number[], ats = false): void => {
    for (const s of sids) for (let i = 0; i < PAGES; i++) hit(s, 0x100 + i, ats);
  };
  /** Submits descriptors that must all be valid; returns the entries each invalidation reported. */
  const run = (...descs: Desc[]): number[] => {
    const before = f.events.length;
    const r = hw.submitDescriptors(descs);
    expect(r.error).toBeNull();
    expect(r.processed).toBe(descs.length);
    return f.events
      .slice(before)
      .filter((e) => e.type === 'vtd.cache.invalidated')
      .map((e) => (e.data as { entries: number }).entries);
  };
  const lastInvalidation = (): { cache: string; granularity: string } =>
    f.events.filter((e) => e.type === 'vtd.cache.invalidated').at(-1)!.data as {
      cache: string;
      granularity: string;
    };
  return { f, hw, hit, warm, run, lastInvalidation };
}

function expectStopped(f: Fixture, descs: Desc[], index: number, reason: RegExp): void {
  const r = f.hw.submitDescriptors(descs);
  expect(r.processed).toBe(index);
  expect(r.error?.index).toBe(index);
  expect(r.error?.reason).toMatch(reason);
  expect(f.hw.qi.iqe).toBe(true);
  expect(f.hw.qi.errorIndex).toBe(index);
  expect(f.events.at(-1)).toMatchObject({ type: 'vtd.qi.stopped', data: { index } });
}

describe('context-cache invalidation (type 0x1)', () => {
  it.each([false, true])(
    'global, domain (performed as global) and device under FM 0..3; 256-bit form: %s',
    (wide) => {
      const { hw, hit, run, lastInvalidation } = rig();
      const all = [A, A3, A4, B, C];
      const warmCtx = () => {
        hw.caches.iotlbGlobal();
        for (const s of all) hit(s, 0x100);
      };
      warmCtx();
      expect(run(ccDesc(1, { wide }))).toEqual([5]);
      warmCtx();
      expect(run(ccDesc(2, { did: 2, wide }))).toEqual([5]);
      expect(lastInvalidation().granularity).toBe('domain-as-global');
      // FM 0: exactly 0x10; FM 1 ignores SID bit 2 (0x10, 0x14); FM 2 bits 2:1 (0x10, 0x14); FM 3 bits 2:0 (0x10, 0x13, 0x14).
      for (const [fm, n] of [
        [0, 1],
        [1, 2],
        [2, 2],
        [3, 3],
      ] as const) {
        warmCtx();
        expect(run(ccDesc(3, { sid: A, fm, wide })), `FM ${fm}`).toEqual([n]);
      }
    },
  );

  it('granularity 0 is invalid', () => {
    const { f } = rig();
    expectStopped(f, [ccDesc(0)], 0, /granularity 0/);
  });
});

describe('IOTLB invalidation (type 0x2)', () => {
  it.each([false, true])('global, domain-selective and page-selective with AM; 256-bit form: %s', (wide) => {
    const { hit, warm, run } = rig();
    warm([A, B, C]);
    // PSI: DID 1, pages 0x104..0x107 (AM 2). SL entries outside the range and other domains stay;
    // first-level entries of DID 1 go wholesale (an IOTLB descriptor cannot name them by address).
    run(iotlbDesc(3, 1, { vpn: 0x105, am: 2, wide }));
    expect([0x103, 0x104, 0x107, 0x108].map((v) => hit(A, v))).toEqual([true, false, false, true]);
    expect(hit(B, 0x105)).toBe(true);
    expect(hit(C, 0x10c)).toBe(false);
    // DSI: every entry of DID 1, none of DID 2.
    warm([A, B, C]);
    run(iotlbDesc(2, 1, { wide }));
    expect([hit(A, 0x100), hit(A, 0x10f), hit(C, 0x100), hit(B, 0x100)]).toEqual([false, false, false, true]);
    // Global: everything.
    warm([A, B, C]);
    run(iotlbDesc(1, 0, { wide }));
    expect([hit(A, 0x101), hit(B, 0x101), hit(C, 0x101)]).toEqual([false, false, false]);
  });

  it('AM up to MAMV is valid, above it the queue stops', () => {
    const { f, run } = rig({ mamv: 4 });
    run(iotlbDesc(3, 1, { vpn: 0, am: 4 }));
    expectStopped(f, [iotlbDesc(3, 1, { vpn: 0, am: 5 })], 0, /address mask 5 above CAP.MAMV 4/);
  });

  it('IH = 1 keeps the paging-structure caches, IH = 0 drops them over the range', () => {
    const a = rig();
    a.warm([A]);
    const leaf = a.run(iotlbDesc(3, 1, { vpn: 0x100, am: 2, ih: true }))[0]!;
    const b = rig();
    b.warm([A]);
    const all = b.run(iotlbDesc(3, 1, { vpn: 0x100, am: 2, ih: false }))[0]!;
    expect(leaf).toBe(4);
    expect(all).toBeGreaterThan(4);
    expect(a.hw.caches.slPsc!.counters().invalidated).toBe(0);
    expect(b.hw.caches.slPsc!.counters().invalidated).toBe(all - 4);
  });

  it('DR and DW (drain) are accepted and the invalidation still happens', () => {
    const { hit, warm, run } = rig();
    warm([A]);
    run(iotlbDesc(2, 1, { dr: true, dw: true }));
    expect(hit(A, 0x100)).toBe(false);
  });

  it('without CAP.PSI a page-selective request is performed domain-selective', () => {
    const { hit, warm, run, lastInvalidation } = rig({ psi: false });
    warm([A]);
    run(iotlbDesc(3, 1, { vpn: 0x100, am: 0 }));
    expect(lastInvalidation().granularity).toBe('domain');
    expect(hit(A, 0x10f)).toBe(false);
  });

  it('granularity 0 is invalid', () => {
    const { f } = rig();
    expectStopped(f, [iotlbDesc(0, 1)], 0, /granularity 0/);
  });
});

describe('device-TLB invalidation (types 0x3 and 0x8)', () => {
  it.each([false, true])(
    'type 0x3: S = 0 one page, S = 1 the ATS-encoded range, one device; 256-bit: %s',
    (wide) => {
      const { hit, warm, run } = rig();
      warm([A], true); // ATS translation requests fill the device-TLB of 0x10
      expect(hit(A, 0x100)).toBe(true);
      run(devTlbDesc(A, 0x100n << 12n, false, { wide }));
      // IOTLB entries stay: only a device-TLB hit reports `hit` for the device's own requests once the IOTLB is empty.
      run(iotlbDesc(1, 0, { wide }));
      expect([hit(A, 0x100), hit(A, 0x101)]).toEqual([false, true]);
      // S = 1 with ADDR[14:12] = 011b: 2^3 pages from 0x100.
      warm([A], true);
      run(iotlbDesc(1, 0, { wide }));
      run(devTlbDesc(A, 0x103n << 12n, true, { wide }));
      expect([0x100, 0x107, 0x108].map((v) => hit(A, v))).toEqual([false, false, true]);
    },
  );

  it('type 0x8: one PASID, or every PASID with G', () => {
    const { hit, warm, run } = rig();
    warm([A], true);
    run(iotlbDesc(1, 0, { wide: true }));
    // Requests without PASID are not tagged with PASID 5: nothing dropped.
    expect(run(pdevTlbDesc(A, 5, 0x100n << 12n))).toEqual([0]);
    expect(run(pdevTlbDesc(A, 5, 0x100n << 12n, { g: true }))).toEqual([1]);
    expect(hit(A, 0x100)).toBe(false);
    expect(run(pdevTlbDesc(A, 0, 0x107n << 12n, { g: true, s: true }))).toEqual([PAGES - 1]);
  });
});

describe('interrupt-entry cache (type 0x4)', () => {
  it.each([false, true])('global and index-selective are valid (nothing to drop); 256-bit: %s', (wide) => {
    const { run } = rig();
    expect(run(iecDesc(0, { wide }), iecDesc(1, { index: 7, im: 2, wide }))).toEqual([]);
  });
});

describe('invalidation wait (type 0x5)', () => {
  it.each([false, true])(
    'SW writes the status data, IF sets ICS.IWC, FN and PD are accepted; 256-bit: %s',
    (wide) => {
      const { f, run } = rig();
      const status = f.frames.alloc(1) + 0x40;
      run(waitDesc({ sw: true, data: 0x1234_5678, addr: status, wide }));
      expect(f.memory.read32(status)).toBe(0x1234_5678);
      expect(f.hw.qi.iwc).toBe(false);
      run(waitDesc({ intr: true, fn: true, pd: true, wide }));
      expect(f.hw.qi.iwc).toBe(true);
      expect(f.hw.qi.waits).toBe(2);
    },
  );

  it('a status address that cannot be written stops the queue', () => {
    const { f } = rig();
    expectStopped(f, [waitDesc({ sw: true, data: 1, addr: 2 ** 32 })], 0, /not backed/);
  });
});

describe('PASID-based IOTLB invalidation (type 0x6)', () => {
  it('PASID-selective and page-selective within the PASID drop first-level entries only', () => {
    const { hit, warm, run } = rig();
    warm([A, C]);
    run(piotlbDesc(3, 1, 0, { vpn: 0x100, am: 1 }));
    expect([0x100, 0x101, 0x102].map((v) => hit(C, v))).toEqual([false, false, true]);
    expect(hit(A, 0x100), 'second-level entries of the DID stay').toBe(true);
    run(piotlbDesc(2, 1, 0));
    expect([hit(C, 0x10f), hit(A, 0x10f)]).toEqual([false, true]);
  });

  it('granularities 0 and 1, AM above MAMV and the 128-bit form are invalid', () => {
    for (const [d, why] of [
      [piotlbDesc(0, 1, 0), /granularity 0/],
      [piotlbDesc(1, 1, 0), /granularity 1/],
      [piotlbDesc(3, 1, 0, { am: 19 }), /above CAP.MAMV/],
      [piotlbDesc(2, 1, 0).slice(0, 2), /needs a 256-bit/],
    ] as const) {
      const { f } = rig();
      expectStopped(f, [d as Desc], 0, why);
    }
  });
});

describe('PASID-cache invalidation (type 0x7)', () => {
  it('domain-selective, PASID-selective and global; granularity 2 is invalid', () => {
    const { f, hw, hit, run } = rig();
    const all = [A, A3, A4, B, C];
    const warmPasid = () => {
      hw.caches.iotlbGlobal();
      for (const s of all) hit(s, 0x100);
    };
    warmPasid();
    expect(run(pcDesc(0, 1))).toEqual([4]);
    warmPasid();
    expect(run(pcDesc(1, 2, 0))).toEqual([1]);
    expect(run(pcDesc(1, 1, 7))).toEqual([0]);
    expect(run(pcDesc(3, 0))).toEqual([4]);
    expectStopped(f, [pcDesc(2, 1)], 0, /granularity 2/);
  });

  it('also drops the first-level paging-structure caches of its scope (vtd.md §4.1)', () => {
    const { hw, warm, run } = rig();
    const flPsc = hw.caches.flPsc!;
    const refill = () => {
      hw.caches.iotlbGlobal();
      warm([C]); // first level, RID_PASID 0, DID 1: every page walks and fills the FL PSC
    };
    for (const desc of [pcDesc(1, 1, 0), pcDesc(0, 1), pcDesc(3, 0)]) {
      refill();
      expect(flPsc.liveCount()).toBeGreaterThan(0);
      run(desc);
      expect(flPsc.liveCount()).toBe(0);
    }
    // Another DID or PASID leaves them.
    refill();
    const before = flPsc.liveCount();
    run(pcDesc(1, 1, 7), pcDesc(0, 2));
    expect(flPsc.liveCount()).toBe(before);
  });
});

describe('page group response (type 0x9)', () => {
  it('hands the response to the page-request side', () => {
    const { f, run } = rig();
    const seen: PageGroupResponse[] = [];
    f.hw.qi.onPageResponse = (r) => seen.push(r);
    const qw0 = 0x9n | 0x10n | 0x20n | (1n << 12n) | (0x10n << 16n) | (42n << 32n);
    run([qw0, 4n | (0x1ffn << 3n), 0xaan, 0xbbn]);
    expect(seen).toEqual([
      { sid: 0x10, pasid: 42, grpid: 0x1ff, code: 1, last: true, privateData: [0xaan, 0xbbn] },
    ]);
  });
});

describe('invalid descriptors', () => {
  const bad: readonly [string, Desc, RegExp][] = [
    ['type 0', [0x0n, 0n], /unknown descriptor type 0x0/],
    ['type 0xA', [0xan, 0n, 0n, 0n], /unknown descriptor type 0xa/],
    ['type 0xF', [0xfn, 0n], /unknown descriptor type 0xf/],
    ['type bits 6:4 (qw0 11:9) set', [0x2n | (1n << 9n) | (1n << 4n), 0n], /unknown descriptor type 0x12$/],
    ['type 0x3b (type[6:4] = 3)', [0xbn | (3n << 9n), 0n], /unknown descriptor type 0x3b$/],
    ['IOTLB qw0 reserved bit 8', [0x2n | (1n << 4n) | 0x100n, 0n], /reserved bits set in qw0/],
    ['IOTLB qw1 reserved bit 7', [0x2n | (3n << 4n), 0x80n], /reserved bits set in qw1/],
    ['context-cache qw1 non-zero', [0x1n | (1n << 4n), 1n], /reserved bits set in qw1/],
    ['256-bit IOTLB with qw3 set', [0x2n | (1n << 4n), 0n, 0n, 1n], /qw2\/qw3/],
    ['three qwords', [0x5n, 0n, 0n], /3 qwords/],
  ];

  it.each(bad)('%s: IQE set, the queue stops at that descriptor', (_name, d, why) => {
    const { f } = rig();
    const status = f.frames.alloc(1);
    const before = f.hw.qi.head;
    const descs = [
      waitDesc({ sw: true, data: 1, addr: status }),
      d,
      waitDesc({ sw: true, data: 2, addr: status }),
    ];
    expectStopped(f, descs, 1, why);
    // The descriptor before ran, the one after did not.
    expect(f.memory.read32(status)).toBe(1);
    expect(f.hw.qi.head).toBe(before + 1);
    // Nothing runs until software clears IQE.
    expect(f.hw.submitDescriptors([waitDesc({ sw: true, data: 3, addr: status })]).processed).toBe(0);
    expect(f.memory.read32(status)).toBe(1);
    f.hw.qi.clearError();
    expect(f.hw.submitDescriptors([waitDesc({ sw: true, data: 4, addr: status })]).error).toBeNull();
    expect(f.memory.read32(status)).toBe(4);
  });

  it('256-bit descriptors without ECAP.SMTS are invalid', () => {
    const { f } = rig({ smts: false }, false);
    expectStopped(f, [iotlbDesc(1, 0, { wide: true })], 0, /256-bit descriptor without ECAP.SMTS/);
  });
});
