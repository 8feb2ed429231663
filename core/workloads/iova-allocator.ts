/**
 * IOVA allocation as Linux's IOVA allocator behaves for a driver's streaming DMA: a freed range
 * goes to a per-size cache and is handed out again first, last freed first (the rcache), so a
 * ring reuses a small set of IOVAs; a new range is cut below the previous ones otherwise.
 * Ranges are in 4 KiB pages.
 */
export class IovaAllocator {
  readonly #free = new Map<number, number[]>();
  #next: number;
  readonly #floor: number;

  /** Hands out pages below `topPfn` (exclusive), never below `floorPfn`. */
  constructor(topPfn: number, floorPfn: number) {
    this.#next = topPfn;
    this.#floor = floorPfn;
  }

  /** First page of a free range of `pages` pages, aligned to its size rounded up to a power of two (as alloc_iova). */
  alloc(pages: number): number {
    const cached = this.#free.get(pages);
    if (cached !== undefined && cached.length > 0) return cached.pop()!;
    let align = 1;
    while (align < pages) align *= 2;
    const start = Math.floor((this.#next - pages) / align) * align;
    if (start < this.#floor)
      throw new RangeError(`iova: the IOVA space below the top is exhausted (${pages} pages)`);
    this.#next = start;
    return start;
  }

  free(pfn: number, pages: number): void {
    let list = this.#free.get(pages);
    if (list === undefined) {
      list = [];
      this.#free.set(pages, list);
    }
    list.push(pfn);
  }
}
