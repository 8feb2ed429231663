/**
 * An independent, uncached reference translation for tests: reads every
 * structure with PhysMemory.read64 and the structure decoders (bigints, no
 * caches, no packed words, no shared code with translate.ts or walk/), and
 * applies the same documented order of checks (see translate.ts). It writes
 * nothing: it returns the A/D updates the hardware must make.
 */
import type { PhysMemory } from '../../core/memory/phys-memory.js';
import { ACCESS, NO_PASID } from '../../core/model/translation.js';
import { domainCount, sagawAllows, type VtdCaps } from './capabilities.js';
import { VTD_FAULT as F } from './fault-reasons.js';
import {
  decodeLegacyContext,
  decodeScalableContext,
  LEGACY_CONTEXT_RSVD,
  SCALABLE_CONTEXT_RSVD,
} from './structures/context-entry.js';
import { decodePasidDirEntry, PASID_DIR_RSVD } from './structures/pasid-dir-entry.js';
import { decodePasidEntry, pasidEntryReserved } from './structures/pasid-entry.js';
import { decodeLegacyRoot, decodeScalableRoot } from './structures/root-entry.js';

export interface RefRequest {
  readonly sid: number;
  readonly pasid: number;
  readonly vpn: number;
  readonly access: number;
  readonly ats: boolean;
}

export interface RefState {
  readonly rootTable: number;
  readonly scalable: boolean;
  readonly translationEnabled: boolean;
}

export interface RefResult {
  /** 0 = translated, -1 = interrupt message (not modelled), else the VT-d fault reason. */
  readonly code: number;
  readonly outPfn: number;
  readonly shift: number;
  readonly perm: number;
  /** A/D bits the translation must set: physical address of the entry and the bits. */
  readonly ad: readonly { readonly pa: number; readonly bits: bigint }[];
}

const R = 1;
const W = 2;
const X = 4;
const ADDR = (e: bigint): number => Number((e >> 12n) & 0xff_ffff_ffffn);
const fault = (code: number): RefResult => ({ code, outPfn: 0, shift: 12, perm: 0, ad: [] });
const isIntr = (pfn: number): boolean => pfn >= 0xfee00 && pfn <= 0xfeeff;
const idx = (vpn: number, level: number): number => Math.floor(vpn / 2 ** (9 * (level - 1))) % 512;

interface Ad {
  pa: number;
  bits: bigint;
  writable: boolean;
}

type SlOut =
  | { ok: true; pfn: number; shift: number; perm: number; ad: Ad[] }
  | { ok: false; why: 'root' | 'fetch' | 'np' | 'rsvd' | 'addr' };

function slWalk(
  mem: PhysMemory,
  caps: VtdCaps,
  root: number,
  levels: number,
  vpn: number,
  o: { slee: boolean; ad: boolean; snpOk: boolean; write: boolean },
): SlOut {
  let table = root;
  let perm = R | W | X;
  const ad: Ad[] = [];
  for (let level = levels; level >= 1; level--) {
    const pa = table * 4096 + 8 * idx(vpn, level);
    const e = mem.read64(pa);
    if (e === undefined) return { ok: false, why: level === levels ? 'root' : 'fetch' };
    if ((e & 3n) === 0n) return { ok: false, why: 'np' };
    const ps = (e & 0x80n) !== 0n;
    const psAllowed = level === 2 ? (caps.sllps & 1) !== 0 : level === 3 ? (caps.sllps & 2) !== 0 : false;
    if (((e & 0x800n) !== 0n && !o.snpOk) || (ps && level > 1 && !psAllowed))
      return { ok: false, why: 'rsvd' };
    if (caps.mgaw < 52 && ((e >> BigInt(caps.mgaw)) & ((1n << BigInt(52 - caps.mgaw)) - 1n)) !== 0n) {
      return { ok: false, why: 'addr' };
    }
    const r = (e & 1n) !== 0n;
    const w = (e & 2n) !== 0n;
    const x = o.slee ? (e & 4n) !== 0n : r;
    perm &= (r ? R : 0) | (w ? W : 0) | (x ? X : 0);
    const pfn = ADDR(e);
    if (ps || level === 1) {
      const span = 2 ** (9 * (level - 1));
      if (pfn % span !== 0) return { ok: false, why: 'rsvd' };
      const want = 0x100n | (o.write && (perm & W) !== 0 ? 0x200n : 0n);
      if (o.ad && (e & want) !== want) ad.push({ pa, bits: want, writable: true });
      return { ok: true, pfn: pfn + (vpn % span), shift: 12 + 9 * (level - 1), perm, ad };
    }
    if (o.ad && (e & 0x100n) === 0n) ad.push({ pa, bits: 0x100n, writable: true });
    table = pfn;
  }
  return { ok: false, why: 'np' };
}

const LEGACY_SL = {
  root: F.CONTEXT_ENTRY_INVALID,
  fetch: F.SL_PTE_READ_ERROR,
  rsvd: F.SL_PTE_RESERVED,
  addr: F.SL_PTE_RESERVED,
} as const;
const SM_SL = {
  root: F.SM_SL_ROOT_INVALID,
  fetch: F.SM_SL_PTE_READ_ERROR,
  np: F.SM_SL_PTE_NOT_PRESENT,
  rsvd: F.SM_SL_PTE_RESERVED,
  addr: F.SM_SL_ADDRESS_BEYOND_MAX,
} as const;

function permCode(
  user: number,
  sup: number,
  usDenied: boolean,
  access: number,
  priv: boolean,
  sm: boolean,
): number {
  if (!priv && usDenied) return F.SM_US_CLEAR_USER_REQUEST;
  const p = priv ? sup : user;
  if (access & ACCESS.EXEC && !(p & X)) return sm ? F.SM_EXECUTE_DENIED : F.READ_NOT_PERMITTED;
  if (access & ACCESS.WRITE && !(p & W)) return sm ? F.SM_WRITE_DENIED : F.WRITE_NOT_PERMITTED;
  if (access & ACCESS.READ && !(p & R)) return sm ? F.SM_READ_DENIED : F.READ_NOT_PERMITTED;
  return 0;
}

/** The reference translation of one request. */
export function referenceTranslate(mem: PhysMemory, caps: VtdCaps, hw: RefState, q: RefRequest): RefResult {
  if (!hw.translationEnabled) return { code: 0, outPfn: q.vpn, shift: 12, perm: R | W | X, ad: [] };
  return hw.scalable ? scalable(mem, caps, hw.rootTable, q) : legacy(mem, caps, hw.rootTable, q);
}

function legacy(mem: PhysMemory, caps: VtdCaps, rta: number, q: RefRequest): RefResult {
  if (q.pasid !== NO_PASID) return fault(F.SM_TTM_LEGACY_PASID_REQUEST);
  if (isIntr(q.vpn) && !q.ats) return fault(-1);
  const bus = q.sid >>> 8;
  const r0 = mem.read64(rta + 16 * bus);
  const r1 = mem.read64(rta + 16 * bus + 8);
  if (r0 === undefined || r1 === undefined) return fault(F.ROOT_ENTRY_READ_ERROR);
  const root = decodeLegacyRoot([r0, r1]);
  if (!root.P) return fault(F.ROOT_ENTRY_NOT_PRESENT);
  if ((r0 & 0xffen) !== 0n || r1 !== 0n) return fault(F.ROOT_ENTRY_RESERVED);
  const cpa = Number(root.CTP) + 16 * (q.sid & 0xff);
  const c0 = mem.read64(cpa);
  const c1 = mem.read64(cpa + 8);
  if (c0 === undefined || c1 === undefined) return fault(F.CONTEXT_ENTRY_READ_ERROR);
  const ce = decodeLegacyContext([c0, c1]);
  if (!ce.P) return fault(F.CONTEXT_ENTRY_NOT_PRESENT);
  if ((c0 & LEGACY_CONTEXT_RSVD[0]) !== 0n || (c1 & LEGACY_CONTEXT_RSVD[1]) !== 0n)
    return fault(F.CONTEXT_ENTRY_RESERVED);
  if (ce.TT === 3 || (ce.TT === 1 && !caps.dt) || (ce.TT === 2 && !caps.pt))
    return fault(F.CONTEXT_ENTRY_INVALID);
  if (!sagawAllows(caps, ce.AW + 2) || ce.DID >= domainCount(caps)) return fault(F.CONTEXT_ENTRY_INVALID);
  if (q.ats && ce.TT !== 1) return fault(F.TRANSLATION_TYPE_BLOCKED);
  if (ce.TT === 2) return { code: 0, outPfn: q.vpn, shift: 12, perm: R | W | X, ad: [] };
  if (q.vpn >= 2 ** (Math.min(30 + 9 * ce.AW, caps.mgaw) - 12)) return fault(F.ADDRESS_BEYOND_MGAW);
  const s = slWalk(mem, caps, ADDR(c0), ce.AW + 2, q.vpn, {
    slee: false,
    ad: false,
    snpOk: caps.sc,
    write: false,
  });
  if (!s.ok) {
    if (s.why === 'np') return fault(q.access & ACCESS.WRITE ? F.WRITE_NOT_PERMITTED : F.READ_NOT_PERMITTED);
    return fault(LEGACY_SL[s.why]);
  }
  const pc = permCode(s.perm, s.perm, false, q.access, false, false);
  if (pc !== 0) return fault(pc);
  if (isIntr(s.pfn)) return fault(F.OUTPUT_IN_INTERRUPT_RANGE);
  return { code: 0, outPfn: s.pfn, shift: s.shift, perm: s.perm, ad: [] };
}

function scalable(mem: PhysMemory, caps: VtdCaps, rta: number, q: RefRequest): RefResult {
  const bus = q.sid >>> 8;
  const devfn = q.sid & 0xff;
  const r0 = mem.read64(rta + 16 * bus);
  const r1 = mem.read64(rta + 16 * bus + 8);
  if (r0 === undefined || r1 === undefined) return fault(F.SM_ROOT_ENTRY_READ_ERROR);
  const root = decodeScalableRoot([r0, r1]);
  const upper = devfn >= 128;
  if (!(upper ? root.UP : root.LP)) return fault(F.SM_ROOT_ENTRY_NOT_PRESENT);
  const half = upper ? r1 : r0;
  if ((half & 0xffen) !== 0n || half >> BigInt(caps.mgaw) !== 0n) return fault(F.SM_ROOT_ENTRY_RESERVED);
  const cpa = Number(upper ? root.UCTP : root.LCTP) + 32 * (devfn & 0x7f);
  const cw: bigint[] = [];
  for (let i = 0; i < 4; i++) {
    const v = mem.read64(cpa + 8 * i);
    if (v === undefined) return fault(F.SM_CONTEXT_ENTRY_READ_ERROR);
    cw.push(v);
  }
  const ce = decodeScalableContext(cw);
  if (!ce.P) return fault(F.SM_CONTEXT_ENTRY_NOT_PRESENT);
  if (cw.some((w, i) => (w & SCALABLE_CONTEXT_RSVD[i]!) !== 0n)) return fault(F.SM_CONTEXT_ENTRY_RESERVED);
  if ((ce.DTE && !caps.dt) || (ce.PRE && !caps.prs) || (ce.PASIDE && caps.pasidBits === 0))
    return fault(F.SM_CONTEXT_ENTRY_INVALID);
  if (caps.pasidBits < 20 && ce.RID_PASID >= 2 ** caps.pasidBits) return fault(F.SM_RID_PASID_ERROR);
  let pasid: number;
  let priv: boolean;
  if (q.pasid !== NO_PASID) {
    if (!ce.PASIDE) return fault(F.SM_PASIDE_CLEAR);
    pasid = q.pasid;
    priv = (q.access & ACCESS.PRIV) !== 0;
  } else {
    pasid = ce.RID_PASID;
    priv = ce.RID_PRIV;
    if (isIntr(q.vpn) && !q.ats) return fault(-1);
  }
  if (q.ats && !ce.DTE) return fault(F.SM_DTE_CLEAR);
  if (pasid >>> 6 >= 2 ** (ce.PDTS + 7)) return fault(F.SM_PASID_BEYOND_DIRECTORY);
  const dv = mem.read64(Number(ce.PASIDDIRPTR) + 8 * (pasid >>> 6));
  if (dv === undefined) return fault(F.SM_PASID_DIR_ENTRY_READ_ERROR);
  const de = decodePasidDirEntry(dv);
  if (!de.P) return fault(F.SM_PASID_DIR_ENTRY_NOT_PRESENT);
  if ((dv & PASID_DIR_RSVD) !== 0n) return fault(F.SM_PASID_DIR_ENTRY_RESERVED);
  const ppa = Number(de.SMPTBLPTR) + 64 * (pasid & 63);
  const pw: bigint[] = [];
  for (let i = 0; i < 8; i++) {
    const v = mem.read64(ppa + 8 * i);
    if (v === undefined) return fault(F.SM_PASID_ENTRY_READ_ERROR);
    pw.push(v);
  }
  const pe = decodePasidEntry(pw);
  if (!pe.P) return fault(F.SM_PASID_ENTRY_NOT_PRESENT);
  if (pasidEntryReserved(pw)) return fault(F.SM_PASID_ENTRY_RESERVED);
  const g = pe.PGTT;
  const invalid =
    g < 1 ||
    g > 4 ||
    (g === 1 && !caps.flts) ||
    (g === 2 && !caps.slts) ||
    (g === 3 && !caps.nest) ||
    (g === 4 && !caps.pt) ||
    ((g === 2 || g === 3) && !sagawAllows(caps, pe.AW + 2)) ||
    ((g === 1 || g === 3) && (pe.FLPM > 1 || (pe.FLPM === 1 && !caps.fl5lp))) ||
    (pe.SRE && !caps.srs) ||
    (pe.ERE && !caps.ers) ||
    (pe.EAFE && !caps.eafs) ||
    (pe.SLADE && !caps.slads) ||
    pe.DID >= domainCount(caps);
  if (invalid) return fault(F.SM_PASID_ENTRY_INVALID);
  if (priv && !pe.SRE) return fault(F.SM_SRE_CLEAR);
  if (q.access & ACCESS.EXEC && !pe.ERE) return fault(F.SM_ERE_CLEAR);
  if (g === 4) {
    if (q.vpn >= 2 ** (caps.mgaw - 12)) return fault(F.SM_ADDRESS_BEYOND_MAX);
    if (isIntr(q.vpn)) return fault(F.SM_OUTPUT_IN_INTERRUPT_RANGE);
    return { code: 0, outPfn: q.vpn, shift: 12, perm: pe.ERE ? R | W | X : R | W, ad: [] };
  }
  const write = (q.access & ACCESS.WRITE) !== 0;
  const slLimit = 2 ** (Math.min(30 + 9 * pe.AW, caps.mgaw) - 12);
  const slOpts = { slee: pe.SLEE, ad: pe.SLADE, snpOk: true, write };
  const slRoot = ADDR(pe.SLPTPTR);
  if (g === 2) {
    if (q.vpn >= slLimit) return fault(F.SM_ADDRESS_BEYOND_MAX);
    const s = slWalk(mem, caps, slRoot, pe.AW + 2, q.vpn, slOpts);
    if (!s.ok) return fault(SM_SL[s.why]);
    const pc = permCode(s.perm, s.perm, false, q.access, priv, true);
    if (pc !== 0) return fault(pc);
    if (isIntr(s.pfn)) return fault(F.SM_OUTPUT_IN_INTERRUPT_RANGE);
    return { code: 0, outPfn: s.pfn, shift: s.shift, perm: s.perm & (pe.ERE ? 7 : 3), ad: s.ad };
  }
  return firstLevel(mem, caps, q, pe, priv, write, slLimit, slRoot, slOpts);
}

function firstLevel(
  mem: PhysMemory,
  caps: VtdCaps,
  q: RefRequest,
  pe: ReturnType<typeof decodePasidEntry>,
  priv: boolean,
  write: boolean,
  slLimit: number,
  slRoot: number,
  slOpts: { slee: boolean; ad: boolean; snpOk: boolean; write: boolean },
): RefResult {
  const nested = pe.PGTT === 3;
  const levels = 4 + pe.FLPM;
  const width = 12 + 9 * levels;
  // Canonical: address bits 63..width-1 all equal (input page numbers carry bits 51..0 of the page).
  const top = Math.floor(q.vpn / 2 ** (width - 13));
  if (top !== 0 && top !== 2 ** (52 - (width - 13)) - 1) return fault(F.SM_NON_CANONICAL);
  const vpn = q.vpn % 2 ** (width - 12);
  const ad: Ad[] = [];
  let table = ADDR(pe.FLPTPTR);
  let writable = true;
  let rw = true;
  let us = true;
  let xd = false;
  const aBits = pe.EAFE ? 0x420n : 0x20n;
  // A/D update of an FL entry: a write to guest memory, so with SL A/D on the SL leaf that maps the
  // entry's table page gets D as well (only when the SL lets it be written; else 0x77 follows).
  const flAd = (pa: number, bits: bigint, e: bigint, tableGpa: number): void => {
    if ((e & bits) === bits) return;
    ad.push({ pa, bits, writable });
    if (nested && writable && slOpts.ad) {
      const s = slWalk(mem, caps, slRoot, pe.AW + 2, tableGpa, { ...slOpts, write: true });
      if (s.ok) ad.push(...s.ad);
    }
  };
  for (let level = levels; level >= 1; level--) {
    let hpa = table;
    if (nested) {
      if (table >= slLimit) return fault(F.SM_NESTED_FL_TABLE_BEYOND_SL);
      const s = slWalk(mem, caps, slRoot, pe.AW + 2, table, { ...slOpts, write: false });
      if ((!s.ok && s.why === 'np') || (s.ok && (s.perm & R) === 0)) {
        return fault(
          level === levels ? F.SM_NESTED_SL_READ_DENIED_FL_ROOT : F.SM_NESTED_SL_READ_DENIED_FL_PTE,
        );
      }
      if (!s.ok) return fault(SM_SL[s.why]);
      ad.push(...s.ad);
      hpa = s.pfn;
      writable = (s.perm & W) !== 0;
    }
    const pa = hpa * 4096 + 8 * idx(vpn, level);
    const e = mem.read64(pa);
    if (e === undefined) return fault(level === levels ? F.SM_FL_ROOT_READ_ERROR : F.SM_FL_PTE_READ_ERROR);
    if ((e & 1n) === 0n) return fault(F.SM_FL_PTE_NOT_PRESENT);
    const ps = (e & 0x80n) !== 0n;
    const hawBad =
      caps.mgaw < 52 && ((e >> BigInt(caps.mgaw)) & ((1n << BigInt(52 - caps.mgaw)) - 1n)) !== 0n;
    const xdBit = e >> 63n === 1n;
    if (hawBad || (xdBit && !pe.NXE) || (ps && (level >= 4 || (level === 3 && !caps.fl1gp))))
      return fault(F.SM_FL_PTE_RESERVED);
    rw &&= (e & 2n) !== 0n;
    us &&= (e & 4n) !== 0n;
    xd ||= xdBit && pe.NXE;
    let pfn = ADDR(e);
    if (ps || level === 1) {
      const span = 2 ** (9 * (level - 1));
      if (level > 1) {
        if ((pfn % span) - (pfn % 2) !== 0) return fault(F.SM_FL_PTE_RESERVED);
        pfn -= pfn % 2;
      }
      flAd(pa, write ? aBits | 0x40n : aBits, e, table);
      let out = pfn + (vpn % span);
      let shift = 12 + 9 * (level - 1);
      let slPerm = R | W | X;
      if (nested) {
        if (out >= slLimit) return fault(F.SM_ADDRESS_BEYOND_MAX);
        const s = slWalk(mem, caps, slRoot, pe.AW + 2, out, slOpts);
        if (!s.ok) return fault(SM_SL[s.why]);
        ad.push(...s.ad);
        out = s.pfn;
        shift = Math.min(shift, s.shift);
        slPerm = s.perm;
      }
      const x = xd ? 0 : X;
      const sup = (R | (rw || !pe.WPE ? W : 0) | x) & slPerm;
      const user = us ? (R | (rw ? W : 0) | x) & slPerm : 0;
      const pc = permCode(user, sup, !us, q.access, priv, true);
      if (pc !== 0) return fault(pc);
      if (isIntr(out)) return fault(F.SM_OUTPUT_IN_INTERRUPT_RANGE);
      if (nested && ad.some((a) => !a.writable)) return fault(F.SM_NESTED_SL_WRITE_DENIED_FL_PTE);
      return {
        code: 0,
        outPfn: out,
        shift,
        perm: (priv ? sup : user) & (pe.ERE ? 7 : 3),
        ad: ad.map(({ pa, bits }) => ({ pa, bits })),
      };
    }
    flAd(pa, aBits, e, table);
    table = pfn;
  }
  return fault(F.SM_FL_PTE_NOT_PRESENT);
}
