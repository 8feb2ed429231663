/**
 * The VMSAv8-64 table walk of one stage (Arm ARM D8; reference A.4), over
 * simulated physical memory. Hot path: no allocation; the caller owns the
 * regime and the result. Structural checks only (validity, block legality,
 * address size, access flag); permissions are returned as a mask and checked by
 * the caller, so TLB hits and walks share one check.
 *
 * Order of faults inside a stage, as the Arm ARM prioritises them: external
 * abort on a fetch / invalid descriptor / address size of a table or output
 * address, level by level; then the access flag; then permissions (caller).
 * QEMU checks the output address size after permissions; we follow the spec.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { SMMU_EVENT } from './faults.js';
import { DESC_HI, DESC_LO, firstBlockLevel, levelShift, PERM } from './structures/descriptor.js';

const TWO32 = 0x1_0000_0000;

/** One stage's translation regime, decoded from the CD (TTB0/TTB1) or the STE (stage 2). */
export class StageRegime {
  /** log2 granule: 12, 14 or 16. */
  granule = 12;
  startLevel = 0;
  /** Entries in the start-level table (several concatenated tables for stage 2). */
  startEntries = 512;
  /** Byte address of the start table (an IPA in a nested stage 1). */
  table = 0;
  /** Input address size in bits; stage 2 faults F_TRANSLATION for an IPA at or above it. */
  inputBits = 48;
  /** Output (or next-stage input) address size in bits. */
  oaBits = 48;
  /** Access-flag faults disabled (CD.AFFD / STE.S2AFFD). */
  affd = false;
  /** Hierarchical permissions disabled (CD.HADx); stage 1 only. */
  had = false;
  /** Stage 2 descriptor semantics (S2AP, no hierarchical bits). */
  stage2 = false;
  /** Stage 1 WXN: writable memory is never executable. */
  wxn = false;
  /** Stage 1 PAN: privileged accesses to EL0-accessible memory are refused. */
  pan = false;
}

/** Result of one stage's walk. */
export class WalkOut {
  /** 0, or the SMMU event code of the fault. */
  fault = 0;
  /** Level of the leaf, or of the faulting descriptor. */
  level = 0;
  /** Output page (4 KiB units) for the input page. */
  outPfn = 0;
  /** log2 of the leaf's size. */
  shift = 12;
  /** PERM mask the leaf allows (table restrictions applied). */
  perm = 0;
  /** Physical address of the fetch that aborted (F_WALK_EABT). */
  fetchAddr = 0;
  /** Table fetches made. */
  reads = 0;
  /** Nested only: the fault happened in stage 2 while fetching a stage-1 descriptor at IPA `ipa`. */
  s2Fault = false;
  ipa = 0;

  clear(): void {
    this.fault = 0;
    this.level = 0;
    this.outPfn = 0;
    this.shift = 12;
    this.perm = 0;
    this.fetchAddr = 0;
    this.reads = 0;
    this.s2Fault = false;
    this.ipa = 0;
  }
}

/**
 * Walks `r` for input page `inPfn` (4 KiB units). When `nest` is given, every
 * table address is an IPA that is first translated by stage 2 (nested, reference A.4);
 * a stage-2 fault there is returned with s2Fault set and `ipa` = the descriptor's IPA.
 */
export function walkStage(
  mem: PhysMemory,
  r: StageRegime,
  inPfn: number,
  out: WalkOut,
  nest: StageRegime | null,
  nestOut: WalkOut | null,
): void {
  const g = r.granule;
  const stride = g - 3;
  let table = r.table;
  let entries = r.startEntries;
  // Align the start table down to its own size (the low TTB bits are RES0).
  const tableBytes = entries * 8;
  table -= table % tableBytes;
  if (r.stage2 && inPfn >= 2 ** (r.inputBits - 12)) {
    out.level = r.startLevel;
    out.fault = SMMU_EVENT.F_TRANSLATION;
    return;
  }
  if (table >= 2 ** r.oaBits) {
    // The table base itself is beyond the output size: an address size fault at the start level.
    out.level = r.startLevel;
    out.fault = SMMU_EVENT.F_ADDR_SIZE;
    return;
  }
  let noWrite = false;
  let noEl0 = false;
  let pxnT = false;
  let uxnT = false;
  for (let level = r.startLevel; level <= 3; level++) {
    const shift = levelShift(g, level);
    const idx = Math.floor(inPfn / 2 ** (shift - 12)) % entries;
    let pa = table + idx * 8;
    out.level = level;
    if (nest !== null && nestOut !== null) {
      const ipa = pa;
      nestOut.clear();
      walkStage(mem, nest, Math.floor(ipa / 4096), nestOut, null, null);
      out.reads += nestOut.reads;
      if (nestOut.fault === 0 && (nestOut.perm & PERM.PR) === 0) nestOut.fault = SMMU_EVENT.F_PERMISSION;
      if (nestOut.fault !== 0) {
        out.fault = nestOut.fault;
        out.s2Fault = true;
        out.ipa = ipa;
        out.fetchAddr = nestOut.fetchAddr;
        return;
      }
      pa = nestOut.outPfn * 4096 + (ipa % 4096);
    }
    const page = mem.page(Math.floor(pa / 4096));
    if (page === undefined) {
      out.fault = SMMU_EVENT.F_WALK_EABT;
      out.fetchAddr = pa;
      return;
    }
    const w = (pa % 4096) >>> 2;
    const lo = page[w]!;
    const hi = page[w + 1]!;
    out.reads++;
    if ((lo & DESC_LO.VALID) === 0) {
      out.fault = SMMU_EVENT.F_TRANSLATION;
      return;
    }
    const isTableOrPage = (lo & DESC_LO.TABLE_OR_PAGE) !== 0;
    if (level < 3 && isTableOrPage) {
      const next = (hi & DESC_HI.OA_HI_MASK) * TWO32 + lo - (lo % 2 ** g);
      if (next >= 2 ** r.oaBits) {
        out.fault = SMMU_EVENT.F_ADDR_SIZE;
        return;
      }
      if (!r.stage2 && !r.had) {
        if (hi & DESC_HI.AP_TABLE_RO) noWrite = true;
        if (hi & DESC_HI.AP_TABLE_NO_EL0) noEl0 = true;
        if (hi & DESC_HI.PXN_TABLE) pxnT = true;
        if (hi & DESC_HI.UXN_TABLE) uxnT = true;
      }
      table = next;
      entries = 2 ** stride;
      continue;
    }
    // A leaf: a page at level 3, a block above (reserved at level 3 or above the first block level).
    if (!isTableOrPage && (level === 3 || level < firstBlockLevel(g))) {
      out.fault = SMMU_EVENT.F_TRANSLATION;
      return;
    }
    const oa = (hi & DESC_HI.OA_HI_MASK) * TWO32 + lo - (lo % 2 ** shift);
    if (oa >= 2 ** r.oaBits) {
      out.fault = SMMU_EVENT.F_ADDR_SIZE;
      return;
    }
    if ((lo & DESC_LO.AF) === 0 && !r.affd) {
      out.fault = SMMU_EVENT.F_ACCESS;
      return;
    }
    out.shift = shift;
    out.outPfn = oa / 4096 + (inPfn % 2 ** (shift - 12));
    out.perm = r.stage2 ? s2Perm(lo, hi) : s1Perm(r, lo, hi, noWrite, noEl0, pxnT, uxnT);
    return;
  }
}

/** Stage 1 permissions (AP[2:1], PXN, UXN, APTable, XNTable, WXN, PAN) as a PERM mask. */
function s1Perm(
  r: StageRegime,
  lo: number,
  hi: number,
  noWrite: boolean,
  noEl0: boolean,
  pxnT: boolean,
  uxnT: boolean,
): number {
  const readOnly = (lo & DESC_LO.AP2_OR_S2W) !== 0 || noWrite;
  const el0 = (lo & DESC_LO.AP1_OR_S2R) !== 0 && !noEl0;
  let p = 0;
  if (!(r.pan && el0)) p |= PERM.PR | (readOnly ? 0 : PERM.PW);
  if (el0) p |= PERM.UR | (readOnly ? 0 : PERM.UW);
  // Memory writable at EL0 is never executable at EL1 (Arm ARM D8.4); WXN removes execute from writable memory.
  const pxn = (hi & DESC_HI.PXN) !== 0 || pxnT || (el0 && !readOnly) || (r.wxn && !readOnly);
  const uxn = (hi & DESC_HI.UXN_XN) !== 0 || uxnT || !el0 || (r.wxn && !readOnly);
  if (!pxn) p |= PERM.PX;
  if (!uxn) p |= PERM.UX;
  return p;
}

/** Stage 2 permissions: S2AP[0] read, S2AP[1] write, XN[1] (bit 54) execute-never; same for both ELs. */
function s2Perm(lo: number, hi: number): number {
  let p = 0;
  if (lo & DESC_LO.AP1_OR_S2R) p |= PERM.PR | PERM.UR;
  if (lo & DESC_LO.AP2_OR_S2W) p |= PERM.PW | PERM.UW;
  if ((hi & DESC_HI.UXN_XN) === 0) p |= PERM.PX | PERM.UX;
  return p;
}

/** The PERM bits an access needs: ACCESS R/W/X, shifted to the unprivileged half unless ACCESS.PRIV. */
export function neededPerm(access: number): number {
  const rwx = access & 7;
  return access & 8 ? rwx : rwx << 3;
}
