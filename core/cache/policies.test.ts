import { describe, expect, it, vi } from 'vitest';
import { SeededRng } from '../sim/rng.js';
import { LIST_ORDER_MAX_ENTRIES, type ReplacementPolicy } from './cache-options.js';
import { createTranslationCache } from './create-cache.js';
import { OpenAddressingCache } from './open-cache.js';
import type { TranslationCache } from './translation-cache.js';

/** Cache with `entries` entries, single context 0, 4 KiB entries with outPage = vpn + 1000. */
function make(policy: ReplacementPolicy, entries: number, ways: number | 'full' = 'full', seed = 1) {
  return createTranslationCache({ entries, ways, policy, rng: new SeededRng(seed) });
}

function put(c: TranslationCache, vpn: number, ctx = 0): number {
  return c.insert(ctx, vpn, 0, vpn + 1000, 3);
}

/** VPNs still cached in context 0, ascending. */
function present(c: TranslationCache): number[] {
  return c.liveEntries().map((e) => e.vpn);
}

for (const ways of ['full', 3] as const) {
  describe(`replacement with ways=${ways} (one set of 3)`, () => {
    it('lru evicts the least recently used entry', () => {
      const c = make('lru', 3, ways);
      put(c, 10);
      put(c, 20);
      put(c, 30);
      expect(c.lookup(0, 10, 0)).toBeGreaterThanOrEqual(0); // 10 becomes most recent
      put(c, 40);
      expect(present(c)).toEqual([10, 30, 40]);
      expect(c.counters().evictions).toBe(1);
    });

    it('lru counts a re-fill of a live key as a use', () => {
      const c = make('lru', 3, ways);
      put(c, 10);
      put(c, 20);
      put(c, 30);
      put(c, 10);
      put(c, 40);
      expect(present(c)).toEqual([10, 30, 40]);
    });

    it('fifo evicts the oldest fill even if it was just hit', () => {
      const c = make('fifo', 3, ways);
      put(c, 10);
      put(c, 20);
      put(c, 30);
      expect(c.lookup(0, 10, 0)).toBeGreaterThanOrEqual(0);
      put(c, 40);
      expect(present(c)).toEqual([20, 30, 40]);
      put(c, 50);
      expect(present(c)).toEqual([30, 40, 50]);
    });

    it('random evicts the entry the seeded rng picks, reproducibly', () => {
      for (let seed = 1; seed <= 20; seed++) {
        const c = make('random', 3, ways, seed);
        put(c, 10);
        put(c, 20);
        put(c, 30);
        put(c, 40);
        const victim = [10, 20, 30][new SeededRng(seed).below(3)];
        expect(present(c)).toEqual([10, 20, 30, 40].filter((v) => v !== victim));
      }
    });
  });
}

describe('qemu policy', () => {
  it('flushes everything when an insert finds the cache full', () => {
    const c = make('qemu', 4);
    for (const v of [1, 2, 3, 4]) put(c, v);
    expect(c.liveCount()).toBe(4);
    put(c, 2); // overwriting a live key is not an insert of a new key
    expect(c.liveCount()).toBe(4);
    put(c, 5);
    expect(present(c)).toEqual([5]);
    const k = c.counters();
    expect(k.evictions).toBe(4);
    expect(k.fills).toBe(6);
    expect(k.invalidated).toBe(0);
    for (const v of [1, 2, 3, 4]) expect(c.lookup(0, v, 0)).toBe(-1);
  });

  it('keeps working across many flushes (stale slots reused, table rebuilt)', () => {
    const c = make('qemu', 8);
    for (let v = 0; v < 1000; v++) put(c, v * 7919, v % 3);
    const live = (999 % 8) + 1; // a flush happens at inserts 9, 17, ...
    expect(c.liveCount()).toBe(live);
    expect(c.lookup(999 % 3, 999 * 7919, 0)).toBeGreaterThanOrEqual(0);
    expect(c.lookup((1000 - live - 1) % 3, (1000 - live - 1) * 7919, 0)).toBe(-1);
    expect(c.counters().evictions).toBe(1000 - live);
  });

  it('is refused with a set-associative layout', () => {
    expect(() => make('qemu', 8, 4)).toThrow(RangeError);
  });
});

describe('set-associative eviction stays inside a set', () => {
  it('direct-mapped: never more live entries than slots, latest insert always hits', () => {
    const c = make('lru', 16, 1);
    for (let v = 0; v < 500; v++) {
      put(c, v * 13);
      expect(c.lookup(0, v * 13, 0)).toBeGreaterThanOrEqual(0);
      expect(c.liveCount()).toBeLessThanOrEqual(16);
    }
    const k = c.counters();
    expect(k.fills - k.evictions).toBe(c.liveCount());
  });
});

describe('open addressing keeps policy order through a rebuild', () => {
  it('lru victim is still right after tombstones force a rehash', () => {
    const rehash = vi.spyOn(OpenAddressingCache.prototype as unknown as { rehash(): void }, 'rehash');
    const c = make('lru', 5);
    put(c, 10);
    put(c, 20);
    put(c, 30);
    // Entries of context 1 and 2, removed one by one or by generation, leave tombstones and
    // stale slots until a rebuild clears them.
    for (let i = 0; i < 40; i++) {
      put(c, 1000 + 3 * i, 1);
      put(c, 5000 + 3 * i, 2);
      expect(c.invalidateRange(1, 1000 + 3 * i, 1)).toBe(1);
      expect(c.invalidateContext(2)).toBe(1);
    }
    expect(rehash).toHaveBeenCalled();
    rehash.mockRestore();
    c.lookup(0, 20, 0);
    c.lookup(0, 10, 0);
    put(c, 40);
    put(c, 50);
    put(c, 60); // evicts 30, the least recently used
    expect(present(c)).toEqual([10, 20, 40, 50, 60]);
    expect(c.counters().evictions).toBe(1);
  });
});

describe('argument checks', () => {
  it('rejects out-of-range keys and configurations', () => {
    const c = make('lru', 4);
    expect(() => c.insert(-1, 0, 0, 0, 0)).toThrow(RangeError);
    expect(() => c.insert(32767, 0, 0, 0, 0)).toThrow(RangeError);
    expect(() => c.insert(0, 2 ** 45, 0, 0, 0)).toThrow(RangeError);
    expect(() => c.insert(0, 0, 3, 0, 0)).toThrow(RangeError);
    expect(() => createTranslationCache({ entries: 10, ways: 4, policy: 'lru' })).toThrow(RangeError);
    expect(() => createTranslationCache({ entries: 10, policy: 'random' })).toThrow(RangeError);
    expect(c.lookup(0, 2 ** 46, 0)).toBe(-1);
  });
});

describe('context ids no entry was filled for', () => {
  it('miss and count a miss, past the per-context arrays too, and after invalidateAll', () => {
    for (const ways of ['full', 4] as const) {
      const c = createTranslationCache({ entries: 8, ways, policy: 'lru', contexts: 4 });
      put(c, 10, 1);
      put(c, 11, 1);
      c.insert(2, 512, 1, 9000, 3); // a 2 MiB entry: context 2 holds another size
      for (const ctx of [0, 3, 4, 100, 32766]) {
        expect(c.lookup(ctx, 10, 0)).toBe(-1);
        expect(c.lookupAny(ctx, 10)).toBe(-1);
      }
      expect(c.outputFor(c.lookupAny(2, 700), 700)).toBe(9000 + 700 - 512);
      expect(c.counters().misses).toBe(10);
      c.invalidateAll();
      expect(c.lookupAny(1, 10)).toBe(-1);
      expect(c.lookupAny(2, 700)).toBe(-1);
      expect(c.lookup(1, 11, 0)).toBe(-1);
      put(c, 12, 1);
      expect(c.outPage[c.lookupAny(1, 12)]).toBe(1012);
      expect(c.lookupAny(1, 10)).toBe(-1);
    }
  });
});

describe('use ticks running out', () => {
  // An lru cache ordered by ticks keeps them in int32; near 2^31 they are renumbered 1..n in order.
  it('lru by ticks: renumbering keeps the eviction order', () => {
    const c = createTranslationCache({ entries: 4, policy: 'lru', lruOrder: 'ticks' });
    put(c, 10);
    put(c, 20);
    put(c, 30);
    put(c, 40);
    (c as unknown as { clock: number }).clock = 0x7fff_fff0 - 1;
    expect(c.lookup(0, 20, 0)).toBeGreaterThanOrEqual(0); // tick 0x7fffffef
    expect(c.lookup(0, 10, 0)).toBeGreaterThanOrEqual(0); // renumbers first
    put(c, 50);
    put(c, 60);
    expect((c as unknown as { clock: number }).clock).toBeLessThan(10);
    // The order was 30, 40, 20, 10: evicts 30 and 40.
    expect(present(c)).toEqual([10, 20, 50, 60]);
  });
});

describe('lru order: list or ticks', () => {
  it('picks a list for small caches and ticks above LIST_ORDER_MAX_ENTRIES, unless told', () => {
    const ticked = (c: TranslationCache) => (c as unknown as { ticks: Int32Array }).ticks.length > 0;
    expect(ticked(make('lru', LIST_ORDER_MAX_ENTRIES))).toBe(false);
    expect(ticked(make('lru', LIST_ORDER_MAX_ENTRIES + 1))).toBe(true);
    expect(ticked(createTranslationCache({ entries: 8, policy: 'lru', lruOrder: 'ticks' }))).toBe(true);
    expect(() => createTranslationCache({ entries: 8, policy: 'lru', lruOrder: 'heap' as never })).toThrow(
      /lruOrder/,
    );
  });
});
