import { describe, expect, it } from 'vitest';
import { ContextIds } from './context-ids.js';
import { KeyedCache } from './keyed-cache.js';

describe('KeyedCache', () => {
  it('caches values per (group, key) and invalidates a key range, a group or everything', () => {
    const c = new KeyedCache<{ ste: number }>({ entries: 64, policy: 'lru' });
    for (let sid = 0; sid < 10; sid++) c.set(0, sid, { ste: sid * 10 });
    c.set(7, 1, { ste: 71 });
    c.set(70000, 1, { ste: 700001 }); // groups are arbitrary ints (e.g. a 16-bit DID or more)
    expect(c.get(0, 3)?.ste).toBe(30);
    expect(c.get(7, 1)?.ste).toBe(71);
    expect(c.get(70000, 1)?.ste).toBe(700001);
    expect(c.get(5, 1)).toBeUndefined();
    expect(c.invalidateKeys(0, 2, 3)).toBe(3); // CFGI_STE_RANGE-like
    expect(c.get(0, 3)).toBeUndefined();
    expect(c.get(0, 5)?.ste).toBe(50);
    expect(c.invalidateGroup(7)).toBe(1);
    expect(c.get(7, 1)).toBeUndefined();
    expect(c.invalidateKey(0, 9)).toBe(1);
    expect(c.size).toBe(7);
    expect(c.invalidateAll()).toBe(7);
    expect(c.get(0, 5)).toBeUndefined();
    const k = c.counters();
    expect([k.lookups, k.hits, k.misses, k.fills, k.invalidated]).toEqual([8, 4, 4, 12, 12]);
  });

  it('evicts by policy at capacity', () => {
    const c = new KeyedCache<string>({ entries: 2, policy: 'fifo' });
    c.set(0, 1, 'a');
    c.set(0, 2, 'b');
    c.set(0, 3, 'c');
    expect([c.get(0, 1), c.get(0, 2), c.get(0, 3)]).toEqual([undefined, 'b', 'c']);
    expect(c.counters().evictions).toBe(1);
  });
});

describe('ContextIds', () => {
  it('interns pairs into dense ids and reuses released ids deterministically', () => {
    const ids = new ContextIds();
    expect(ids.intern(5, 0)).toBe(0);
    expect(ids.intern(5, 0xfffff)).toBe(1);
    expect(ids.intern(6, 0)).toBe(2);
    expect(ids.intern(5, 0)).toBe(0);
    expect(ids.find(6, 0)).toBe(2);
    expect(ids.find(6, 1)).toBe(-1);
    expect(ids.withFirst(5)).toEqual([0, 1]);
    expect(ids.release(1)).toBe(true);
    expect(ids.release(1)).toBe(false);
    expect(ids.find(5, 0xfffff)).toBe(-1);
    expect(ids.intern(9, 9)).toBe(1);
    expect([ids.first(1), ids.second(1), ids.size]).toEqual([9, 9, 3]);
    expect(() => ids.intern(2 ** 21, 0)).toThrow(RangeError);
  });
});
