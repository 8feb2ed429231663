/**
 * Second-level page walk (reference/vtd.md §2.2), hot path: reads 64-bit
 * entries as two 32-bit words straight from PhysMemory's page pool,
 * queues A/D updates instead of writing them, allocates nothing.
 *
 * Entry bits: R 0, W 1, X 2 (with SLEE), PS 7, A 8, D 9 (with SLADE), SNP 11,
 * address 51:12 (bits above the host address width reserved), 62:52 ignored.
 */
import { chunkOf, type PhysMemory, wordBase } from '../../../core/memory/phys-memory.js';
import {
  entryPfn,
  levelIndex,
  PERM_R,
  PERM_RWX,
  PERM_W,
  PERM_X,
  SLF,
  WALK,
  type WalkState,
} from './walk-state.js';

const SL_A = 1 << 8;
const SL_D = 1 << 9;
const SL_SNP = 1 << 11;
const SL_PS = 1 << 7;

/** Permission an entry's bits 2:0 grant: with SLEE, X is bit 2; without it, execute follows read. */
const PERM_OF_SLEE = Int32Array.from({ length: 8 }, (_, b) => b & PERM_RWX);
const PERM_OF_NO_SLEE = Int32Array.from(
  { length: 8 },
  (_, b) => (b & (PERM_R | PERM_W)) | (b & 1 ? PERM_X : 0),
);

/** Mask of the high entry word's address bits (32..51) at or above `hawBits`. */
export function hawHiMask(hawBits: number): number {
  return hawBits >= 52 ? 0 : 0xfffff & ~((1 << (hawBits - 32)) - 1);
}

/**
 * Walks `levels` levels from the table at `rootPfn` for input page `vpn`.
 * `write` selects whether the leaf's D bit is queued (with SLF.AD).
 * `startLevel`/`permIn` let a paging-structure-cache hit resume mid-walk.
 * Fills st.outPfn, st.shift, st.perm; returns a WALK class.
 */
export function walkSl(
  mem: PhysMemory,
  rootPfn: number,
  startLevel: number,
  vpn: number,
  flags: number,
  hiMask: number,
  write: boolean,
  st: WalkState,
  topLevel: number,
  permIn: number,
): number {
  let table = rootPfn;
  let perm = permIn;
  const permOf = (flags & SLF.SLEE) !== 0 ? PERM_OF_SLEE : PERM_OF_NO_SLEE;
  const ad = (flags & SLF.AD) !== 0;
  // Bit n set: PS = 1 is allowed at level n: ignored in a 4 KiB leaf (level 1), a 2 MiB leaf at 2
  // and a 1 GiB leaf at 3 when CAP.SLLPS has them; reserved everywhere else.
  const leafLevels =
    (1 << 1) | ((flags & SLF.LP_2M) !== 0 ? 1 << 2 : 0) | ((flags & SLF.LP_1G) !== 0 ? 1 << 3 : 0);
  const reservedLo = (flags & SLF.SNP_OK) !== 0 ? 0 : SL_SNP;
  const flat = mem.flatIndex;
  const chunks = mem.chunks;
  for (let level = startLevel; level >= 1; level--) {
    st.reads++;
    const g = table < flat.length ? flat[table]! : mem.pageIndex(table);
    if (g < 0) return fail(st, level, level === topLevel ? WALK.ROOT_FETCH : WALK.FETCH);
    const page = chunks[chunkOf(g)]!;
    const i = wordBase(g) + (levelIndex(vpn, level) << 1);
    const lo = page[i]!;
    const hi = page[i + 1]!;
    if ((lo & 3) === 0) return fail(st, level, WALK.NOT_PRESENT);
    const ps = (lo & SL_PS) !== 0;
    if ((lo & reservedLo) !== 0 || (ps && ((leafLevels >>> level) & 1) === 0))
      return fail(st, level, WALK.RESERVED);
    if ((hi & hiMask) !== 0) return fail(st, level, WALK.ENTRY_ADDRESS);
    perm &= permOf[lo & 7]!;
    const pfn = entryPfn(lo, hi);
    if (ps || level === 1) {
      if (level > 1) {
        // Large leaf: address bits below the page size are reserved (VT-d 9.8).
        const spanMask = level === 2 ? 0x1ff : 0x3ffff;
        if ((pfn & spanMask) !== 0) return fail(st, level, WALK.RESERVED);
        st.outPfn = pfn + (vpn & spanMask);
        st.shift = level === 2 ? 21 : 30;
      } else {
        st.outPfn = pfn;
        st.shift = 12;
      }
      st.perm = perm;
      if (ad) {
        const bits = write && (perm & PERM_W) !== 0 ? SL_A | SL_D : SL_A;
        if ((lo & bits) !== bits) st.queueAd(page, i, bits, true);
      }
      return WALK.OK;
    }
    if (ad && (lo & SL_A) === 0) st.queueAd(page, i, SL_A, true);
    st.nextTable[level] = pfn;
    st.permAfter[level] = perm;
    st.levelsSeen |= 1 << level;
    table = pfn;
  }
  return WALK.NOT_PRESENT;
}

function fail(st: WalkState, level: number, walk: number): number {
  st.failLevel = level;
  return walk;
}
