/**
 * The host ("v1") I/O page-table walk (AMD IOMMU spec "I/O Page Tables for
 * Host Translations"; reference smmuv3-amdvi.md B.3). Hot path: reads PTEs as
 * two 32-bit words from PhysMemory pages, allocates nothing, reports through a
 * caller-owned WalkState.
 *
 * Rules modelled:
 * - DTE.Mode = level of the root (1..6); an IOVA wider than 12 + 9*Mode bits faults.
 * - NextLevel 0 = leaf of the level's default size; 1..6 = next table's level,
 *   which may skip levels (the skipped IOVA bits must be zero); 7 = leaf whose
 *   size is encoded in the address bits (lowest clear bit n >= 12 -> 2^(n+1) bytes).
 * - IR/IW are ANDed over the DTE and every entry on the way.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';

/** Why a walk stopped; 0 = a leaf was found. */
export const WALK = {
  OK: 0,
  /** An entry with PR=0. */
  NOT_PRESENT: 1,
  /** A table page is not backed: PAGE_TAB_HARDWARE_ERROR. */
  ABORT: 2,
  /** A PDE's NextLevel is not below its own level. */
  BAD_NEXT_LEVEL: 3,
  /** A PDE skips levels but the skipped IOVA bits are not zero. */
  SKIPPED_BITS: 4,
  /** The IOVA is wider than DTE.Mode allows. */
  ADDRESS_SIZE: 5,
  /** NextLevel 7 with a page size outside (level size, 512 x level size]: the model does not define it. */
  NL7_SIZE: 6,
} as const;

/** Caller-owned walk output (one per unit). */
export class WalkState {
  /** Output page of the leaf's aligned base. */
  basePfn = 0;
  /** log2 of the leaf page size in bytes. */
  shift = 12;
  /** Accumulated permissions (1/0), starting from the DTE's. */
  ir = 0;
  iw = 0;
  /** Table entries read. */
  reads = 0;
  /** Level of the entry where the walk ended (leaf or fault). */
  level = 0;
  /** Physical address (bytes) of that entry. */
  entryAddr = 0;
}

/** 2^(9k) for k = 0..6: the IOVA page-number span of one entry at level k+1. */
const SPAN = [1, 2 ** 9, 2 ** 18, 2 ** 27, 2 ** 36, 2 ** 45, 2 ** 54];

/**
 * Walks from `rootPfn` (a table at level `mode`, 1..6) for `iovaPfn`.
 * `ir`/`iw` are the DTE's permissions. Returns a WALK code.
 */
export function walkV1(
  mem: PhysMemory,
  rootPfn: number,
  mode: number,
  iovaPfn: number,
  ir: number,
  iw: number,
  w: WalkState,
): number {
  w.reads = 0;
  w.level = mode;
  w.entryAddr = 0;
  if (iovaPfn >= SPAN[mode]) return WALK.ADDRESS_SIZE;
  let level = mode;
  let table = rootPfn;
  for (;;) {
    const idx = Math.floor(iovaPfn / SPAN[level - 1]) & 511;
    w.level = level;
    w.entryAddr = table * 4096 + idx * 8;
    const page = mem.page(table);
    if (page === undefined) return WALK.ABORT;
    w.reads++;
    const lo = page[idx * 2];
    const hi = page[idx * 2 + 1];
    if ((lo & 1) === 0) return WALK.NOT_PRESENT;
    ir &= hi >>> 29;
    iw &= hi >>> 30;
    const nl = (lo >>> 9) & 7;
    const addr = (hi & 0xfffff) * 1048576 + (lo >>> 12);
    if (nl === 0 || nl === 7) {
      let shift = 3 + 9 * level;
      if (nl === 7) {
        let b = 0;
        let x = addr;
        while (x % 2 === 1) {
          x = (x - 1) / 2;
          b++;
        }
        shift = 13 + b;
        if (shift <= 3 + 9 * level || shift > 12 + 9 * level) return WALK.NL7_SIZE;
      }
      const pages = 2 ** (shift - 12);
      w.basePfn = addr - (addr % pages);
      w.shift = shift;
      w.ir = ir & 1;
      w.iw = iw & 1;
      return WALK.OK;
    }
    if (nl >= level) return WALK.BAD_NEXT_LEVEL;
    if (nl < level - 1 && Math.floor(iovaPfn / SPAN[nl]) % SPAN[level - 1 - nl] !== 0)
      return WALK.SKIPPED_BITS;
    table = addr;
    level = nl;
  }
}
