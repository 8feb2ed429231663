/**
 * First-level (x86-64 format) page walk (reference/vtd.md §2.1), and its
 * nested form (§2.4): with FLF.NESTED every table pointer is a GPA that goes
 * through the second level (read access) before the table is read; the page
 * holding each FL entry remembers whether the SL maps it writable, because
 * the entry's A/D update is a write (fault 0x77 when it is not), which with
 * SL A/D on also sets D in the SL leaf that maps the page.
 *
 * Entry bits: P 0, R/W 1, U/S 2, A 5, D 6, PS 7, EA 10, address 51:12,
 * XD 63 (reserved unless NXE); bit 12 of a large leaf is PAT.
 */
import { chunkOf, type PhysMemory, wordBase } from '../../../core/memory/phys-memory.js';
import { walkSl } from './sl-walk.js';
import {
  entryPfn,
  FLF,
  levelIndex,
  PERM_R,
  PERM_RWX,
  PERM_W,
  SLF,
  WALK,
  type WalkState,
} from './walk-state.js';

const FL_A = 1 << 5;
const FL_D = 1 << 6;
const FL_PS = 1 << 7;
const FL_EA = 1 << 10;

/** Per-translation parameters of a first-level walk (one preallocated instance per unit). */
export class FlParams {
  flags = 0;
  hiMask = 0;
  write = false;
  /** Nested only: the second level that maps table GPAs. */
  slRoot = 0;
  slLevels = 4;
  slFlags = 0;
  slHiMask = 0;
  /** Nested only: first page number beyond the SL input width. */
  slLimit = 0;
}

/**
 * Walks from the table at `table` (a GPA page when nested and `tableIsGpa`)
 * at `startLevel` down to the leaf for `vpn`. `rw`/`us`/`xd` carry the
 * accumulated bits of levels above (a PSC hit), `tableWritable` whether the
 * SL maps that table writable. Fills st.outPfn (GPA when nested), st.shift,
 * st.flRw/flUs/flXd; returns a WALK class.
 */
export function walkFl(
  mem: PhysMemory,
  table: number,
  tableIsGpa: boolean,
  tableWritable: boolean,
  startLevel: number,
  topLevel: number,
  vpn: number,
  p: FlParams,
  st: WalkState,
  sl: WalkState,
): number {
  const nested = (p.flags & FLF.NESTED) !== 0;
  const aBits = (p.flags & FLF.EAFE) !== 0 ? FL_A | FL_EA : FL_A;
  let rw = st.flRw;
  let us = st.flUs;
  let xd = st.flXd;
  let isGpa = tableIsGpa;
  let writable = tableWritable;
  const slAd = nested && (p.slFlags & SLF.AD) !== 0;
  const flat = mem.flatIndex;
  const chunks = mem.chunks;
  for (let level = startLevel; level >= 1; level--) {
    let hpa = table;
    if (nested && isGpa) {
      if (table >= p.slLimit) {
        st.failLevel = level;
        return WALK.NESTED_BEYOND;
      }
      sl.reset();
      const r = walkSl(
        mem,
        p.slRoot,
        p.slLevels,
        table,
        p.slFlags,
        p.slHiMask,
        false,
        sl,
        p.slLevels,
        PERM_RWX,
      );
      st.reads += sl.reads;
      if (r === WALK.NOT_PRESENT || (r === WALK.OK && (sl.perm & PERM_R) === 0)) {
        st.failLevel = level;
        return WALK.NESTED_NO_READ;
      }
      if (r !== WALK.OK) {
        st.failLevel = level;
        return WALK.NESTED_SL + r;
      }
      st.mergeAd(sl);
      hpa = sl.outPfn;
      writable = (sl.perm & PERM_W) !== 0;
    }
    const g = hpa < flat.length ? flat[hpa]! : mem.pageIndex(hpa);
    st.reads++;
    if (g < 0) {
      st.failLevel = level;
      return level === topLevel ? WALK.ROOT_FETCH : WALK.FETCH;
    }
    const page = chunks[chunkOf(g)]!;
    const i = wordBase(g) + (levelIndex(vpn, level) << 1);
    const lo = page[i]!;
    const hi = page[i + 1]!;
    if ((lo & 1) === 0) {
      st.failLevel = level;
      return WALK.NOT_PRESENT;
    }
    const ps = (lo & FL_PS) !== 0;
    if (
      (hi & p.hiMask) !== 0 ||
      (hi >>> 31 === 1 && (p.flags & FLF.NXE) === 0) ||
      (ps && (level >= 4 || (level === 3 && (p.flags & FLF.LP_1G) === 0)))
    ) {
      st.failLevel = level;
      return WALK.RESERVED;
    }
    rw = rw && (lo & 2) !== 0;
    us = us && (lo & 4) !== 0;
    xd = xd || (hi >>> 31 === 1 && (p.flags & FLF.NXE) !== 0);
    let pfn = entryPfn(lo, hi);
    if (ps || level === 1) {
      if (level > 1) {
        const spanMask = level === 2 ? 0x1ff : 0x3ffff;
        // Bit 12 is PAT in a large leaf; the bits between it and the page size are reserved.
        if ((pfn & spanMask & ~1) !== 0) {
          st.failLevel = level;
          return WALK.RESERVED;
        }
        pfn -= pfn & 1;
        st.outPfn = pfn + (vpn & spanMask);
        st.shift = level === 2 ? 21 : 30;
      } else {
        st.outPfn = pfn;
        st.shift = 12;
      }
      st.flRw = rw;
      st.flUs = us;
      st.flXd = xd;
      st.perm = PERM_R | (rw ? PERM_W : 0);
      const bits = p.write ? aBits | FL_D : aBits;
      if (slAd && isGpa && writable && (lo & bits) !== bits) slDirty(mem, table, p, st, sl);
      st.queueAd(page, i, bits, writable);
      return WALK.OK;
    }
    if (slAd && isGpa && writable && (lo & aBits) !== aBits) slDirty(mem, table, p, st, sl);
    st.queueAd(page, i, aBits, writable);
    table = pfn;
    isGpa = true;
    st.nextTable[level] = pfn;
    st.permAfter[level] = (rw ? 1 : 0) | (us ? 2 : 0) | (xd ? 4 : 0);
    st.levelsSeen |= 1 << level;
  }
  return WALK.NOT_PRESENT;
}

/**
 * Nested: an FL entry's A/D update writes the table page at GPA `tableGpa`, so the SL leaf that
 * maps it gets D as well as A. A second SL walk as a write queues that; its reads are not counted
 * again, since hardware sets the bit in the entry it has already read.
 */
function slDirty(mem: PhysMemory, tableGpa: number, p: FlParams, st: WalkState, sl: WalkState): void {
  sl.reset();
  const r = walkSl(
    mem,
    p.slRoot,
    p.slLevels,
    tableGpa,
    p.slFlags,
    p.slHiMask,
    true,
    sl,
    p.slLevels,
    PERM_RWX,
  );
  if (r === WALK.OK) st.mergeAd(sl);
}
