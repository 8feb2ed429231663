import { describe, expect, it, vi } from 'vitest';
import { createTranslationCache } from './create-cache.js';
import type { TranslationCache } from './translation-cache.js';

const SZ_4K = 0;
const SZ_2M = 1;
const SZ_1G = 2;

for (const ways of ['full', 4] as const) {
  const make = (entries = 4096): TranslationCache => createTranslationCache({ entries, ways, policy: 'lru' });

  describe(`invalidation, ways=${ways}`, () => {
    it('context invalidation drops only that context and counts its live entries', () => {
      const c = make();
      for (let v = 0; v < 100; v++) c.insert(1, v, SZ_4K, v, 3);
      for (let v = 0; v < 50; v++) c.insert(2, v, SZ_4K, v + 7, 3);
      expect(c.invalidateContext(1)).toBe(100);
      expect(c.lookup(1, 5, SZ_4K)).toBe(-1);
      expect(c.outPage[c.lookup(2, 5, SZ_4K)]).toBe(12);
      expect(c.liveCount(1)).toBe(0);
      expect(c.liveCount()).toBe(50);
      expect(c.invalidateContext(1)).toBe(0);
      expect(c.invalidateContext(9)).toBe(0);
      expect(c.counters().invalidated).toBe(100);
      c.insert(1, 5, SZ_4K, 55, 1); // the context is usable again at once
      expect(c.outPage[c.lookup(1, 5, SZ_4K)]).toBe(55);
      expect(c.liveCount(1)).toBe(1);
    });

    it('global invalidation drops everything, and contexts refill afterwards', () => {
      const c = make();
      for (let v = 0; v < 30; v++) c.insert(v % 3, v, SZ_4K, v, 3);
      expect(c.invalidateAll()).toBe(30);
      for (let v = 0; v < 30; v++) expect(c.lookup(v % 3, v, SZ_4K)).toBe(-1);
      expect(c.liveCount()).toBe(0);
      expect(c.liveCount(0)).toBe(0);
      c.insert(0, 3, SZ_4K, 9, 3);
      expect(c.lookupAny(0, 3)).toBeGreaterThanOrEqual(0);
      expect(c.lookupAny(1, 4)).toBe(-1);
      expect(c.counters().invalidated).toBe(30);
    });

    it('range invalidation removes entries inside the range and large pages overlapping it', () => {
      const c = make();
      c.insert(0, 512, SZ_2M, 0x4000, 3); // covers 512..1023
      c.insert(0, 1024, SZ_4K, 1, 3);
      c.insert(0, 1025, SZ_4K, 2, 3);
      c.insert(0, 1030, SZ_4K, 3, 3);
      c.insert(1, 1025, SZ_4K, 4, 3); // other context
      // [1000, 1026): overlaps the 2 MiB page's tail, 1024 and 1025; not 1030.
      expect(c.invalidateRange(0, 1000, 26)).toBe(3);
      expect(c.liveEntries().map((e) => [e.ctx, e.vpn])).toEqual([
        [0, 1030],
        [1, 1025],
      ]);
      expect(c.counters().invalidated).toBe(3);
    });

    it('probes per page for small ranges and walks the context list for large ones', () => {
      const c = make();
      for (let v = 0; v < 64; v++) c.insert(0, v * 2, SZ_4K, v, 3);
      const find = vi.spyOn(c as unknown as { findSlot(): number }, 'findSlot');
      expect(c.invalidateRange(0, 10, 4)).toBe(2); // 4 probes < 64 entries: probe
      expect(find).toHaveBeenCalledTimes(4);
      find.mockClear();
      expect(c.invalidateRange(0, 0, 512)).toBe(62); // 512 probes > 62 entries: list walk
      expect(find).not.toHaveBeenCalled();
      expect(c.liveCount(0)).toBe(0);
    });

    it('filters by size code and aux0', () => {
      const c = make();
      c.insert(0, 0, SZ_1G, 100, 3, 1);
      c.insert(0, 0, SZ_2M, 200, 3, 2);
      c.insert(0, 0, SZ_4K, 300, 3, 1);
      c.insert(0, 1, SZ_4K, 301, 3, 2);
      expect(c.invalidateRange(0, 0, 1, { sizeMask: 1 << SZ_2M })).toBe(1);
      expect(c.invalidateWhere(0, { aux0Mask: 3, aux0Value: 1 })).toBe(2);
      expect(c.liveEntries().map((e) => e.outPage)).toEqual([301]);
    });

    it('lookupAny prefers the smallest page present and computes the output inside a large page', () => {
      const c = make();
      c.insert(0, 700, SZ_2M, 0x10000, 3); // aligned down to 512
      expect(c.vpnOf(c.lookup(0, 600, SZ_2M))).toBe(512);
      let s = c.lookupAny(0, 700);
      expect(c.sizeOf(s)).toBe(SZ_2M);
      expect(c.outputFor(s, 700)).toBe(0x10000 + 188);
      c.insert(0, 700, SZ_4K, 7, 3);
      s = c.lookupAny(0, 700);
      expect(c.sizeOf(s)).toBe(SZ_4K);
      expect(c.outputFor(s, 700)).toBe(7);
      expect(c.lookupAny(0, 1024)).toBe(-1);
      const k = c.counters();
      expect([k.lookups, k.hits, k.misses]).toEqual([4, 3, 1]);
    });

    it('keeps VPNs above 2^32 and large contexts apart', () => {
      const c = make();
      const big = 2 ** 44 + 5;
      c.insert(32766, big, SZ_4K, 2 ** 51 + 1, 3);
      c.insert(32766, 5, SZ_4K, 9, 3);
      expect(c.outPage[c.lookup(32766, big, SZ_4K)]).toBe(2 ** 51 + 1);
      expect(c.outPage[c.lookup(32766, 5, SZ_4K)]).toBe(9);
      expect(c.lookup(0, big, SZ_4K)).toBe(-1);
      expect(c.invalidateRange(32766, big, 1)).toBe(1);
      expect(c.lookup(32766, 5, SZ_4K)).toBeGreaterThanOrEqual(0);
    });
  });
}
