/**
 * The DMA translation hot path (reference/vtd.md §3): device-TLB, context
 * cache, PASID cache, IOTLB, paging-structure caches, then the walks. Fills
 * a caller-owned TranslationResult and returns its FAULT_KIND; allocates
 * nothing unless a fault is recorded.
 *
 * Order of checks (both modes, and the reference walker follows it):
 * context/PASID structures, request type (PASID, ATS, SRE, ERE), address
 * width, page-walk structure, permission, interrupt range, A/D update.
 */
import type { TranslationCache } from '../../core/cache/index.js';
import {
  ACCESS,
  FAULT_KIND,
  type FaultKind,
  NO_PASID,
  type TranslationRequest,
  type TranslationResult,
} from '../../core/model/translation.js';
import { cacheVpn } from './caches/cache-vpn.js';
import { DEV_PRIV_TAG, SL_TAG } from './caches/vtd-caches.js';
import type { VtdCaps } from './capabilities.js';
import { VTD_FAULT as F, VTD_FAULT_KIND } from './fault-reasons.js';
import type { VtdHardware } from './hardware.js';
import {
  ContextInfo,
  PasidInfo,
  readLegacyContext,
  readPasidEntryInfo,
  readScalableContext,
} from './walk/context-read.js';
import { FlParams, walkFl } from './walk/fl-walk.js';
import { hawHiMask, walkSl } from './walk/sl-walk.js';
import { FLF, PERM_R, PERM_RWX, PERM_W, PERM_X, SLF, WALK, WalkState } from './walk/walk-state.js';

/** IOTLB permission word: user R/W/X in bits 2:0, U/S denied bit 3, supervisor R/W/X in 6:4, D done bit 8, negative fault 23:16. */
const P_US_DENIED = 1 << 3;
const P_D_DONE = 1 << 8;

/** Context-cache words. Legacy perm: TT 1:0, AW 4:2, FPD 5, fault 15:8. Scalable perm: FPD 5, DTE 6, PASIDE 7, fault 15:8, PDTS 18:16, PRE 19, RID_PRIV 20. */
const C_FPD = 1 << 5;
const C_DTE = 1 << 6;
const C_PASIDE = 1 << 7;

/** PASID-cache perm word: PGTT 2:0, AW 5:3, FLPM 7:6, SRE 8, ERE 9, WPE 10, NXE 11, EAFE 12, SLEE 13, SLADE 14, FPD 15, fault 23:16. */
const PC_SRE = 1 << 8;
const PC_ERE = 1 << 9;
const PC_WPE = 1 << 10;
const PC_NXE = 1 << 11;
const PC_EAFE = 1 << 12;
const PC_SLEE = 1 << 13;
const PC_SLADE = 1 << 14;
const PC_FPD = 1 << 15;

/** Device-TLB permission word: ACCESS bits, plus this flag when the filling request asked for write. */
const DT_WRITE_ASKED = 1 << 16;

/** Negative IOTLB entry of a legacy not-present leaf (the reason depends on the access). */
const NEG_SL_NP = 0xff;

const INTR_FIRST = 0xfee00;
const INTR_LAST = 0xfeeff;

/** 2^n for n in 0..64, exact doubles. */
const POW2 = Array.from({ length: 65 }, (_, i) => 2 ** i);

export class VtdTranslator {
  readonly #hw: VtdHardware;
  readonly #caps: VtdCaps;
  readonly #st = new WalkState();
  readonly #sl = new WalkState();
  readonly #out2 = new WalkState();
  readonly #fl = new FlParams();
  readonly #ci = new ContextInfo();
  readonly #pi = new PasidInfo();
  readonly #hiMask: number;
  readonly #slBase: number;
  readonly #flBase: number;
  /** First input page beyond MGAW. */
  readonly #mgawLimit: number;
  #fpd = false;

  constructor(hw: VtdHardware) {
    this.#hw = hw;
    this.#caps = hw.caps;
    this.#hiMask = hawHiMask(hw.caps.mgaw);
    this.#slBase = (hw.caps.sllps & 1 ? SLF.LP_2M : 0) | (hw.caps.sllps & 2 ? SLF.LP_1G : 0);
    this.#flBase = hw.caps.fl1gp ? FLF.LP_1G : 0;
    this.#mgawLimit = POW2[hw.caps.mgaw - 12]!;
  }

  translate(req: TranslationRequest, out: TranslationResult): number {
    const hw = this.#hw;
    out.reset();
    out.offset = req.offset;
    hw.translations++;
    if (!hw.translationEnabled) {
      out.outPfn = req.iovaPfn;
      out.perm = PERM_RWX;
      return 0;
    }
    const sid = req.sid & 0xffff;
    if (!req.ats && hw.caches.devTlbCount !== 0) {
      const t = hw.caches.devTlb[sid];
      if (t !== undefined && this.#devTlbHit(t, req, out)) return 0;
    }
    const kind = hw.scalable ? this.#scalable(req, out, sid) : this.#legacy(req, out, sid);
    hw.memReads += out.memReads;
    if (kind === 0 && req.ats) this.#devTlbFill(req, out, sid);
    return kind;
  }

  // ---- device-TLB (ATS) ----

  #devTlbHit(t: TranslationCache, req: TranslationRequest, out: TranslationResult): boolean {
    const ctx = this.#hw.caches.devIds.find(req.sid & 0xffff, devTag(req));
    const key = cacheVpn(req.iovaPfn, req.pasid !== NO_PASID);
    if (ctx < 0 || key < 0) {
      t.countMiss(); // nothing of this PASID (or this page) was ever cached for the device
      return false;
    }
    const s = t.lookupAny(ctx, key);
    if (s < 0) return false;
    const perm = t.perm[s]!;
    // A write may use the entry only if the translation request that filled it asked for write
    // (NW = 0) and so set the D bit; otherwise it goes to the IOMMU, which sets D. An entry the
    // request cannot use counts as a miss: the request goes on to the IOMMU.
    if (
      (req.access & perm & PERM_RWX) !== (req.access & PERM_RWX) ||
      ((req.access & ACCESS.WRITE) !== 0 && (perm & DT_WRITE_ASKED) === 0)
    ) {
      t.hitUnusable();
      return false;
    }
    out.outPfn = t.outputFor(s, key);
    out.pageShift = 12 + t.pageShifts[t.sizeOf(s)]!;
    out.perm = perm & PERM_RWX;
    out.hit = true;
    return true;
  }

  #devTlbFill(req: TranslationRequest, out: TranslationResult, sid: number): void {
    const c = this.#hw.caches;
    const t = c.devTlbForFill(sid);
    if (t === undefined) return;
    const ctx = c.devIds.intern(sid, devTag(req));
    const code = out.pageShift === 30 ? 2 : out.pageShift === 21 ? 1 : 0;
    const span = POW2[out.pageShift - 12]!;
    const base = out.outPfn - (req.iovaPfn % span);
    const asked = (req.access & ACCESS.WRITE) !== 0 ? DT_WRITE_ASKED : 0;
    const key = cacheVpn(req.iovaPfn, req.pasid !== NO_PASID);
    if (key >= 0) t.insert(ctx, key, code, base, out.perm | asked);
  }

  // ---- faults ----

  #fault(
    req: TranslationRequest,
    out: TranslationResult,
    code: number,
    pasid: number,
    kind: FaultKind = VTD_FAULT_KIND[code]! as FaultKind,
  ): number {
    out.kind = kind;
    out.archCode = code;
    this.#hw.recordFault(
      {
        reason: code,
        sid: req.sid & 0xffff,
        pasid,
        pfn: req.iovaPfn,
        write: (req.access & ACCESS.WRITE) !== 0,
        exec: (req.access & ACCESS.EXEC) !== 0,
        priv: (req.access & ACCESS.PRIV) !== 0,
      },
      this.#fpd,
    );
    return out.kind;
  }

  /** Permission check on an IOTLB permission word; 0 or the reason. */
  #permFault(word: number, access: number, priv: boolean, sm: boolean): number {
    if (!priv && (word & P_US_DENIED) !== 0) return F.SM_US_CLEAR_USER_REQUEST;
    const p = priv ? (word >>> 4) & 7 : word & 7;
    if ((access & ACCESS.EXEC) !== 0 && (p & PERM_X) === 0)
      return sm ? F.SM_EXECUTE_DENIED : F.READ_NOT_PERMITTED;
    if ((access & ACCESS.WRITE) !== 0 && (p & PERM_W) === 0)
      return sm ? F.SM_WRITE_DENIED : F.WRITE_NOT_PERMITTED;
    if ((access & ACCESS.READ) !== 0 && (p & PERM_R) === 0)
      return sm ? F.SM_READ_DENIED : F.READ_NOT_PERMITTED;
    return 0;
  }

  // ---- legacy mode (reference/vtd.md §3.1) ----

  #legacy(req: TranslationRequest, out: TranslationResult, sid: number): number {
    const hw = this.#hw;
    const c = hw.caches;
    this.#fpd = false;
    if (req.pasid !== NO_PASID) return this.#fault(req, out, F.SM_TTM_LEGACY_PASID_REQUEST, req.pasid);
    const vpn = req.iovaPfn;
    if (vpn >= INTR_FIRST && vpn <= INTR_LAST && !req.ats) {
      out.kind = FAULT_KIND.NOT_MODELLED; // an interrupt message: interrupt remapping is not modelled
      return out.kind;
    }
    // QEMU's order (profile qemu, source-id-keyed IOTLB): the IOTLB first, the context cache only
    // on a miss, so the context counters match QEMU's. A hit it cannot serve ends up on the
    // architectural path below.
    let iotlbMissed = false;
    if (hw.profile === 'qemu' && c.iotlbBySid && !req.ats) {
      const first = c.sidIds.find(sid, SL_TAG);
      if (first >= 0) {
        const s = c.iotlb.lookupAny(first, vpn);
        if (s < 0) iotlbMissed = true;
        else if (this.#qemuIotlbHit(s, req, out, vpn)) return 0;
      }
    }
    let slot = c.context.lookup(0, sid, 0);
    let cperm: number;
    let cword: number;
    let slptPfn: number;
    if (slot < 0) {
      const ci = this.#ci;
      const code = readLegacyContext(hw.memory, this.#caps, hw.rootTable, sid, ci);
      out.memReads += ci.reads;
      if (code !== 0) {
        this.#fpd = ci.fpd;
        if (this.#caps.cm && code === F.CONTEXT_ENTRY_NOT_PRESENT)
          c.context.insert(0, sid, 0, 0, code << 8, 0, 0);
        return this.#fault(req, out, code, NO_PASID);
      }
      cperm = ci.tt | (ci.aw << 2) | (ci.fpd ? C_FPD : 0);
      cword = ci.did | (c.iotlbContext(ci.did, sid, SL_TAG) << 16);
      slptPfn = ci.slptPfn;
      c.context.insert(0, sid, 0, slptPfn, cperm, cword, 0);
    } else {
      cperm = c.context.perm[slot]!;
      cword = c.context.aux0[slot]!;
      slptPfn = c.context.outPage[slot]!;
      const neg = (cperm >>> 8) & 0xff;
      if (neg !== 0) return this.#fault(req, out, neg, NO_PASID);
    }
    this.#fpd = (cperm & C_FPD) !== 0;
    const tt = cperm & 3;
    if (req.ats && tt !== 1) return this.#fault(req, out, F.TRANSLATION_TYPE_BLOCKED, NO_PASID);
    if (tt === 2) {
      out.outPfn = vpn;
      out.perm = PERM_RWX;
      return 0;
    }
    const aw = (cperm >>> 2) & 7;
    const levels = aw + 2;
    const limit = Math.min(POW2[18 + 9 * aw]!, this.#mgawLimit);
    if (vpn >= limit) return this.#fault(req, out, F.ADDRESS_BEYOND_MGAW, NO_PASID);
    const ctx = cword >>> 16;
    slot = iotlbMissed ? -1 : c.iotlb.lookupAny(ctx, vpn);
    let word: number;
    if (slot >= 0) {
      word = c.iotlb.perm[slot]!;
      const neg = (word >>> 16) & 0xff;
      if (neg === NEG_SL_NP) {
        const w = (req.access & ACCESS.WRITE) !== 0;
        // Legacy mode has no not-present reason: R=W=0 reports 0x5/0x6, but it is a missing translation.
        return this.#fault(
          req,
          out,
          w ? F.WRITE_NOT_PERMITTED : F.READ_NOT_PERMITTED,
          NO_PASID,
          FAULT_KIND.TRANSLATION,
        );
      }
      out.outPfn = c.iotlb.outputFor(slot, vpn);
      out.pageShift = 12 + c.iotlb.pageShifts[c.iotlb.sizeOf(slot)]!;
      out.hit = true;
    } else {
      const st = this.#st;
      const r = this.#slWalk(
        slptPfn,
        levels,
        vpn,
        this.#slBase | (this.#caps.sc ? SLF.SNP_OK : 0),
        false,
        c.slPsc,
        c.iotlbBySid ? -1 : ctx,
        cword & 0xffff,
      );
      out.memReads += st.reads;
      if (r !== WALK.OK) {
        const code =
          r === WALK.ROOT_FETCH
            ? F.CONTEXT_ENTRY_INVALID
            : r === WALK.FETCH
              ? F.SL_PTE_READ_ERROR
              : r === WALK.NOT_PRESENT
                ? (req.access & ACCESS.WRITE) !== 0
                  ? F.WRITE_NOT_PERMITTED
                  : F.READ_NOT_PERMITTED
                : F.SL_PTE_RESERVED;
        // CM = 1 may cache the not-present result; its reason depends on the access, so cache a marker.
        if (this.#caps.cm && r === WALK.NOT_PRESENT) c.iotlb.insert(ctx, vpn, 0, 0, NEG_SL_NP << 16);
        return this.#fault(
          req,
          out,
          code,
          NO_PASID,
          r === WALK.NOT_PRESENT ? FAULT_KIND.TRANSLATION : undefined,
        );
      }
      word = st.perm | (st.perm << 4) | P_D_DONE;
      out.outPfn = st.outPfn;
      out.pageShift = st.shift;
      this.#fillIotlb(ctx, vpn, st.shift, st.outPfn, word);
      this.#fillSlPsc(c.slPsc, c.iotlbBySid ? -1 : ctx, cword & 0xffff, vpn);
    }
    const pf = this.#permFault(word, req.access, false, false);
    if (pf !== 0) return this.#fault(req, out, pf, NO_PASID);
    if (out.outPfn >= INTR_FIRST && out.outPfn <= INTR_LAST)
      return this.#fault(req, out, F.OUTPUT_IN_INTERRUPT_RANGE, NO_PASID);
    out.perm = word & 7; // legacy second-level tables have no A/D bits

    return 0;
  }

  /** Serves a QEMU-order IOTLB hit (legacy, qemu profile) when it is a plain usable translation. */
  #qemuIotlbHit(slot: number, req: TranslationRequest, out: TranslationResult, vpn: number): boolean {
    const t = this.#hw.caches.iotlb;
    const word = t.perm[slot]!;
    if ((word >>> 16) & 0xff || this.#permFault(word, req.access, false, false) !== 0) return false;
    const outPfn = t.outputFor(slot, vpn);
    if (outPfn >= INTR_FIRST && outPfn <= INTR_LAST) return false;
    out.outPfn = outPfn;
    out.pageShift = 12 + t.pageShifts[t.sizeOf(slot)]!;
    out.hit = true;
    out.perm = word & 7;
    return true;
  }

  // ---- scalable mode (reference/vtd.md §3.2) ----

  #scalable(req: TranslationRequest, out: TranslationResult, sid: number): number {
    const hw = this.#hw;
    const c = hw.caches;
    const caps = this.#caps;
    this.#fpd = false;
    let slot = c.context.lookup(0, sid, 0);
    let cperm: number;
    let ridPasid: number;
    let dirPfn: number;
    if (slot < 0) {
      const ci = this.#ci;
      const code = readScalableContext(hw.memory, caps, hw.rootTable, sid, ci);
      out.memReads += ci.reads;
      if (code !== 0) {
        this.#fpd = ci.fpd;
        if (caps.cm && code === F.SM_CONTEXT_ENTRY_NOT_PRESENT)
          c.context.insert(0, sid, 0, 0, code << 8, 0, 0);
        return this.#fault(req, out, code, req.pasid);
      }
      cperm =
        (ci.fpd ? C_FPD : 0) |
        (ci.dte ? C_DTE : 0) |
        (ci.paside ? C_PASIDE : 0) |
        (ci.pdts << 16) |
        (ci.pre ? 1 << 19 : 0) |
        (ci.ridPriv ? 1 << 20 : 0);
      ridPasid = ci.ridPasid;
      dirPfn = ci.dirPfn;
      c.context.insert(0, sid, 0, dirPfn, cperm, ridPasid, 0);
    } else {
      cperm = c.context.perm[slot]!;
      ridPasid = c.context.aux0[slot]!;
      dirPfn = c.context.outPage[slot]!;
      const neg = (cperm >>> 8) & 0xff;
      if (neg !== 0) return this.#fault(req, out, neg, req.pasid);
    }
    this.#fpd = (cperm & C_FPD) !== 0;
    let pasid: number;
    let priv: boolean;
    if (req.pasid !== NO_PASID) {
      if ((cperm & C_PASIDE) === 0) return this.#fault(req, out, F.SM_PASIDE_CLEAR, req.pasid);
      pasid = req.pasid;
      priv = (req.access & ACCESS.PRIV) !== 0;
    } else {
      pasid = ridPasid;
      priv = (cperm & (1 << 20)) !== 0;
      if (req.iovaPfn >= INTR_FIRST && req.iovaPfn <= INTR_LAST && !req.ats) {
        out.kind = FAULT_KIND.NOT_MODELLED; // an interrupt message: interrupt remapping is not modelled
        return out.kind;
      }
    }
    if (req.ats && (cperm & C_DTE) === 0) return this.#fault(req, out, F.SM_DTE_CLEAR, req.pasid);
    if (pasid >>> 6 >= POW2[((cperm >>> 16) & 7) + 7]!)
      return this.#fault(req, out, F.SM_PASID_BEYOND_DIRECTORY, req.pasid);

    // PASID cache: context per source-id, key = PASID.
    let pctx = c.pasidCtxOfSid[sid]!;
    if (pctx < 0) pctx = c.pasidContext(sid);
    slot = c.pasid.lookup(pctx, pasid, 0);
    let pp: number;
    let pword: number;
    let slptPfn: number;
    let flptPfn: number;
    if (slot < 0) {
      const pi = this.#pi;
      const code = readPasidEntryInfo(hw.memory, caps, dirPfn, pasid, pi);
      out.memReads += pi.reads;
      this.#fpd = this.#fpd || pi.fpd;
      if (code !== 0) {
        if (caps.cm && (code === F.SM_PASID_ENTRY_NOT_PRESENT || code === F.SM_PASID_DIR_ENTRY_NOT_PRESENT)) {
          c.pasid.insert(pctx, pasid, 0, 0, (code << 16) | (pi.fpd ? PC_FPD : 0), 0, 0);
          c.notePasidDid(0, pctx); // cached without a DID: tagged 0 (see VtdCaches.pasidSelective)
        }
        return this.#fault(req, out, code, req.pasid);
      }
      pp =
        pi.pgtt |
        (pi.aw << 3) |
        (pi.flpm << 6) |
        (pi.sre ? PC_SRE : 0) |
        (pi.ere ? PC_ERE : 0) |
        (pi.wpe ? PC_WPE : 0) |
        (pi.nxe ? PC_NXE : 0) |
        (pi.eafe ? PC_EAFE : 0) |
        (pi.slee ? PC_SLEE : 0) |
        (pi.slade ? PC_SLADE : 0) |
        (pi.fpd ? PC_FPD : 0);
      // Second-level-only entries are tagged by DID alone (SL_TAG); QEMU's source-id-keyed
      // IOTLB keys them by PASID too (vtd.md §4.2: {gfn, pasid, sid, level}), else two PASIDs of
      // one device in different domains would share entries.
      const slTag = c.iotlbBySid ? SL_TAG | pasid : SL_TAG;
      const ictx = pi.pgtt === 4 ? 0 : c.iotlbContext(pi.did, sid, pi.pgtt === 2 ? slTag : pasid);
      pword = pi.did | (ictx << 16);
      slptPfn = pi.slptPfn;
      flptPfn = pi.flptPfn;
      c.pasid.insert(pctx, pasid, 0, flptPfn, pp, pword, slptPfn > 0xffffffff ? -1 : slptPfn | 0);
      c.notePasidDid(pi.did, pctx);
    } else {
      pp = c.pasid.perm[slot]!;
      pword = c.pasid.aux0[slot]!;
      slptPfn = c.pasid.aux1[slot]! >>> 0;
      flptPfn = c.pasid.outPage[slot]!;
      this.#fpd = this.#fpd || (pp & PC_FPD) !== 0;
      const neg = (pp >>> 16) & 0xff;
      if (neg !== 0) return this.#fault(req, out, neg, req.pasid);
    }
    if (priv && (pp & PC_SRE) === 0) return this.#fault(req, out, F.SM_SRE_CLEAR, req.pasid);
    if ((req.access & ACCESS.EXEC) !== 0 && (pp & PC_ERE) === 0)
      return this.#fault(req, out, F.SM_ERE_CLEAR, req.pasid);
    const pgtt = pp & 7;
    const vpn = req.iovaPfn;
    if (pgtt === 4) {
      if (vpn >= this.#mgawLimit) return this.#fault(req, out, F.SM_ADDRESS_BEYOND_MAX, req.pasid);
      if (vpn >= INTR_FIRST && vpn <= INTR_LAST)
        return this.#fault(req, out, F.SM_OUTPUT_IN_INTERRUPT_RANGE, req.pasid);
      out.outPfn = vpn;
      out.perm = (pp & PC_ERE) !== 0 ? PERM_RWX : PERM_R | PERM_W;
      return 0;
    }
    const aw = (pp >>> 3) & 7;
    const flLevels = 4 + ((pp >>> 6) & 3);
    const slLimit = Math.min(POW2[18 + 9 * aw]!, this.#mgawLimit);
    let kv = vpn;
    if (pgtt === 2) {
      if (vpn >= slLimit) return this.#fault(req, out, F.SM_ADDRESS_BEYOND_MAX, req.pasid);
    } else {
      // First-level input must be canonical for its width (48 or 57 bits).
      const top = Math.floor(vpn / POW2[flLevels * 9 - 1]!);
      if (top !== 0 && top !== POW2[53 - flLevels * 9]! - 1)
        return this.#fault(req, out, F.SM_NON_CANONICAL, req.pasid);
      kv = cacheVpn(vpn, true); // canonical here, so a key
    }
    const ictx = pword >>> 16;
    const did = pword & 0xffff;
    const write = (req.access & ACCESS.WRITE) !== 0;
    slot = c.iotlb.lookupAny(ictx, kv);
    let word = 0;
    if (slot >= 0) {
      word = c.iotlb.perm[slot]!;
      const neg = (word >>> 16) & 0xff;
      if (neg !== 0) return this.#fault(req, out, neg, req.pasid);
      if (!write || (word & P_D_DONE) !== 0) {
        out.outPfn = c.iotlb.outputFor(slot, kv);
        out.pageShift = 12 + c.iotlb.pageShifts[c.iotlb.sizeOf(slot)]!;
        out.hit = true;
      } else {
        // A write through an entry whose D bit is not set yet: walk again to set it. The entry
        // did not serve the request, so the lookup counts as a miss.
        c.iotlb.hitUnusable();
        slot = -1;
      }
    }
    if (slot < 0) {
      const slFlags =
        this.#slBase |
        SLF.SNP_OK |
        ((pp & PC_SLEE) !== 0 ? SLF.SLEE : 0) |
        ((pp & PC_SLADE) !== 0 ? SLF.AD : 0);
      const st = this.#st;
      if (pgtt === 2) {
        const r = this.#slWalk(slptPfn, aw + 2, vpn, slFlags, write, c.slPsc, c.iotlbBySid ? -1 : ictx, did);
        out.memReads += st.reads;
        if (r !== WALK.OK) {
          const code = smSlCode(r);
          if (caps.cm && r === WALK.NOT_PRESENT) c.iotlb.insert(ictx, vpn, 0, 0, code << 16);
          return this.#fault(req, out, code, req.pasid);
        }
        word = st.perm | (st.perm << 4) | ((pp & PC_SLADE) === 0 || write ? P_D_DONE : 0);
      } else {
        const r = this.#flWalk(
          pgtt === 3,
          flptPfn,
          flLevels,
          kv,
          pp,
          slptPfn,
          aw + 2,
          slFlags,
          slLimit,
          write,
          c.iotlbBySid ? -1 : ictx,
          did,
          pasid,
        );
        out.memReads += st.reads;
        if (r !== 0) return this.#fault(req, out, r, req.pasid);
        const x = st.flXd ? 0 : PERM_X;
        const sup = PERM_R | (st.flRw || (pp & PC_WPE) === 0 ? PERM_W : 0) | x;
        const usr = st.flUs ? PERM_R | (st.flRw ? PERM_W : 0) | x : 0;
        const slp = pgtt === 3 ? this.#out2.perm : PERM_RWX;
        word = (usr & slp) | (st.flUs ? 0 : P_US_DENIED) | ((sup & slp) << 4) | (write ? P_D_DONE : 0);
      }
      const pf = this.#permFault(word, req.access, priv, true);
      if (pf !== 0) return this.#fault(req, out, pf, req.pasid);
      if (st.outPfn >= INTR_FIRST && st.outPfn <= INTR_LAST)
        return this.#fault(req, out, F.SM_OUTPUT_IN_INTERRUPT_RANGE, req.pasid);
      if (pgtt === 3 && st.adNeedsDeniedWrite())
        return this.#fault(req, out, F.SM_NESTED_SL_WRITE_DENIED_FL_PTE, req.pasid);
      st.commitAd();
      out.outPfn = st.outPfn;
      out.pageShift = st.shift;
      this.#fillIotlb(ictx, kv, st.shift, st.outPfn, word);
      if (pgtt === 2) this.#fillSlPsc(c.slPsc, c.iotlbBySid ? -1 : ictx, did, vpn);
      else this.#fillFlPsc(c.iotlbBySid ? -1 : ictx, did, pasid, kv);
    } else {
      const pf = this.#permFault(word, req.access, priv, true);
      if (pf !== 0) return this.#fault(req, out, pf, req.pasid);
      if (out.outPfn >= INTR_FIRST && out.outPfn <= INTR_LAST)
        return this.#fault(req, out, F.SM_OUTPUT_IN_INTERRUPT_RANGE, req.pasid);
    }
    // Without ERE no execute request passes, whatever the tables say (what an ATS completion reports too).
    out.perm = (priv ? (word >>> 4) & 7 : word & 7) & ((pp & PC_ERE) !== 0 ? PERM_RWX : PERM_R | PERM_W);
    return 0;
  }

  // ---- walks with paging-structure caches ----

  /** Second-level walk resuming from the deepest SL PSC hit. `pscCtx` < 0: look the context up by DID. */
  #slWalk(
    rootPfn: number,
    levels: number,
    vpn: number,
    flags: number,
    write: boolean,
    psc: TranslationCache | null,
    pscCtx: number,
    did: number,
  ): number {
    const st = this.#st;
    st.reset();
    let start = levels;
    let table = rootPfn;
    let perm = PERM_RWX;
    if (psc !== null) {
      const ctx = pscCtx >= 0 ? pscCtx : this.#hw.caches.pscContext(did, SL_TAG);
      const s = psc.lookupAny(ctx, vpn);
      if (s >= 0 && psc.sizeOf(s) + 2 <= levels) {
        start = psc.sizeOf(s) + 1;
        table = psc.outPage[s]!;
        perm = psc.perm[s]!;
      }
    }
    this.#pscStart = start;
    return walkSl(this.#hw.memory, table, start, vpn, flags, this.#hiMask, write, st, levels, perm);
  }

  #pscStart = 0;

  #fillSlPsc(psc: TranslationCache | null, pscCtx: number, did: number, vpn: number): void {
    if (psc === null) return;
    const st = this.#st;
    const ctx = pscCtx >= 0 ? pscCtx : this.#hw.caches.pscContext(did, SL_TAG);
    for (let l = 2; l < this.#pscStart; l++) {
      if ((st.levelsSeen & (1 << l)) !== 0) psc.insert(ctx, vpn, l - 2, st.nextTable[l]!, st.permAfter[l]!);
    }
  }

  #fillFlPsc(pscCtx: number, did: number, pasid: number, kv: number): void {
    const psc = this.#hw.caches.flPsc;
    if (psc === null) return;
    const st = this.#st;
    const ctx = pscCtx >= 0 ? pscCtx : this.#hw.caches.pscContext(did, pasid);
    for (let l = 2; l < this.#pscStart; l++) {
      if ((st.levelsSeen & (1 << l)) !== 0) psc.insert(ctx, kv, l - 2, st.nextTable[l]!, st.permAfter[l]!);
    }
  }

  /**
   * First-level (pgtt 1) or nested (pgtt 3) walk, then for nested the SL walk
   * of the output GPA into #out2. Returns 0 or a scalable-mode fault reason;
   * leaves the result in #st (outPfn = HPA, shift = effective page size).
   */
  #flWalk(
    nested: boolean,
    flptPfn: number,
    levels: number,
    kv: number,
    pp: number,
    slptPfn: number,
    slLevels: number,
    slFlags: number,
    slLimit: number,
    write: boolean,
    pscCtx: number,
    did: number,
    pasid: number,
  ): number {
    const st = this.#st;
    const p = this.#fl;
    st.reset();
    p.flags =
      this.#flBase |
      ((pp & PC_NXE) !== 0 ? FLF.NXE : 0) |
      ((pp & PC_EAFE) !== 0 ? FLF.EAFE : 0) |
      (nested ? FLF.NESTED : 0);
    p.hiMask = this.#hiMask;
    p.write = write;
    p.slRoot = slptPfn;
    p.slLevels = slLevels;
    p.slFlags = slFlags;
    p.slHiMask = this.#hiMask;
    p.slLimit = slLimit;
    let start = levels;
    let table = flptPfn;
    const psc = this.#hw.caches.flPsc;
    if (psc !== null) {
      const ctx = pscCtx >= 0 ? pscCtx : this.#hw.caches.pscContext(did, pasid);
      const s = psc.lookupAny(ctx, kv);
      if (s >= 0 && psc.sizeOf(s) + 2 <= levels) {
        start = psc.sizeOf(s) + 1;
        table = psc.outPage[s]!;
        const f = psc.perm[s]!;
        st.flRw = (f & 1) !== 0;
        st.flUs = (f & 2) !== 0;
        st.flXd = (f & 4) !== 0;
      }
    }
    this.#pscStart = start;
    const r = walkFl(this.#hw.memory, table, nested, true, start, levels, kv, p, st, this.#sl);
    if (r !== WALK.OK) return nested ? nestedFlCode(r, st.failLevel === levels) : flCode(r);
    if (!nested) return 0;
    // Nested: the FL output is a GPA; translate it through the second level with the request's access.
    const o2 = this.#out2;
    o2.reset();
    if (st.outPfn >= slLimit) return F.SM_ADDRESS_BEYOND_MAX;
    const r2 = walkSl(
      this.#hw.memory,
      slptPfn,
      slLevels,
      st.outPfn,
      slFlags,
      this.#hiMask,
      write,
      o2,
      slLevels,
      PERM_RWX,
    );
    st.reads += o2.reads;
    if (r2 !== WALK.OK) return smSlCode(r2);
    st.mergeAd(o2);
    const shift = Math.min(o2.shift, st.shift);
    st.outPfn = o2.outPfn;
    st.shift = shift;
    return 0;
  }

  #fillIotlb(ctx: number, kv: number, shift: number, outPfn: number, word: number): void {
    const code = shift === 30 ? 2 : shift === 21 ? 1 : 0;
    const span = POW2[shift - 12]!;
    this.#hw.caches.iotlb.insert(ctx, kv, code, outPfn - (kv % span), word);
  }
}

/** Device-TLB context tag: the PASID (SL_TAG for none) and the privilege the translation was made for. */
function devTag(req: TranslationRequest): number {
  return (
    (req.pasid === NO_PASID ? SL_TAG : req.pasid) + ((req.access & ACCESS.PRIV) !== 0 ? DEV_PRIV_TAG : 0)
  );
}

/** Scalable-mode reason of a second-level walk class. */
function smSlCode(r: number): number {
  switch (r) {
    case WALK.ROOT_FETCH:
      return F.SM_SL_ROOT_INVALID;
    case WALK.FETCH:
      return F.SM_SL_PTE_READ_ERROR;
    case WALK.NOT_PRESENT:
      return F.SM_SL_PTE_NOT_PRESENT;
    case WALK.ENTRY_ADDRESS:
      return F.SM_SL_ADDRESS_BEYOND_MAX;
    default:
      return F.SM_SL_PTE_RESERVED;
  }
}

/** Scalable-mode reason of a first-level walk class. */
function flCode(r: number): number {
  switch (r) {
    case WALK.ROOT_FETCH:
      return F.SM_FL_ROOT_READ_ERROR;
    case WALK.FETCH:
      return F.SM_FL_PTE_READ_ERROR;
    case WALK.NOT_PRESENT:
      return F.SM_FL_PTE_NOT_PRESENT;
    default:
      return F.SM_FL_PTE_RESERVED;
  }
}

/** Nested walk classes: the FL codes plus 0x74-0x76 and the SL codes of table translations. */
function nestedFlCode(r: number, atRoot: boolean): number {
  if (r === WALK.NESTED_BEYOND) return F.SM_NESTED_FL_TABLE_BEYOND_SL;
  if (r === WALK.NESTED_NO_READ)
    return atRoot ? F.SM_NESTED_SL_READ_DENIED_FL_ROOT : F.SM_NESTED_SL_READ_DENIED_FL_PTE;
  if (r >= WALK.NESTED_SL) return smSlCode(r - WALK.NESTED_SL);
  return flCode(r);
}
