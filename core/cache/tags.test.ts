import { describe, expect, it, vi } from 'vitest';
import { SeededRng } from '../sim/rng.js';
import { TAG_LIMIT } from './cache-key.js';
import type { ReplacementPolicy } from './cache-options.js';
import { createTranslationCache } from './create-cache.js';
import type { TranslationCache } from './translation-cache.js';

/**
 * Context generations live in key word 1 as tags, and only TAG_LIMIT of them exist: a long run
 * of context invalidations makes the cache renumber its tags (retag). These tests drive a cache
 * past that point and check that nothing observable changes: live entries survive, invalidated
 * ones stay gone, and the counters count only what the caller invalidated.
 */
const CONFIGS: readonly { ways: 'full' | 4; policy: ReplacementPolicy }[] = [
  { ways: 'full', policy: 'lru' },
  { ways: 'full', policy: 'fifo' },
  { ways: 'full', policy: 'random' },
  { ways: 'full', policy: 'qemu' },
  { ways: 4, policy: 'lru' },
  { ways: 4, policy: 'random' },
];

const CHURN = TAG_LIMIT + 5000;

function make(ways: 'full' | 4, policy: ReplacementPolicy, entries = 4096): TranslationCache {
  return createTranslationCache({ entries, ways, policy, rng: new SeededRng(7), contexts: 8 });
}

for (const { ways, policy } of CONFIGS) {
  describe(`tags, ways=${ways}, ${policy}`, () => {
    it('a run of context invalidations longer than the tags keeps live entries and drops the rest', () => {
      const c = make(ways, policy);
      const retag = vi.spyOn(c as unknown as { retag(): void }, 'retag');
      for (let v = 0; v < 100; v++) c.insert(1, v, 0, 1000 + v, 3);
      c.insert(2, 7, 0, 70, 3);
      c.invalidateContext(2);
      c.insert(4, 9, 0, 90, 1);
      for (let i = 0; i < CHURN; i++) {
        c.insert(5, i % 50, 0, i, 3);
        c.invalidateContext(5);
      }
      c.insert(5, 3, 0, 33, 3);
      expect(retag).toHaveBeenCalled();
      for (let v = 0; v < 100; v++) expect(c.outPage[c.lookup(1, v, 0)]).toBe(1000 + v);
      expect(c.lookup(2, 7, 0)).toBe(-1);
      expect(c.outPage[c.lookup(4, 9, 0)]).toBe(90);
      expect(c.outPage[c.lookup(5, 3, 0)]).toBe(33);
      expect(c.lookup(5, 4, 0)).toBe(-1);
      expect(c.liveCount()).toBe(102);
      expect([c.liveCount(1), c.liveCount(2), c.liveCount(4), c.liveCount(5)]).toEqual([100, 0, 1, 1]);
      expect(c.counters().invalidated).toBe(1 + CHURN);
      expect(c.liveEntries().map((e) => [e.ctx, e.vpn, e.outPage])).toEqual([
        ...Array.from({ length: 100 }, (_, v) => [1, v, 1000 + v]),
        [4, 9, 90],
        [5, 3, 33],
      ]);
      // A state saved past the renumbering restores the same live entries.
      const d = make(ways, policy);
      d.loadState(c.saveState());
      expect(d.liveEntries()).toEqual(c.liveEntries());
      expect(d.lookup(2, 7, 0)).toBe(-1);
      expect(d.outPage[d.lookup(5, 3, 0)]).toBe(33);
      // Invalidation and range invalidation still find the renumbered entries.
      expect(c.invalidateRange(1, 10, 5)).toBe(5);
      expect(c.invalidateContext(4)).toBe(1);
      expect(c.liveCount()).toBe(96);
    });

    it('contexts dropped by invalidateAll stay dropped across a renumbering', () => {
      const c = make(ways, policy);
      c.insert(6, 1, 0, 11, 3);
      c.insert(3, 1, 0, 31, 3);
      expect(c.invalidateAll()).toBe(2);
      c.insert(3, 2, 0, 32, 3);
      for (let i = 0; i < CHURN; i++) {
        c.insert(5, i % 50, 0, i, 3);
        c.invalidateContext(5);
      }
      expect(c.lookup(6, 1, 0)).toBe(-1);
      expect(c.lookup(3, 1, 0)).toBe(-1);
      expect(c.outPage[c.lookup(3, 2, 0)]).toBe(32);
      expect(c.liveCount(6)).toBe(0);
      c.insert(6, 1, 0, 12, 3);
      expect(c.outPage[c.lookup(6, 1, 0)]).toBe(12);
      expect(c.liveCount()).toBe(2);
    });
  });
}

describe('tags, every one held by a live context', () => {
  it('a fill for one more context starts over, and counts what it dropped as invalidated', () => {
    const tags = TAG_LIMIT - 1; // tags 1 .. TAG_LIMIT - 1: tag 0 is never handed out
    const c = createTranslationCache({ entries: TAG_LIMIT + 8, ways: 'full', policy: 'lru' });
    for (let ctx = 0; ctx < tags; ctx++) c.insert(ctx, 5, 0, ctx, 3);
    expect(c.liveCount()).toBe(tags);
    c.insert(tags, 5, 0, 77, 3);
    expect(c.liveCount()).toBe(1);
    expect(c.counters().invalidated).toBe(tags);
    expect(c.lookup(0, 5, 0)).toBe(-1);
    expect(c.outPage[c.lookup(tags, 5, 0)]).toBe(77);
  });
});
