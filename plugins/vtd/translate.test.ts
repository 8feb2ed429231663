import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_KIND, NO_PASID, TranslationRequest, TranslationResult } from '../../core/model/translation.js';
import { DEFAULT_CACHE_OPTIONS, QEMU_CACHE_OPTIONS, type VtdCacheOptions } from './caches/cache-options.js';
import { referenceTranslate } from './reference-walker.js';
import { type AttachMode, attachDevice, createDomain, initRootTable, nestedSpace } from './setup.js';
import { flMap, hostSpace, slMap } from './structures/page-table-builder.js';
import { makeFixture } from './testing/test-unit.js';

const TINY: VtdCacheOptions = {
  context: { entries: 2, ways: 'full', policy: 'fifo' },
  pasid: { entries: 2, ways: 'full', policy: 'random' },
  iotlb: { entries: 8, ways: 2, policy: 'lru' },
  slPsc: { entries: 4, ways: 'full', policy: 'lru' },
  flPsc: { entries: 4, ways: 2, policy: 'random' },
  devTlb: { entries: 4, ways: 'full', policy: 'lru' },
};

type Mode = 'legacy-sl' | 'legacy-pt' | AttachMode;

const mapping = fc.record({
  region: fc.integer({ min: 0, max: 3 }),
  page: fc.integer({ min: 0, max: 2047 }),
  size: fc.constantFrom(12, 12, 21, 30),
  out: fc.integer({ min: 0, max: 2 ** 20 }),
  r: fc.boolean(),
  w: fc.boolean(),
  x: fc.boolean(),
  u: fc.boolean(),
  xd: fc.boolean(),
});

const request = fc.record({
  pick: fc.integer({ min: 0, max: 1000 }),
  delta: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 }), fc.integer({ min: -2, max: 600 })),
  access: fc.constantFrom(1, 2, 3, 1, 2, 4, 9, 10, 15),
  pasid: fc.constantFrom(NO_PASID, NO_PASID, NO_PASID, NO_PASID, NO_PASID, NO_PASID, 0, 1, 70),
  ats: fc.boolean(),
  random: fc.boolean(),
});

const scenario = fc.record({
  mode: fc.constantFrom<Mode>('legacy-sl', 'legacy-pt', 'sl', 'pt', 'fl', 'nested'),
  slLevels: fc.constantFrom<3 | 4 | 5>(3, 4, 5),
  flLevels: fc.constantFrom<4 | 5>(4, 5),
  bases: fc.array(fc.integer({ min: 0, max: 2 ** 26 }), { minLength: 4, maxLength: 4 }),
  maps: fc.array(mapping, { minLength: 1, maxLength: 12 }),
  flips: fc.array(
    fc.record({
      page: fc.nat(),
      word: fc.integer({ min: 0, max: 1023 }),
      // Half the flips land on the low word of an entry that holds something (an entry on some
      // walk's path), and two thirds of all on a flag bit: P/R, W, X, U/S, PS, A, D, SNP.
      inUse: fc.boolean(),
      bit: fc.oneof(
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 31 }) },
        { weight: 2, arbitrary: fc.constantFrom(0, 1, 2, 7, 8, 9, 11) },
      ),
    }),
    {
      maxLength: 3,
    },
  ),
  requests: fc.array(request, { minLength: 1, maxLength: 25 }),
  cm: fc.boolean(),
  sllps: fc.integer({ min: 0, max: 3 }),
  fl1gp: fc.boolean(),
  sre: fc.boolean(),
  ere: fc.boolean(),
  slade: fc.boolean(),
  caches: fc.constantFrom(DEFAULT_CACHE_OPTIONS, TINY, QEMU_CACHE_OPTIONS),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(s: Scenario) {
  const f = makeFixture({ caps: { cm: s.cm, sllps: s.sllps, fl1gp: s.fl1gp }, caches: s.caches });
  const { hw, memory, frames } = f;
  const scalable = !s.mode.startsWith('legacy');
  initRootTable(hw, scalable);
  const levels = s.slLevels;
  const d = createDomain(hw, 1, levels, s.mode === 'nested');
  const sid = 0x0310;
  const mode: AttachMode = s.mode === 'legacy-sl' ? 'sl' : s.mode === 'legacy-pt' ? 'pt' : s.mode;
  const { flptptr } = attachDevice(hw, sid, 1, mode, {
    flLevels: s.flLevels,
    sre: s.sre,
    ere: s.ere,
    slade: s.slade,
    ats: true,
  });
  const host = hostSpace(frames);
  const first = s.mode === 'fl' || s.mode === 'nested';
  const inBits = first ? 9 * s.flLevels : 9 * (levels - 1) + 9;
  const vpns: number[] = [];
  for (const m of s.maps) {
    const span = 2 ** (m.size - 12);
    const vpn = Math.floor(((s.bases[m.region]! * 4096 + m.page * span) % 2 ** inBits) / span) * span;
    const pfn = m.out * span;
    vpns.push(vpn);
    try {
      if (!first) slMap(memory, host, d.slptptr / 4096, levels, vpn, pfn, m.size, { r: m.r, w: m.w, x: m.x });
      else {
        const space = s.mode === 'nested' ? nestedSpace(hw, d) : host;
        flMap(memory, space, flptptr! / 4096, s.flLevels, vpn, pfn, m.size, { w: m.w, u: m.u, xd: m.xd });
        if (s.mode === 'nested') {
          const gpa = pfn % 2 ** (9 * levels);
          const hpa = ((m.out * 7) % 2 ** 20) * span;
          slMap(memory, host, d.slptptr / 4096, levels, gpa, hpa, m.size, {
            r: m.r || m.x,
            w: m.w || m.r,
            x: true,
          });
        }
      }
    } catch {
      // a page size the builder cannot place (e.g. out of simulated table memory): skip it
    }
  }
  const pages = [...memory.writtenPages()].map(([pfn]) => pfn);
  const inUse: [pfn: number, word: number][] = [];
  for (const pfn of pages) {
    const w = memory.page(pfn)!;
    for (let i = 0; i < w.length; i += 2) if (w[i] !== 0) inUse.push([pfn, i]);
  }
  for (const fl of s.flips) {
    const [pfn, word] =
      fl.inUse && inUse.length > 0
        ? inUse[fl.page % inUse.length]!
        : [pages[fl.page % pages.length]!, fl.word];
    const w = memory.pageForWrite(pfn);
    w[word] = (w[word]! ^ (1 << fl.bit)) >>> 0;
  }
  return { ...f, sid, vpns };
}

describe('translate() against the uncached reference walker', () => {
  it('gives the same output, page size, permission and fault reason, cached or not', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { hw, memory, sid, vpns } = build(s);
        const req = new TranslationRequest();
        const out = new TranslationResult();
        for (const r of [...s.requests, ...s.requests]) {
          const vpn = r.random ? r.pick * 7919 : Math.max(0, vpns[r.pick % vpns.length]! + r.delta);
          req.sid = sid;
          req.pasid = r.pasid;
          req.iovaPfn = vpn;
          req.offset = 0x123;
          req.access = r.access;
          req.ats = r.ats;
          const ref = referenceTranslate(memory, hw.caps, hw, {
            sid,
            pasid: r.pasid,
            vpn,
            access: req.access,
            ats: r.ats,
          });
          const kind = hw.translate(req, out);
          const label = JSON.stringify({
            mode: s.mode,
            vpn,
            access: req.access,
            pasid: r.pasid,
            ats: r.ats,
            hit: out.hit,
          });
          if (ref.code === -1) {
            expect(kind, label).toBe(FAULT_KIND.NOT_MODELLED);
            continue;
          }
          expect(out.archCode, label).toBe(ref.code);
          if (ref.code === 0) {
            expect(kind, label).toBe(0);
            expect(out.outPfn, label).toBe(ref.outPfn);
            expect(out.perm, label).toBe(ref.perm);
            expect(out.offset).toBe(0x123);
            // A device-TLB hit may hold a larger page than the IOMMU's current view only after an
            // unflushed change; with no changes here both agree.
            expect(out.pageShift, label).toBe(ref.shift);
            for (const a of ref.ad) {
              const v = memory.read64(a.pa)!;
              expect(v & a.bits, `${label} A/D at 0x${a.pa.toString(16)}`).toBe(a.bits);
            }
          } else {
            expect(kind, label).not.toBe(0);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('paging-structure caches', () => {
  // The second-level PSC caches the table a walk reached at each level (size code c: the entry of
  // level c + 2, covering 2^(9(c+1)) pages). A miss on another page under the same cached entry
  // resumes below it, whatever the page's offset inside that entry's span.
  it.each([3, 4] as const)('a %i-level walk resumes from the PSC for an unaligned page', (levels) => {
    const f = makeFixture();
    initRootTable(f.hw, true);
    const d = createDomain(f.hw, 1, levels, false);
    const sid = 0x0310;
    attachDevice(f.hw, sid, 1, 'sl');
    const host = hostSpace(f.frames);
    const base = 0x4_0000; // 2^18 pages: aligned to a level-3 entry's span
    for (const p of [0x13, 0x14, 0x37])
      slMap(f.memory, host, d.slptptr / 4096, levels, base + p, 0x900 + p, 12, { r: true, w: true });
    const req = new TranslationRequest();
    const out = new TranslationResult();
    req.sid = sid;
    req.pasid = NO_PASID;
    req.access = 1;
    const reads = (vpn: number): number => {
      req.iovaPfn = vpn;
      expect(f.hw.translate(req, out)).toBe(0);
      expect(out.outPfn).toBe(0x900 + vpn - base);
      expect(out.hit).toBe(false);
      return out.memReads;
    };
    const first = reads(base + 0x13); // context and PASID entries, then the whole walk
    expect(reads(base + 0x37)).toBe(1); // the leaf only: level 2's entry came from the PSC
    expect(reads(base + 0x14)).toBe(1);
    expect(first).toBeGreaterThan(levels);
  });
});

describe('nested translation with second-level A/D (SLADE)', () => {
  /** Byte address of the 4-level SL leaf entry that maps guest page `gfn`. */
  function slLeafPa(memory: ReturnType<typeof makeFixture>['memory'], rootPfn: number, gfn: number): number {
    let table = rootPfn;
    for (let level = 4; level > 1; level--) {
      const e = memory.read64(table * 4096 + 8 * (Math.floor(gfn / 2 ** (9 * (level - 1))) % 512))!;
      table = Number((e >> 12n) & 0xff_ffff_ffffn);
    }
    return table * 4096 + 8 * (gfn % 512);
  }

  it('an FL entry A/D update is a write to its table page: the SL leaf mapping that page gets D', () => {
    const f = makeFixture();
    initRootTable(f.hw, true);
    const d = createDomain(f.hw, 1, 4, true);
    const sid = 0x0310;
    const { flptptr } = attachDevice(f.hw, sid, 1, 'nested', { flLevels: 4, slade: true });
    const host = hostSpace(f.frames);
    const vpn = 0x1234;
    const gpa = 0x5_0000;
    flMap(f.memory, nestedSpace(f.hw, d), flptptr! / 4096, 4, vpn, gpa, 12, { w: true, u: true });
    slMap(f.memory, host, d.slptptr / 4096, 4, gpa, 0x7_0000, 12, { r: true, w: true });
    const rootGfn = flptptr! / 4096;
    const slRootLeaf = slLeafPa(f.memory, d.slptptr / 4096, rootGfn);
    const A = 1n << 8n;
    const D = 1n << 9n;
    expect(f.memory.read64(slRootLeaf)! & (A | D)).toBe(0n);
    const req = new TranslationRequest();
    const out = new TranslationResult();
    req.sid = sid;
    req.pasid = NO_PASID;
    req.iovaPfn = vpn;
    req.access = 1;
    expect(f.hw.translate(req, out)).toBe(0);
    expect(out.outPfn).toBe(0x7_0000);
    // The FL root entry got A, so its page was written: A and D in the SL leaf that maps it.
    expect(f.memory.read64(slRootLeaf)! & (A | D)).toBe(A | D);
    // The output page was only read: A, no D.
    const outLeaf = slLeafPa(f.memory, d.slptptr / 4096, gpa);
    expect(f.memory.read64(outLeaf)! & (A | D)).toBe(A);
  });
});

describe('cache counters count what served the request', () => {
  function flWorld() {
    const f = makeFixture();
    initRootTable(f.hw, true);
    createDomain(f.hw, 1, 4, false);
    const sid = 0x0310;
    const { flptptr } = attachDevice(f.hw, sid, 1, 'fl', { ats: true });
    flMap(f.memory, hostSpace(f.frames), flptptr! / 4096, 4, 0x100, 0x3000, 12, { w: true, u: true });
    const req = new TranslationRequest();
    const out = new TranslationResult();
    const go = (access: number, ats = false) => {
      req.sid = sid;
      req.pasid = 0;
      req.iovaPfn = 0x100;
      req.access = access;
      req.ats = ats;
      expect(f.hw.translate(req, out)).toBe(0);
      return out.hit;
    };
    return { f, sid, go };
  }

  it('an IOTLB entry a write cannot use (D not set yet) is a miss: the write walks and refills', () => {
    const { f, go } = flWorld();
    go(1);
    const before = f.hw.caches.iotlb.counters();
    expect(go(2)).toBe(false);
    const after = f.hw.caches.iotlb.counters();
    expect([after.hits - before.hits, after.misses - before.misses, after.fills - before.fills]).toEqual([
      0, 1, 1,
    ]);
    expect(go(2)).toBe(true); // now D is set: a hit
    expect(f.hw.caches.iotlb.counters().hits).toBe(after.hits + 1);
  });

  it('the device-TLB comes with the first ATS request and counts an unusable entry as a miss', () => {
    const { f, sid, go } = flWorld();
    const t = () => f.hw.caches.devTlb[sid]!.counters();
    go(1); // untranslated: the device has asked for no translation, so it caches none (as in QEMU)
    expect(f.hw.caches.devTlb[sid]).toBeUndefined();
    expect(f.hw.caches.counters().devTlb).toMatchObject({ lookups: 0, misses: 0 });
    go(1, true); // ATS read makes and fills the device-TLB
    go(2); // a write cannot use an entry filled by a read: to the IOMMU
    expect(t()).toMatchObject({ lookups: 1, hits: 0, misses: 1 });
    go(1);
    expect(t()).toMatchObject({ lookups: 2, hits: 1, misses: 1 });
  });
});
