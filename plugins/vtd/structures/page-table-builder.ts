/**
 * Builders of second-level and first-level page tables in simulated memory,
 * for tests, benches and the `vtd.pt.map` / `vtd.pt.unmap` commands. Cold
 * path. Tables are addressed through a TableSpace so nested first-level
 * tables (whose pointers are GPAs) can be built too.
 */
import type { FrameAllocator } from '../../../core/memory/frame-allocator.js';
import type { PhysMemory } from '../../../core/memory/phys-memory.js';

/** Where table pages come from and how a table pointer becomes a host page. */
export interface TableSpace {
  /** Allocates a zeroed table page; returns the page number entries will point to. */
  alloc(): number;
  /** Host page number holding the table that entries call `pfn`; undefined when unmapped. */
  resolve(pfn: number): number | undefined;
}

/** Tables in host physical memory (second-level tables, first-level tables of PGTT=001). */
export function hostSpace(frames: FrameAllocator): TableSpace {
  return { alloc: () => frames.alloc(1) / 4096, resolve: (pfn) => pfn };
}

export interface SlPerm {
  readonly r: boolean;
  readonly w: boolean;
  readonly x?: boolean;
  readonly snp?: boolean;
}

export interface FlPerm {
  /** R/W = 1 (writable). */
  readonly w: boolean;
  /** U/S = 1 (user accessible). */
  readonly u: boolean;
  /** XD = 1 (execute disabled). */
  readonly xd?: boolean;
}

const SPAN = [0, 1, 512, 262144];

function levelIndex(vpn: number, level: number): number {
  return Math.floor(vpn / 2 ** (9 * (level - 1))) % 512;
}

function writeEntry(
  mem: PhysMemory,
  hostPfn: number,
  idx: number,
  pfn: number,
  bits: number,
  hiBits = 0,
): void {
  const p = mem.pageForWrite(hostPfn);
  p[idx * 2] = ((pfn % 1048576) * 4096 + bits) >>> 0;
  p[idx * 2 + 1] = (Math.floor(pfn / 1048576) | hiBits) >>> 0;
}

/** Walks (creating tables) to the table holding the entry for `vpn` at `leafLevel`; returns its host page. */
function tableFor(
  mem: PhysMemory,
  space: TableSpace,
  rootPfn: number,
  levels: number,
  vpn: number,
  leafLevel: number,
  present: (lo: number) => boolean,
  tableBits: number,
): number {
  let table = rootPfn;
  for (let level = levels; level > leafLevel; level--) {
    const host = space.resolve(table);
    if (host === undefined) throw new RangeError(`page table 0x${table.toString(16)} is not mapped`);
    const idx = levelIndex(vpn, level);
    const p = mem.page(host);
    const lo = p?.[idx * 2] ?? 0;
    const hi = p?.[idx * 2 + 1] ?? 0;
    if (present(lo) && (lo & 0x80) === 0) {
      table = (hi & 0xfffff) * 1048576 + (lo >>> 12);
    } else {
      const next = space.alloc();
      writeEntry(mem, host, idx, next, tableBits);
      table = next;
    }
  }
  const host = space.resolve(table);
  if (host === undefined) throw new RangeError(`page table 0x${table.toString(16)} is not mapped`);
  return host;
}

function leafLevelOf(shift: number): number {
  if (shift === 12) return 1;
  if (shift === 21) return 2;
  if (shift === 30) return 3;
  throw new RangeError(`page size shift must be 12, 21 or 30, got ${shift}`);
}

function checkAligned(vpn: number, pfn: number, level: number): void {
  const span = SPAN[level]!;
  if (vpn % span !== 0 || pfn % span !== 0)
    throw new RangeError(`address not aligned to the ${2 ** (12 + 9 * (level - 1))}-byte page`);
}

/** Maps one second-level page (VT-d 9.8): non-leaf entries get R/W/X, the leaf the given permission. */
export function slMap(
  mem: PhysMemory,
  space: TableSpace,
  rootPfn: number,
  levels: number,
  vpn: number,
  pfn: number,
  shift: number,
  perm: SlPerm,
): void {
  const leaf = leafLevelOf(shift);
  checkAligned(vpn, pfn, leaf);
  const host = tableFor(mem, space, rootPfn, levels, vpn, leaf, (lo) => (lo & 3) !== 0, 7);
  const bits =
    (perm.r ? 1 : 0) | (perm.w ? 2 : 0) | (perm.x ? 4 : 0) | (leaf > 1 ? 0x80 : 0) | (perm.snp ? 0x800 : 0);
  writeEntry(mem, host, levelIndex(vpn, leaf), pfn, bits);
}

/** Maps one first-level page (x86-64 format): non-leaf entries P|R/W|U/S, the leaf the given bits. */
export function flMap(
  mem: PhysMemory,
  space: TableSpace,
  rootPfn: number,
  levels: number,
  vpn: number,
  pfn: number,
  shift: number,
  perm: FlPerm,
): void {
  const leaf = leafLevelOf(shift);
  checkAligned(vpn, pfn, leaf);
  const host = tableFor(mem, space, rootPfn, levels, vpn, leaf, (lo) => (lo & 1) !== 0, 7);
  const bits = 1 | (perm.w ? 2 : 0) | (perm.u ? 4 : 0) | (leaf > 1 ? 0x80 : 0);
  writeEntry(mem, host, levelIndex(vpn, leaf), pfn, bits, perm.xd ? 0x8000_0000 : 0);
}

/**
 * Clears the leaf entry that maps `vpn` (whatever its size). Returns the page
 * size shift it cleared, or 0 when nothing was mapped.
 */
export function unmapPage(
  mem: PhysMemory,
  space: TableSpace,
  rootPfn: number,
  levels: number,
  vpn: number,
  firstLevel: boolean,
): number {
  let table = rootPfn;
  for (let level = levels; level >= 1; level--) {
    const host = space.resolve(table);
    if (host === undefined) return 0;
    const p = mem.page(host);
    if (p === undefined) return 0;
    const i = levelIndex(vpn, level) * 2;
    const lo = p[i]!;
    const present = firstLevel ? (lo & 1) !== 0 : (lo & 3) !== 0;
    if (!present) return 0;
    if (level === 1 || (lo & 0x80) !== 0) {
      const w = mem.pageForWrite(host);
      w[i] = 0;
      w[i + 1] = 0;
      return 12 + 9 * (level - 1);
    }
    table = (p[i + 1]! & 0xfffff) * 1048576 + (lo >>> 12);
  }
  return 0;
}
