/**
 * Helpers that build AMD-Vi structures in PhysMemory, for tests and for the
 * set-up commands in commands.ts. They write what Linux's AMD driver would
 * write (IR/IW=1 on directory entries, NextLevel-7 PTEs replicated over the
 * slots a large page covers), plus the level skipping Linux never builds.
 */
import type { FrameAllocator } from '../../core/memory/frame-allocator.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { u64ToWords } from './structures/bits.js';
import { DTE_BYTES, type Dte, encodeDte } from './structures/dte.js';
import { encodePte, levelShift, nl7AddrPfn, type Pte } from './structures/pte.js';

/** Writes 64-bit word `q` at byte address `pa` (8-byte aligned). */
export function writeU64(mem: PhysMemory, pa: number, q: bigint): void {
  const [lo, hi] = u64ToWords(q);
  const page = mem.pageForWrite(Math.floor(pa / 4096));
  const i = (pa % 4096) / 4;
  page[i] = lo;
  page[i + 1] = hi;
}

/** Writes the DTE of `deviceId` in the device table at byte address `devTabBase`. */
export function writeDte(mem: PhysMemory, devTabBase: number, deviceId: number, dte: Dte): void {
  const q = encodeDte(dte);
  for (let i = 0; i < 4; i++) writeU64(mem, devTabBase + deviceId * DTE_BYTES + i * 8, q[i]!);
}

export interface MapOptions {
  ir?: boolean;
  iw?: boolean;
  /**
   * Level skipping: when a new directory entry is needed at a level, point it
   * this many levels further down than the next level (0 = no skipping). The
   * skipped IOVA bits of the mapped address must be zero.
   */
  skip?: number;
}

/** A v1 page table of `mode` levels (1..6) whose tables come from `frames`. */
export class V1TableBuilder {
  readonly mem: PhysMemory;
  readonly frames: FrameAllocator;
  readonly mode: number;
  /** Root table as a page frame number. */
  readonly rootPfn: number;

  constructor(mem: PhysMemory, frames: FrameAllocator, mode: number, rootPfn?: number) {
    if (!Number.isInteger(mode) || mode < 1 || mode > 6)
      throw new RangeError(`mode: ${mode} is not a v1 table depth (1..6)`);
    this.mem = mem;
    this.frames = frames;
    this.mode = mode;
    this.rootPfn = rootPfn ?? frames.alloc() / 4096;
  }

  /** Writes one entry of the table at `tablePfn`. */
  setPte(tablePfn: number, index: number, pte: Pte): void {
    writeU64(this.mem, tablePfn * 4096 + index * 8, encodePte(pte));
  }

  /**
   * Maps the 2^shift-byte page at `iovaPfn` to `paPfn` (both aligned to the page).
   * Default level sizes get NextLevel 0; other sizes NextLevel 7, replicated
   * over every slot the page covers. Throws when a path crosses an existing leaf.
   */
  map(iovaPfn: number, paPfn: number, shift: number, o: MapOptions = {}): void {
    const pages = 2 ** (shift - 12);
    if (shift < 12 || iovaPfn % pages !== 0 || paPfn % pages !== 0) {
      throw new RangeError(
        `map: 2^${shift}-byte page at iova pfn 0x${iovaPfn.toString(16)} / pa pfn 0x${paPfn.toString(16)} is not aligned`,
      );
    }
    let leafLevel = 1;
    while (levelShift(leafLevel) + 9 <= shift) leafLevel++;
    if (leafLevel > this.mode)
      throw new RangeError(`map: a 2^${shift}-byte page does not fit a ${this.mode}-level table`);
    const nl7 = shift !== levelShift(leafLevel);
    const table = this.#tableFor(iovaPfn, leafLevel, o.skip ?? 0);
    const span = 2 ** (9 * (leafLevel - 1));
    const first = Math.floor(iovaPfn / span) % 512;
    const slots = nl7 ? 2 ** (shift - levelShift(leafLevel)) : 1;
    const pte: Pte = {
      pr: true,
      a: false,
      d: false,
      nextLevel: nl7 ? 7 : 0,
      addrPfn: nl7 ? nl7AddrPfn(paPfn, shift) : paPfn,
      u: false,
      fc: false,
      ir: o.ir ?? true,
      iw: o.iw ?? true,
    };
    for (let i = 0; i < slots; i++) this.setPte(table, first + i, pte);
  }

  /** Clears the entry mapping `iovaPfn` at `level` (a PDE or a leaf slot), as an unmap would. */
  clear(iovaPfn: number, level: number): boolean {
    const at = this.entryAddress(iovaPfn, level);
    if (at === undefined) return false;
    writeU64(this.mem, at, 0n);
    return true;
  }

  /** Byte address of the entry at `level` on the path to `iovaPfn`, or undefined when the path ends earlier. */
  entryAddress(iovaPfn: number, level: number): number | undefined {
    const where = this.#find(iovaPfn, level);
    return where === undefined ? undefined : where.tablePfn * 4096 + where.index * 8;
  }

  #find(iovaPfn: number, level: number): { tablePfn: number; index: number } | undefined {
    let table = this.rootPfn;
    let l = this.mode;
    for (;;) {
      const index = Math.floor(iovaPfn / 2 ** (9 * (l - 1))) % 512;
      if (l === level) return { tablePfn: table, index };
      const q = this.mem.read64(table * 4096 + index * 8) ?? 0n;
      const nl = Number((q >> 9n) & 7n);
      if ((q & 1n) === 0n || nl === 0 || nl === 7 || nl < level) return undefined;
      table = Number((q >> 12n) & 0xff_ffff_ffffn);
      l = nl;
    }
  }

  /** The table at `level` on the path to `iovaPfn`, creating directories as needed. */
  #tableFor(iovaPfn: number, level: number, skip: number): number {
    let table = this.rootPfn;
    let l = this.mode;
    while (l > level) {
      const index = Math.floor(iovaPfn / 2 ** (9 * (l - 1))) % 512;
      const pa = table * 4096 + index * 8;
      const q = this.mem.read64(pa) ?? 0n;
      if ((q & 1n) === 1n) {
        const nl = Number((q >> 9n) & 7n);
        if (nl === 0 || nl === 7)
          throw new RangeError(`map: iova pfn 0x${iovaPfn.toString(16)} is inside an existing large page`);
        if (nl < level) throw new RangeError(`map: a directory at level ${l} skips past level ${level}`);
        table = Number((q >> 12n) & 0xff_ffff_ffffn);
        l = nl;
        continue;
      }
      // A new directory: skip levels only where the skipped index bits of this IOVA are zero.
      let next = l - 1;
      for (let k = 0; k < skip && next - 1 >= level; k++) {
        const bits = Math.floor(iovaPfn / 2 ** (9 * (next - 1))) % 512;
        if (bits !== 0) break;
        next--;
      }
      const child = this.frames.alloc() / 4096;
      this.setPte(table, index, {
        pr: true,
        a: false,
        d: false,
        nextLevel: next,
        addrPfn: child,
        u: false,
        fc: false,
        ir: true,
        iw: true,
      });
      table = child;
      l = next;
    }
    return table;
  }
}
