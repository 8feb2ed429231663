/**
 * Simulated physical memory: sparse 4 KiB pages behind a 2-level radix
 * directory of Uint32Array views (reference/perf-notes.md §3: ~4x faster per
 * page-table walk than a Map<pfn>). Pages inside `size` read as zero until
 * written; addresses at or beyond `size` are not backed, and `page()` returns
 * undefined for them, which walkers turn into fetch-error faults.
 *
 * Physical addresses are plain numbers (exact below 2^53); the directory
 * covers page frames below 2^32, i.e. up to 16 TiB of simulated memory.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
const WORDS_PER_PAGE = PAGE_SIZE / 4;
const LEAF_BITS = 14;
const LEAF_SIZE = 1 << LEAF_BITS;
const LEAF_MASK = LEAF_SIZE - 1;
export const MAX_MEMORY_BYTES = 2 ** 44;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('viommu-sim assumes a little-endian host (x86-64, arm64)');
}

export class PhysMemory {
  readonly size: number;
  readonly #dir: (Uint32Array | undefined)[][] = [];
  /** Number of 64-bit table-entry reads through read64 helpers; walkers add their own counts. */
  #pagesTouched = 0;

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
  }

  /** Pages materialised so far (written, or read through pageForWrite). */
  get pagesAllocated(): number {
    return this.#pagesTouched;
  }

  /** True when [pa, pa+len) lies inside backed memory. */
  isBacked(pa: number, len = 1): boolean {
    return pa >= 0 && len >= 0 && pa + len <= this.size;
  }

  /**
   * The page's words for reading, or undefined when the frame is not backed.
   * A backed page never written is returned as a shared zero page: do not write to it.
   */
  page(pfn: number): Uint32Array | undefined {
    const leaf = this.#dir[pfn >>> LEAF_BITS];
    const p = leaf?.[pfn & LEAF_MASK];
    if (p !== undefined) return p;
    return pfn * PAGE_SIZE < this.size && pfn >= 0 ? ZERO_PAGE : undefined;
  }

  /** The page's words for writing (allocated on first use). Throws outside backed memory. */
  pageForWrite(pfn: number): Uint32Array {
    if (!(pfn >= 0 && pfn * PAGE_SIZE < this.size)) {
      throw new RangeError(`physical page 0x${pfn.toString(16)} is outside the ${this.size}-byte memory`);
    }
    const hi = pfn >>> LEAF_BITS;
    let leaf = this.#dir[hi];
    if (leaf === undefined) {
      leaf = new Array(LEAF_SIZE);
      this.#dir[hi] = leaf;
    }
    let p = leaf[pfn & LEAF_MASK];
    if (p === undefined) {
      p = new Uint32Array(WORDS_PER_PAGE);
      leaf[pfn & LEAF_MASK] = p;
      this.#pagesTouched++;
    }
    return p;
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
    this.#dir.length = 0;
    this.#pagesTouched = 0;
    for (let i = 0; i < s.pfns.length; i++) this.pageForWrite(s.pfns[i]).set(s.pages[i]);
  }

  /** Frames that have been written, ascending: for snapshots and digests. */
  *writtenPages(): Generator<[pfn: number, words: Uint32Array]> {
    for (let hi = 0; hi < this.#dir.length; hi++) {
      const leaf = this.#dir[hi];
      if (leaf === undefined) continue;
      for (let lo = 0; lo < LEAF_SIZE; lo++) {
        const p = leaf[lo];
        if (p !== undefined) yield [hi * LEAF_SIZE + lo, p];
      }
    }
  }
}

const ZERO_PAGE = new Uint32Array(WORDS_PER_PAGE);

function checkAligned(pa: number, n: number): void {
  if (pa % n !== 0) throw new RangeError(`address 0x${pa.toString(16)} is not ${n}-byte aligned`);
}
