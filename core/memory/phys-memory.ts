/**
 * Simulated physical memory: sparse 4 KiB pages. A page's words live in a pool
 * of fixed chunks (CHUNK_PAGES pages each, never moved), and an index maps a
 * page frame to its place in the pool: one flat Int32Array for memories of up
 * to 2^24 pages (64 GiB), a radix of Int32Array leaves above that. A page-table
 * walk therefore costs an index read and a word read per level, not a chase
 * through per-page view objects (reference/perf-notes.md §3: the radix of views
 * is ~2.3x a flat read; measured for this layout in BENCHMARKS.md).
 *
 * Pages inside `size` read as zero until written; addresses at or beyond `size`
 * are not backed, and the readers return -1 / undefined for them, which walkers
 * turn into fetch-error faults. Physical addresses are plain numbers (exact
 * below 2^53); memory is at most 2^44 bytes, so page frames are below 2^32.
 *
 * Two ways to read:
 * - hot paths (page walks): the pool index of a frame, `flatIndex[pfn]` below
 *   `flatIndex.length` and `pageIndex(pfn)` otherwise; the page's words are then
 *   `chunks[chunkOf(index)][wordBase(index) + 0..1023]` (read `flatIndex` and
 *   `chunks` once per walk: see plugins/vtd/walk/sl-walk.ts);
 * - everything else: `page(pfn)`, a Uint32Array view of the page's 1024 words.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
const WORDS_PER_PAGE = PAGE_SIZE / 4;
export const MAX_MEMORY_BYTES = 2 ** 44;
/** Pages per pool chunk (256 KiB); chunkOf() writes the shift as a literal. */
const CHUNK_BITS = 6;
const CHUNK_PAGES = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_PAGES - 1;
/** Memories of up to this many pages get one flat index. */
const FLAT_INDEX_PAGES = 2 ** 24;
const RADIX_BITS = 16;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('viommu-sim assumes a little-endian host (x86-64, arm64)');
}

/**
 * Word offset of pool page `index` within its chunk (see PhysMemory.pageIndex).
 * The 10 is log2 of the 1024 words in a page.
 */
export function wordBase(index: number): number {
  return (index & CHUNK_MASK) << 10;
}

/** Which chunk of `PhysMemory.chunks` holds pool page `index` (a literal shift: see CHUNK_BITS). */
export function chunkOf(index: number): number {
  return index >>> 6;
}

export class PhysMemory {
  readonly size: number;
  /** Pages in memory: frames 0 .. pageCount - 1 are backed. */
  readonly #pageCount: number;
  /**
   * Frame -> pool index (0: never written). The flat index covers every frame of a memory of up
   * to FLAT_INDEX_PAGES pages and is empty otherwise; larger memories use the radix.
   */
  readonly #flat: Int32Array;
  readonly #radix: (Int32Array | undefined)[] = [];
  /** Pool chunks; pool index 0 is a page that stays zero (what a never-written frame reads). */
  #chunks: Uint32Array[] = [];
  /** Per pool index, the page view handed out by page()/pageForWrite(), made on first use. */
  #views: (Uint32Array | undefined)[] = [];
  /** Next pool index to hand out. */
  #next = 1;

  constructor(sizeBytes: number) {
    if (
      !Number.isSafeInteger(sizeBytes) ||
      sizeBytes <= 0 ||
      sizeBytes > MAX_MEMORY_BYTES ||
      sizeBytes % PAGE_SIZE
    ) {
      throw new RangeError(
        `memory size must be a positive multiple of 4096 up to 2^44 bytes, got ${sizeBytes}`,
      );
    }
    this.size = sizeBytes;
    this.#pageCount = sizeBytes / PAGE_SIZE;
    this.#flat = new Int32Array(this.#pageCount <= FLAT_INDEX_PAGES ? this.#pageCount : 0);
    this.#chunks.push(new Uint32Array(CHUNK_PAGES * WORDS_PER_PAGE));
  }

  /** Pages materialised so far (written, or read through pageForWrite). */
  get pagesAllocated(): number {
    return this.#next - 1;
  }

  /** True when [pa, pa+len) lies inside backed memory. */
  isBacked(pa: number, len = 1): boolean {
    return pa >= 0 && len >= 0 && pa + len <= this.size;
  }

  /**
   * Pool index of frame `pfn` for the hot readers: -1 when the frame is not backed, 0 when it
   * was never written (its words read as zero; never write them), else the page's own index.
   * Its words are `chunk(index)[wordBase(index) + w]` for w in 0..1023.
   */
  pageIndex(pfn: number): number {
    if (!(pfn >= 0 && pfn < this.#pageCount)) return -1;
    const flat = this.#flat;
    if (pfn < flat.length) return flat[pfn]!;
    const leaf = this.#radix[pfn >>> RADIX_BITS];
    return leaf === undefined ? 0 : leaf[pfn & RADIX_MASK]!;
  }

  /** The pool chunk holding the words of pool page `index` (from pageIndex, >= 0). */
  chunk(index: number): Uint32Array {
    return this.#chunks[index >>> CHUNK_BITS]!;
  }

  /**
   * For walkers, read once per walk: the flat frame index (empty above 2^24 pages) and the pool
   * chunks. A frame below `flatIndex.length` has pool index `flatIndex[pfn]`; any other frame
   * asks pageIndex(). Valid until the next pageForWrite or loadState.
   */
  get flatIndex(): Int32Array {
    return this.#flat;
  }

  get chunks(): readonly Uint32Array[] {
    return this.#chunks;
  }

  /**
   * The page's words for reading, or undefined when the frame is not backed.
   * A backed page never written is returned as a shared zero page: do not write to it.
   */
  page(pfn: number): Uint32Array | undefined {
    const g = this.pageIndex(pfn);
    if (g <= 0) return g === 0 ? ZERO_PAGE : undefined;
    return this.#views[g] ?? this.#view(g);
  }

  /** The page's words for writing (allocated on first use). Throws outside backed memory. */
  pageForWrite(pfn: number): Uint32Array {
    let g = this.pageIndex(pfn);
    if (g < 0) {
      throw new RangeError(`physical page 0x${pfn.toString(16)} is outside the ${this.size}-byte memory`);
    }
    if (g === 0) {
      g = this.#next++;
      if (g >>> CHUNK_BITS === this.#chunks.length)
        this.#chunks.push(new Uint32Array(CHUNK_PAGES * WORDS_PER_PAGE));
      if (pfn < this.#flat.length) this.#flat[pfn] = g;
      else {
        const hi = pfn >>> RADIX_BITS;
        let leaf = this.#radix[hi];
        if (leaf === undefined) {
          leaf = new Int32Array(1 << RADIX_BITS);
          this.#radix[hi] = leaf;
        }
        leaf[pfn & RADIX_MASK] = g;
      }
    }
    return this.#views[g] ?? this.#view(g);
  }

  #view(g: number): Uint32Array {
    const base = wordBase(g);
    const v = this.chunk(g).subarray(base, base + WORDS_PER_PAGE);
    this.#views[g] = v;
    return v;
  }

  /** Reads a 32-bit little-endian word at a 4-byte aligned address; undefined if not backed. */
  read32(pa: number): number | undefined {
    const p = this.page(Math.floor(pa / PAGE_SIZE));
    return p === undefined ? undefined : p[(pa % PAGE_SIZE) >>> 2];
  }

  write32(pa: number, value: number): void {
    checkAligned(pa, 4);
    this.pageForWrite(Math.floor(pa / PAGE_SIZE))[(pa % PAGE_SIZE) >>> 2] = value >>> 0;
  }

  /** Reads an aligned 64-bit word as a bigint (cold paths only); undefined if not backed. */
  read64(pa: number): bigint | undefined {
    checkAligned(pa, 8);
    const p = this.page(Math.floor(pa / PAGE_SIZE));
    if (p === undefined) return undefined;
    const i = (pa % PAGE_SIZE) >>> 2;
    return (BigInt(p[i + 1]!) << 32n) | BigInt(p[i]!);
  }

  /** Writes an aligned 64-bit word given as a bigint (cold paths only). */
  write64(pa: number, value: bigint): void {
    checkAligned(pa, 8);
    const p = this.pageForWrite(Math.floor(pa / PAGE_SIZE));
    const i = (pa % PAGE_SIZE) >>> 2;
    p[i] = Number(value & 0xffff_ffffn);
    p[i + 1] = Number((value >> 32n) & 0xffff_ffffn);
  }

  /** Copies bytes out; throws if any byte is not backed. */
  readBytes(pa: number, len: number): Uint8Array {
    if (!this.isBacked(pa, len))
      throw new RangeError(`read of ${len} bytes at 0x${pa.toString(16)} leaves memory`);
    const out = new Uint8Array(len);
    for (let done = 0; done < len; ) {
      const addr = pa + done;
      const pfn = Math.floor(addr / PAGE_SIZE);
      const off = addr % PAGE_SIZE;
      const n = Math.min(len - done, PAGE_SIZE - off);
      const p = this.page(pfn)!;
      out.set(new Uint8Array(p.buffer, p.byteOffset + off, n), done);
      done += n;
    }
    return out;
  }

  /** Copies bytes in; throws if any byte is not backed. */
  writeBytes(pa: number, bytes: Uint8Array): void {
    if (!this.isBacked(pa, bytes.length)) {
      throw new RangeError(`write of ${bytes.length} bytes at 0x${pa.toString(16)} leaves memory`);
    }
    for (let done = 0; done < bytes.length; ) {
      const addr = pa + done;
      const pfn = Math.floor(addr / PAGE_SIZE);
      const off = addr % PAGE_SIZE;
      const n = Math.min(bytes.length - done, PAGE_SIZE - off);
      const p = this.pageForWrite(pfn);
      new Uint8Array(p.buffer, p.byteOffset + off, n).set(bytes.subarray(done, done + n));
      done += n;
    }
  }

  /** Every materialised page (zero ones too: they count in pagesAllocated), for snapshots. */
  saveState(): { pfns: number[]; pages: Uint32Array[] } {
    const pfns: number[] = [];
    const pages: Uint32Array[] = [];
    for (const [pfn, words] of this.writtenPages()) {
      pfns.push(pfn);
      pages.push(words);
    }
    return { pfns, pages };
  }

  /** Replaces the contents by a saved state (same memory size). */
  loadState(s: { pfns: readonly number[]; pages: readonly Uint32Array[] }): void {
    this.#flat.fill(0);
    this.#radix.length = 0;
    this.#chunks = [new Uint32Array(CHUNK_PAGES * WORDS_PER_PAGE)];
    this.#views = [];
    this.#next = 1;
    for (let i = 0; i < s.pfns.length; i++) this.pageForWrite(s.pfns[i]).set(s.pages[i]);
  }

  /** Frames that have been written, ascending: for snapshots and digests. */
  *writtenPages(): Generator<[pfn: number, words: Uint32Array]> {
    const flat = this.#flat;
    for (let pfn = 0; pfn < flat.length; pfn++) if (flat[pfn] !== 0) yield [pfn, this.page(pfn)!];
    for (let hi = 0; hi < this.#radix.length; hi++) {
      const leaf = this.#radix[hi];
      if (leaf === undefined) continue;
      for (let lo = 0; lo <= RADIX_MASK; lo++) {
        if (leaf[lo] !== 0) yield [hi * (RADIX_MASK + 1) + lo, this.page(hi * (RADIX_MASK + 1) + lo)!];
      }
    }
  }
}

const ZERO_PAGE = new Uint32Array(WORDS_PER_PAGE);

function checkAligned(pa: number, n: number): void {
  if (pa % n !== 0) throw new RangeError(`address 0x${pa.toString(16)} is not ${n}-byte aligned`);
}
