import { describe, expect, it } from 'vitest';
import { IovaAllocator } from './iova-allocator.js';

describe('IovaAllocator', () => {
  it('cuts size-aligned ranges downwards from the top', () => {
    const a = new IovaAllocator(0x1000, 0x100);
    expect(a.alloc(1)).toBe(0xfff);
    expect(a.alloc(8)).toBe(0xff0);
    expect(a.alloc(3)).toBe(0xfec); // 3 pages aligned to 4
  });

  it('hands out the last freed range of a size first, as the IOVA caches do', () => {
    const a = new IovaAllocator(0x1000, 0x100);
    const x = a.alloc(2);
    const y = a.alloc(2);
    a.free(x, 2);
    a.free(y, 2);
    expect(a.alloc(2)).toBe(y);
    expect(a.alloc(2)).toBe(x);
    expect(a.alloc(1)).not.toBe(x); // other sizes do not share the cache
  });

  it('refuses to go below the floor', () => {
    const a = new IovaAllocator(0x104, 0x100);
    a.alloc(4);
    expect(() => a.alloc(1)).toThrow(/exhausted/);
  });
});
