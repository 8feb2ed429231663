import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkOf, PAGE_SIZE, PhysMemory, wordBase } from './phys-memory.js';

/**
 * The words of frame `pfn` as the walkers read them (flatIndex, else pageIndex; then the chunk),
 * or undefined if not backed.
 */
function hotWords(mem: PhysMemory, pfn: number): number[] | undefined {
  const flat = mem.flatIndex;
  const g = pfn >= 0 && pfn < flat.length ? flat[pfn]! : mem.pageIndex(pfn);
  if (g < 0) return undefined;
  const base = wordBase(g);
  expect(mem.chunks[chunkOf(g)]).toBe(mem.chunk(g));
  return Array.from(mem.chunk(g).subarray(base, base + 1024));
}

// 64 MiB takes the flat index; 2^40 bytes (2^28 pages) the radix.
const SIZES = [64 * 2 ** 20, 2 ** 40];

describe('PhysMemory', () => {
  for (const size of SIZES) {
    it(`reads back what was written, through page() and the pool alike (${size} bytes)`, () => {
      const pages = size / PAGE_SIZE;
      const write = fc.record({
        pfn: fc.oneof(fc.nat(63), fc.integer({ min: 0, max: pages - 1 })),
        word: fc.nat(1023),
        value: fc.nat(0xffffffff),
      });
      fc.assert(
        fc.property(
          fc.array(write, { maxLength: 200 }),
          fc.array(fc.nat(pages - 1), { maxLength: 20 }),
          (ws, probes) => {
            const mem = new PhysMemory(size);
            const model = new Map<number, number[]>();
            for (const w of ws) {
              mem.pageForWrite(w.pfn)[w.word] = w.value;
              const m = model.get(w.pfn) ?? new Array<number>(1024).fill(0);
              m[w.word] = w.value;
              model.set(w.pfn, m);
            }
            expect(mem.pagesAllocated).toBe(model.size);
            for (const pfn of [...model.keys(), ...probes]) {
              const want = model.get(pfn) ?? new Array<number>(1024).fill(0);
              expect(Array.from(mem.page(pfn)!)).toEqual(want);
              expect(hotWords(mem, pfn)).toEqual(want);
              expect(mem.pageIndex(pfn) === 0).toBe(!model.has(pfn));
            }
            expect([...mem.writtenPages()].map(([pfn]) => pfn)).toEqual(
              [...model.keys()].sort((a, b) => a - b),
            );
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it('writes through the pool show in the page views, and the other way round', () => {
    const mem = new PhysMemory(2 ** 30);
    const view = mem.pageForWrite(7);
    view[5] = 0xdeadbeef;
    const g = mem.pageIndex(7);
    expect(mem.chunk(g)[wordBase(g) + 5]).toBe(0xdeadbeef);
    mem.chunk(g)[wordBase(g) + 6] = 42;
    expect(mem.page(7)![6]).toBe(42);
  });

  it('fills chunk after chunk: pages in different chunks do not overlap', () => {
    const mem = new PhysMemory(2 ** 30);
    for (let pfn = 0; pfn < 300; pfn++) mem.pageForWrite(pfn * 3)[1023] = pfn + 1;
    for (let pfn = 0; pfn < 300; pfn++) expect(mem.page(pfn * 3)![1023]).toBe(pfn + 1);
    expect(mem.pagesAllocated).toBe(300);
  });

  it('frames at or beyond the size are not backed, including frames past 2^32', () => {
    for (const size of SIZES) {
      const mem = new PhysMemory(size);
      mem.pageForWrite(5)[0] = 1;
      const pages = size / PAGE_SIZE;
      for (const pfn of [pages, pages + 5, 2 ** 32 + 5, 2 ** 40, -1, Number.NaN]) {
        expect(mem.pageIndex(pfn)).toBe(-1);
        expect(mem.page(pfn)).toBeUndefined();
        expect(() => mem.pageForWrite(pfn)).toThrow(RangeError);
      }
    }
  });

  it('a never-written frame reads as zero from a page that stays zero', () => {
    const mem = new PhysMemory(2 ** 30);
    mem.pageForWrite(1).fill(0xffffffff);
    expect(mem.pageIndex(2)).toBe(0);
    expect(hotWords(mem, 2)!.every((w) => w === 0)).toBe(true);
    expect(mem.page(2)!.every((w) => w === 0)).toBe(true);
  });

  it('loadState restores a saved state into a memory that had other pages', () => {
    const a = new PhysMemory(2 ** 30);
    a.pageForWrite(3)[0] = 33;
    a.pageForWrite(900)[9] = 99;
    const saved = a.saveState();
    const b = new PhysMemory(2 ** 30);
    b.pageForWrite(4)[0] = 44;
    b.loadState({ pfns: saved.pfns, pages: saved.pages.map((p) => p.slice()) });
    expect(b.pagesAllocated).toBe(2);
    expect(b.page(3)![0]).toBe(33);
    expect(hotWords(b, 900)![9]).toBe(99);
    expect(b.pageIndex(4)).toBe(0);
    expect(b.page(4)![0]).toBe(0);
  });
});
