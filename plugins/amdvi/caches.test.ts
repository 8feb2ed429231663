import { describe, expect, it } from 'vitest';
import { NO_PASID } from '../../core/model/translation.js';
import { SeededRng } from '../../core/sim/rng.js';
import { AmdviIotlb, AUX0_SHIFT_MASK, DteCache } from './caches.js';

const all = { all: true, basePfn: 0, pages: 2 ** 52 };

describe('AmdviIotlb', () => {
  it('tags entries by DomainID, and by (DomainID, PASID) for GN: GN flushes touch only their PASID', () => {
    const t = new AmdviIotlb({ entries: 64, policy: 'lru', ways: 'full' }, new SeededRng(1));
    t.insert(1, 0x10, NO_PASID, 0x100, 0x900, 12, 3);
    t.insert(1, 0x10, 5, 0x100, 0xa00, 12, 3);
    t.insert(1, 0x10, 6, 0x100, 0xb00, 12, 3);
    t.insert(2, 0x11, NO_PASID, 0x100, 0xc00, 12, 3);
    expect(t.outputFor(t.lookupGuest(1, 5, 0x100), 0x100)).toBe(0xa00);
    expect(t.invalidatePages(1, 5, all)).toBe(1);
    expect(t.lookupGuest(1, 5, 0x100)).toBe(-1);
    expect(t.outputFor(t.lookupGuest(1, 6, 0x100), 0x100)).toBe(0xb00);
    // Any device of domain 1 finds the host entry.
    expect(t.outputFor(t.lookupHost(1, 0x12, 0x100), 0x100)).toBe(0x900);
    expect(t.invalidatePages(1, NO_PASID, all)).toBe(1);
    expect(t.lookupHost(1, 0x10, 0x100)).toBe(-1);
    expect(t.lookupGuest(1, 6, 0x100)).toBeGreaterThanOrEqual(0);
    expect(t.lookupHost(2, 0x11, 0x100)).toBeGreaterThanOrEqual(0);
  });

  it('caches a NextLevel-7 page as the aligned block of the largest listed size inside it', () => {
    const t = new AmdviIotlb({ entries: 64, policy: 'lru', ways: 'full' }, new SeededRng(1));
    // A 2^14-page (64 MiB) page at iova pfn 0x40000 -> out 0x80000, reached at pfn 0x40000 + 0x1234.
    t.insert(3, 0x10, NO_PASID, 0x41234, 0x80000, 26, 1);
    const s = t.lookupHost(3, 0x10, 0x41235);
    expect(t.outputFor(s, 0x41235)).toBe(0x81235);
    expect(t.cache.aux0[s]).toBe(26);
    // Cached as a 2 MiB block: a pfn of the same page outside that block misses.
    expect(t.lookupHost(3, 0x10, 0x40000)).toBe(-1);
  });

  it('drops a page cached as smaller blocks whole when a range touches any part of it', () => {
    const t = new AmdviIotlb({ entries: 64, policy: 'lru', ways: 'full' }, new SeededRng(1));
    // Two 2 MiB blocks of the 64 MiB page at pfn 0x40000, a 4 KiB page inside its span of
    // another domain, and a 4 KiB page just after it.
    t.insert(3, 0x10, NO_PASID, 0x41234, 0x80000, 26, 1);
    t.insert(3, 0x10, NO_PASID, 0x43fff, 0x80000, 26, 1);
    t.insert(4, 0x11, NO_PASID, 0x40000, 0x90000, 12, 1);
    t.insert(3, 0x10, NO_PASID, 0x44000, 0xa0000, 12, 1);
    // One 4 KiB page inside the 64 MiB page but in neither cached block.
    expect(t.invalidatePages(3, NO_PASID, { all: false, basePfn: 0x42000, pages: 1 })).toBe(2);
    expect(t.lookupHost(3, 0x10, 0x41234)).toBe(-1);
    expect(t.lookupHost(3, 0x10, 0x43fff)).toBe(-1);
    expect(t.lookupHost(3, 0x10, 0x44000)).toBeGreaterThanOrEqual(0);
    expect(t.lookupHost(4, 0x11, 0x40000)).toBeGreaterThanOrEqual(0);
    // Past the page: nothing of it is named, nothing of it goes.
    t.insert(3, 0x10, NO_PASID, 0x41234, 0x80000, 26, 1);
    expect(t.invalidatePages(3, NO_PASID, { all: false, basePfn: 0x45000, pages: 0x1000 })).toBe(0);
    expect(t.lookupHost(3, 0x10, 0x41234)).toBeGreaterThanOrEqual(0);
  });

  it("the 'qemu' policy keys 4 KiB frames only and flushes when full", () => {
    const t = new AmdviIotlb({ entries: 4, policy: 'qemu', ways: 'full' }, new SeededRng(1));
    t.insert(1, 0x10, NO_PASID, 0x200, 0x400, 21, 3);
    expect(t.lookupHost(1, 0x10, 0x201)).toBe(-1);
    for (let i = 1; i < 4; i++) t.insert(1, 0x10, NO_PASID, 0x200 + i, 0x400, 21, 3);
    expect(t.cache.liveCount()).toBe(4);
    t.insert(1, 0x10, NO_PASID, 0x300, 0x500, 12, 3);
    expect(t.cache.liveCount()).toBe(1);
  });

  it("the 'qemu' policy keys by (DeviceID, gfn); a page invalidation drops the DomainID's entries of every device", () => {
    const t = new AmdviIotlb({ entries: 64, policy: 'qemu', ways: 'full' }, new SeededRng(1));
    t.insert(1, 0x10, NO_PASID, 0x100, 0x900, 12, 3);
    expect(t.lookupHost(1, 0x11, 0x100)).toBe(-1);
    t.insert(1, 0x11, NO_PASID, 0x100, 0x900, 12, 3);
    t.insert(1, 0x11, NO_PASID, 0x200, 0x901, 12, 3);
    // Device 0x12 moved from domain 1 to domain 2 without a flush: it keeps both, as QEMU does.
    t.insert(1, 0x12, NO_PASID, 0x300, 0x902, 12, 3);
    t.insert(2, 0x12, NO_PASID, 0x400, 0x903, 12, 3);
    expect(t.lookupHost(2, 0x12, 0x300)).toBeGreaterThanOrEqual(0);
    expect(t.cache.aux0[t.lookupHost(2, 0x12, 0x300)]! & AUX0_SHIFT_MASK).toBe(12);
    expect(t.invalidatePages(1, NO_PASID, { all: false, basePfn: 0x500, pages: 1 })).toBe(4);
    expect(t.cache.liveCount()).toBe(1);
    expect(t.outputFor(t.lookupHost(2, 0x12, 0x400), 0x400)).toBe(0x903);
    expect(t.invalidatePages(1, NO_PASID, all)).toBe(0);
    expect(t.invalidatePages(2, NO_PASID, all)).toBe(1);
  });

  it('a restored state invalidates as the saved one: split pages and the per-domain device index', () => {
    for (const policy of ['lru', 'qemu'] as const) {
      const a = new AmdviIotlb({ entries: 64, policy, ways: 'full' }, new SeededRng(1));
      a.insert(3, 0x10, NO_PASID, 0x41234, 0x80000, 26, 1);
      a.insert(3, 0x11, NO_PASID, 0x43fff, 0x80000, 26, 1);
      const b = new AmdviIotlb({ entries: 64, policy, ways: 'full' }, new SeededRng(1));
      b.loadState(structuredClone(a.saveState()));
      const range = { all: false, basePfn: 0x42000, pages: 1 };
      expect(b.invalidatePages(3, NO_PASID, range)).toBe(2);
      expect(a.invalidatePages(3, NO_PASID, range)).toBe(2);
      expect(b.cache.liveCount()).toBe(0);
    }
  });
});

describe('DteCache', () => {
  it('counts, invalidates one DeviceID or all', () => {
    const d = new DteCache();
    expect(d.lookup(5)).toBe(false);
    d.fill(5, 1, 3, 0x10, 7);
    d.fill(6, 1, 3, 0x10, 7);
    expect(d.lookup(5)).toBe(true);
    expect(d.invalidate(5)).toBe(1);
    expect(d.invalidate(5)).toBe(0);
    expect(d.invalidateAll()).toBe(1);
    expect(d.lookup(6)).toBe(false);
    expect(d.counters()).toMatchObject({ lookups: 3, hits: 1, misses: 2, fills: 2, invalidated: 2 });
  });
});
