/**
 * Helpers that build SMMUv3 structures in simulated memory: stream tables,
 * STEs, CDs and VMSAv8-64 page tables. Used by tests, benchmarks and the
 * set-up commands (commands.ts). Cold path; throws RangeError on misuse.
 */
import type { FrameAllocator } from '../../core/memory/frame-allocator.js';
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { type CdFields, encodeCd } from './structures/cd.js';
import {
  encodeLeaf,
  encodeTable,
  firstBlockLevel,
  type LeafAttrs,
  levelShift,
  s1StartLevel,
  type TableAttrs,
} from './structures/descriptor.js';
import { encodeL1Std, encodeSte, type SteFields } from './structures/ste.js';

/** Where a stage's tables start, as the builder needs it. */
export interface TableRoot {
  readonly granule: number;
  readonly startLevel: number;
  /** Byte address of the start table (an IPA for a nested stage 1: pass `toPa`). */
  readonly table: number;
  /** Entries of the start table (concatenated tables for stage 2). */
  readonly startEntries: number;
}

export class SmmuBuilder {
  readonly mem: PhysMemory;
  readonly frames: FrameAllocator;

  constructor(mem: PhysMemory, frames: FrameAllocator) {
    this.mem = mem;
    this.frames = frames;
  }

  /** Allocates `bytes` of zeroed memory aligned to max(4 KiB, align). */
  alloc(bytes: number, align = 4096): number {
    const pages = Math.max(1, Math.ceil(bytes / 4096));
    return this.frames.alloc(pages, Math.max(1, Math.ceil(align / 4096)));
  }

  /** A stage-1 root for a 2^inputBits region with a fresh start table. */
  s1Root(granule: number, inputBits: number): TableRoot {
    const startLevel = s1StartLevel(granule, inputBits);
    const startEntries = 2 ** (inputBits - levelShift(granule, startLevel));
    return {
      granule,
      startLevel,
      table: this.alloc(Math.max(startEntries * 8, 2 ** granule), 2 ** granule),
      startEntries,
    };
  }

  /** A stage-2 root: start level from SL0 (reference A.4), concatenated tables as the IPA size needs. */
  s2Root(granule: number, ipaBits: number, sl0: number): TableRoot {
    const startLevel = granule === 12 ? 2 - sl0 : 3 - sl0;
    const startEntries = 2 ** (ipaBits - levelShift(granule, startLevel));
    const bytes = Math.max(startEntries * 8, 2 ** granule);
    return { granule, startLevel, table: this.alloc(bytes, bytes), startEntries };
  }

  writeDesc(pa: number, d: readonly [number, number]): void {
    const p = this.mem.pageForWrite(Math.floor(pa / 4096));
    const i = (pa % 4096) >>> 2;
    p[i] = d[0];
    p[i + 1] = d[1];
  }

  readDesc(pa: number): [number, number] {
    const p = this.mem.page(Math.floor(pa / 4096));
    if (p === undefined) throw new RangeError(`descriptor at 0x${pa.toString(16)} is not backed`);
    const i = (pa % 4096) >>> 2;
    return [p[i]!, p[i + 1]!];
  }

  /**
   * Maps input page `inPfn` (4 KiB units; the leaf covers its aligned block) to `outAddr` with a
   * leaf at `level`, creating tables on the way. `toPa` turns table addresses (IPAs in a nested
   * stage 1) into physical addresses for writing. Returns the leaf descriptor's address.
   */
  map(
    root: TableRoot,
    inPfn: number,
    outAddr: number,
    level: number,
    stage: 1 | 2,
    attrs: LeafAttrs = {},
    opts: { toPa?: (ipa: number) => number; tableAttrs?: TableAttrs; newTable?: () => number } = {},
  ): number {
    const g = root.granule;
    if (level < Math.max(root.startLevel, firstBlockLevel(g)) && level !== 3) {
      throw new RangeError(`no ${2 ** levelShift(g, level)}-byte block at level ${level} for granule 2^${g}`);
    }
    const toPa = opts.toPa ?? ((a: number) => a);
    let table = root.table;
    let entries = root.startEntries;
    for (let l = root.startLevel; l <= 3; l++) {
      const shift = levelShift(g, l);
      const idx = Math.floor(inPfn / 2 ** (shift - 12)) % entries;
      const pa = toPa(table + idx * 8);
      if (l === level) {
        this.writeDesc(pa, encodeLeaf(level, outAddr - (outAddr % 2 ** shift), stage, attrs));
        return pa;
      }
      const [lo, hi] = this.readDesc(pa);
      let next: number;
      if ((lo & 3) === 3) {
        next = (hi & 0xffff) * 0x1_0000_0000 + lo - (lo % 2 ** g);
      } else {
        next = opts.newTable ? opts.newTable() : this.alloc(2 ** g, 2 ** g);
        this.writeDesc(pa, encodeTable(next, opts.tableAttrs));
      }
      table = next;
      entries = 2 ** (g - 3);
    }
    throw new RangeError(`level ${level} not reached`);
  }

  /** A linear stream table of 2^log2 STEs; returns its base. */
  linearStreamTable(log2: number): number {
    return this.alloc(64 * 2 ** log2, Math.max(64 * 2 ** log2, 4096));
  }

  /** A 2-level stream table's level-1 array of 2^(log2 - split) descriptors; returns its base. */
  twoLevelStreamTable(log2: number, split: number): number {
    return this.alloc(8 * 2 ** Math.max(0, log2 - split));
  }

  /** Writes a level-1 descriptor pointing at a new level-2 table of 2^(span-1) STEs; returns the L2 base. */
  addL2(l1Base: number, l1Index: number, span: number): number {
    const l2 = this.alloc(64 * 2 ** (span - 1));
    const w = encodeL1Std({ Span: span, L2Ptr: l2 });
    this.writeDesc(l1Base + l1Index * 8, [w[0]!, w[1]!]);
    return l2;
  }

  writeSte(addr: number, f: Partial<SteFields>): void {
    this.mem.writeBytes(addr, new Uint8Array(encodeSte(f).buffer));
  }

  writeCd(addr: number, f: Partial<CdFields>): void {
    this.mem.writeBytes(addr, new Uint8Array(encodeCd(f).buffer));
  }
}

/** A CD with the fields Linux sets for a 48-bit 4K regime (V, AA64, A, R, IPS = OAS). */
export function linuxLikeCd(ttb0: number, asid: number, o: Partial<CdFields> = {}): Partial<CdFields> {
  return { V: 1, AA64: 1, A: 1, R: 1, T0SZ: 16, TG0: 0, EPD1: 1, IPS: 5, ASID: asid, TTB0: ttb0, ...o };
}

/** An STE for a stage-2 regime (S2AA64 = 1, S2R = 1, S2PS = 48 bits). */
export function s2Ste(
  root: TableRoot,
  ipaBits: number,
  vmid: number,
  o: Partial<SteFields> = {},
): Partial<SteFields> {
  const tg = root.granule === 12 ? 0 : root.granule === 16 ? 1 : 2;
  const sl0 = root.granule === 12 ? 2 - root.startLevel : 3 - root.startLevel;
  return {
    V: 1,
    Config: 0b110,
    S2VMID: vmid,
    S2T0SZ: 64 - ipaBits,
    S2SL0: sl0,
    S2TG: tg,
    S2PS: 5,
    S2AA64: 1,
    S2R: 1,
    S2TTB: root.table,
    ...o,
  };
}
